//! One connection to clamd, over TCP or a unix socket, every operation bounded by a timeout.

use std::io::IoSlice;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::time::timeout;

use crate::protocol::MAX_REPLY;
use crate::{Endpoint, ScanError};

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub(crate) struct Connection {
    io: Box<dyn Io>,
}

impl Connection {
    pub(crate) async fn open(endpoint: &Endpoint, limit: Duration) -> Result<Self, ScanError> {
        let connect = async {
            let io: Box<dyn Io> = match endpoint {
                Endpoint::Tcp { host, port } => {
                    let stream = TcpStream::connect((host.as_str(), *port)).await?;
                    // The last frame and the commands are a few bytes: send them at once.
                    stream.set_nodelay(true)?;
                    Box::new(stream)
                }
                Endpoint::Unix(path) => Box::new(UnixStream::connect(path).await?),
            };
            Ok::<_, std::io::Error>(io)
        };
        match timeout(limit, connect).await {
            Err(_) => Err(ScanError::Timeout),
            Ok(Err(error)) => Err(ScanError::Unavailable(format!("cannot connect to clamd at {endpoint}: {error}"))),
            Ok(Ok(io)) => Ok(Self { io }),
        }
    }

    pub(crate) async fn send(&mut self, piece: Bytes, limit: Duration) -> Result<(), ScanError> {
        self.send_all(&[piece], limit).await
    }

    /// Writes `pieces` in order, with as few `writev` calls as the kernel allows, within `limit`.
    pub(crate) async fn send_all(&mut self, pieces: &[Bytes], limit: Duration) -> Result<(), ScanError> {
        match timeout(limit, write_all_vectored(&mut self.io, pieces)).await {
            Err(_) => Err(ScanError::Timeout),
            Ok(Err(error)) => Err(ScanError::Unavailable(format!("the connection to clamd failed: {error}"))),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Reads clamd's answer to a `z` command: text up to a NUL (or to the end of the
    /// connection), without the NUL and trailing white space.
    pub(crate) async fn reply(&mut self, limit: Duration) -> Result<String, ScanError> {
        match timeout(limit, read_to_nul(&mut self.io)).await {
            Err(_) => Err(ScanError::Timeout),
            Ok(Err(error)) => Err(ScanError::Unavailable(format!("the connection to clamd failed: {error}"))),
            Ok(Ok(reply)) if reply.is_empty() => {
                Err(ScanError::Unavailable("clamd closed the connection without answering".to_owned()))
            }
            Ok(Ok(reply)) if reply.len() > MAX_REPLY => {
                Err(ScanError::Protocol(format!("clamd's answer is longer than {MAX_REPLY} bytes")))
            }
            Ok(Ok(reply)) => Ok(String::from_utf8_lossy(&reply).trim_end().to_owned()),
        }
    }
}

async fn write_all_vectored(io: &mut (impl AsyncWrite + Unpin), pieces: &[Bytes]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = pieces.iter().map(|piece| IoSlice::new(piece)).collect();
    let mut remaining = &mut slices[..];
    while !remaining.is_empty() {
        let written = io.write_vectored(remaining).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut remaining, written);
    }
    Ok(())
}

/// Bytes up to the first NUL or the end of the stream; stops reading past [`MAX_REPLY`].
async fn read_to_nul(io: &mut (impl AsyncRead + Unpin)) -> std::io::Result<Vec<u8>> {
    let mut reply = Vec::new();
    let mut buffer = [0; 256];
    loop {
        let read = io.read(&mut buffer).await?;
        let received = &buffer[..read];
        if let Some(end) = received.iter().position(|&byte| byte == 0) {
            reply.extend_from_slice(&received[..end]);
            return Ok(reply);
        }
        reply.extend_from_slice(received);
        if read == 0 || reply.len() > MAX_REPLY {
            return Ok(reply);
        }
    }
}
