//! Child processes that never outlive the process that started them: moto and localstripe
//! for the test binaries, the model server of the scoring tests, moto and every function
//! instance of the local gateway.
//!
//! [`spawn`] gives the child `PR_SET_PDEATHSIG = SIGKILL`, so the kernel kills it when we die
//! for any reason (a passing, failing or panicking test, even SIGKILL). The signal fires when
//! the *thread* that forked the child exits, not the process, so every child is forked by
//! one dedicated thread that lives as long as the process (test threads and tokio's
//! blocking threads come and go).
//!
//! [`wait_for_port`] and [`wait_for_port_blocking`] then wait until the child accepts
//! connections on its loopback port.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// How often a port is tried while waiting.
const POLL: Duration = Duration::from_millis(50);

type Reply = Box<dyn FnOnce(io::Result<Child>) + Send>;

/// The forking thread's inbox; the thread itself never exits before the process does.
fn forker() -> io::Result<&'static mpsc::Sender<(Command, Reply)>> {
    static FORKER: OnceLock<Result<mpsc::Sender<(Command, Reply)>, String>> = OnceLock::new();
    FORKER
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel::<(Command, Reply)>();
            std::thread::Builder::new()
                .name("child-forker".into())
                .spawn(move || {
                    for (mut command, reply) in rx {
                        reply(command.spawn());
                    }
                })
                .map(|_| tx)
                .map_err(|e| format!("cannot start the child-forker thread: {e}"))
        })
        .as_ref()
        .map_err(|e| io::Error::other(e.clone()))
}

/// Makes `command`'s child get SIGKILL when this process dies.
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: prctl and getppid are async-signal-safe and touch only the child.
    #[allow(unsafe_code, reason = "PR_SET_PDEATHSIG in pre_exec")]
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may already be gone between fork and prctl; then no signal comes.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                return Err(io::Error::other("parent exited"));
            }
            Ok(())
        });
    }
}

/// Starts `command` as a child that dies with this process (see the crate documentation).
pub async fn spawn(mut command: Command) -> io::Result<Child> {
    die_with_parent(&mut command);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let reply: Reply = Box::new(move |child| {
        let _ = tx.send(child);
    });
    forker()?
        .send((command, reply))
        .map_err(|_| io::Error::other("the child-forker thread is gone"))?;
    rx.await
        .map_err(|_| io::Error::other("the child-forker thread is gone"))?
}

/// [`spawn`] for callers that cannot await (it blocks for the fork and exec only).
pub fn spawn_blocking(mut command: Command) -> io::Result<Child> {
    die_with_parent(&mut command);
    let (tx, rx) = mpsc::channel();
    let reply: Reply = Box::new(move |child| {
        let _ = tx.send(child);
    });
    forker()?
        .send((command, reply))
        .map_err(|_| io::Error::other("the child-forker thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("the child-forker thread is gone"))?
}

/// Why a child is not listening.
#[derive(Debug)]
pub enum NotListening {
    /// It exited first, with this status.
    Exited(ExitStatus),
    /// Nothing accepted a connection in time.
    Timeout,
}

/// Waits until something accepts connections on 127.0.0.1:`port`, for at most `within`.
/// `exited` is asked before each try, so a child that dies during start-up is reported at
/// once instead of after the timeout.
pub async fn wait_for_port(
    port: u16,
    within: Duration,
    mut exited: impl FnMut() -> Option<ExitStatus>,
) -> Result<(), NotListening> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = exited() {
            return Err(NotListening::Exited(status));
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(NotListening::Timeout);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// [`wait_for_port`] for callers that cannot await.
pub fn wait_for_port_blocking(
    port: u16,
    within: Duration,
    mut exited: impl FnMut() -> Option<ExitStatus>,
) -> Result<(), NotListening> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = exited() {
            return Err(NotListening::Exited(status));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
    Err(NotListening::Timeout)
}
