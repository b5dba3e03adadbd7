//! Starting a service that cannot be given port 0 (clamd, nginx): the port is found free, then
//! released for the service to bind, and another process may take it in between, so a start is
//! tried a few times, each in a fresh directory.

use std::net::TcpListener;

use tempfile::TempDir;

/// Tries at a free port.
const PORT_ATTEMPTS: usize = 3;

/// Calls `start` with a fresh temporary directory (named `prefix…`) and a port just found free,
/// up to [`PORT_ATTEMPTS`] times; the last failure when none started.
pub(crate) fn start_on_free_port<T>(
    prefix: &str,
    mut start: impl FnMut(TempDir, u16) -> Result<T, String>,
) -> Result<T, String> {
    let mut failure = String::new();
    for _ in 0..PORT_ATTEMPTS {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| format!("cannot create a directory for the service: {e}"))?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|e| format!("cannot find a free port: {e}"))?
            .port();
        match start(dir, port) {
            Ok(service) => return Ok(service),
            Err(message) => failure = message,
        }
    }
    Err(failure)
}
