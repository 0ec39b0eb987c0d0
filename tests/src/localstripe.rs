//! localstripe (PyPI: a fake, stateful Stripe API) for this test binary, started on a free
//! loopback port from the project's `.venv` like moto, killed when the test process exits.
//! Its own command line listens on every interface and keeps its state in
//! `/tmp/localstripe.pickle`; the launcher below binds 127.0.0.1 only and keeps the state
//! in memory, so parallel test binaries cannot see each other's customers.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let (tx, rx) = std::sync::mpsc::channel();
    // The thread outlives every test: PR_SET_PDEATHSIG fires when the forking *thread*
    // ends (see `spawn_moto`).
    std::thread::Builder::new()
        .name("localstripe".into())
        .spawn(move || {
            let mut command = Command::new(&python);
            command
                .args(["-c", LAUNCHER, &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            // SAFETY: prctl is async-signal-safe and touches only the child.
            #[allow(unsafe_code, reason = "PR_SET_PDEATHSIG in pre_exec")]
            unsafe {
                use std::os::unix::process::CommandExt;
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            match command.spawn() {
                Ok(mut child) => {
                    let _ = tx.send(Ok(()));
                    let _ = child.wait();
                }
                Err(e) => {
                    let _ = tx.send(Err(format!("cannot start localstripe: {e}")));
                }
            }
        })
        .map_err(|e| e.to_string())?;
    rx.recv().map_err(|e| e.to_string())??;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(format!("http://{addr}/"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("localstripe did not listen on {addr} within 30 s"))
}

/// The base URL (with a trailing `/`, as Stripe's client expects) of this binary's
/// localstripe.
pub fn endpoint() -> String {
    ENDPOINT
        .get_or_init(spawn)
        .clone()
        .unwrap_or_else(|e| panic!("no localstripe for tests: {e}"))
}
