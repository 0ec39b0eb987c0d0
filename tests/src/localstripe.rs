//! localstripe (PyPI: a fake, stateful Stripe API) for this test binary, started on a free
//! loopback port from the project's `.venv` like moto, killed when the test process exits.
//! Its own command line listens on every interface and keeps its state in
//! `/tmp/localstripe.pickle`; the launcher below binds 127.0.0.1 only and keeps the state
//! in memory, so parallel test binaries cannot see each other's customers.

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::workspace_root;

static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();

const LAUNCHER: &str = "
import sys
from aiohttp import web
from localstripe.resources import store
from localstripe.server import app
type(store).dump_to_disk = lambda self: None
web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)
";

fn spawn() -> Result<String, String> {
    let python = workspace_root().join(".venv/bin/python");
    if !python.exists() {
        return Err(format!(
            "{} not found: run `make .venv/.installed`",
            python.display()
        ));
    }
    let port = crate::free_port().map_err(|e| format!("no free port: {e}"))?;
    let mut command = Command::new(&python);
    command
        .args(["-c", LAUNCHER, &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Stripe's client wants the trailing slash.
    crate::listening(command, port, "localstripe").map(|url| url + "/")
}

/// The base URL (with a trailing `/`, as Stripe's client expects) of this binary's
/// localstripe.
pub fn endpoint() -> String {
    ENDPOINT
        .get_or_init(spawn)
        .clone()
        .unwrap_or_else(|e| panic!("no localstripe for tests: {e}"))
}
