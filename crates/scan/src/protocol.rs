//! clamd's protocol, in the `z` form (commands and answers end with a NUL): the commands, the
//! `INSTREAM` frames and the answers.

use bytes::Bytes;

use crate::{ScanError, Verdict};

pub(crate) const INSTREAM: &[u8] = b"zINSTREAM\0";
pub(crate) const PING: &[u8] = b"zPING\0";
pub(crate) const VERSION: &[u8] = b"zVERSION\0";

/// The largest frame sent. clamd reads a frame into a buffer of its own before writing it to
/// its temp file; frames of this size keep its reads large and the headers few.
pub(crate) const MAX_FRAME: usize = 64 * 1024;
/// The header of a full frame, shared by all of them.
static FULL_FRAME: [u8; 4] = (MAX_FRAME as u32).to_be_bytes();
/// The zero-length frame that ends the stream.
pub(crate) const END: &[u8] = &[0; 4];
/// Longer answers are not clamd's.
pub(crate) const MAX_REPLY: usize = 4096;

/// `INSTREAM` frames (`<u32 BE length><bytes>`, at most [`MAX_FRAME`] bytes each) of the bytes
/// of `chunks`, as pieces to write in order. The chunks are sliced, not copied, and a frame may
/// span several chunks, so that small chunks do not make small frames.
pub(crate) fn frames(chunks: &[Bytes]) -> Vec<Bytes> {
    let mut remaining: usize = chunks.iter().map(Bytes::len).sum();
    let mut pieces = Vec::with_capacity(2 * chunks.len() + 2 * remaining / MAX_FRAME + 1);
    let mut left_in_frame = 0;
    for chunk in chunks {
        let mut chunk = chunk.clone();
        while !chunk.is_empty() {
            if left_in_frame == 0 {
                left_in_frame = remaining.min(MAX_FRAME);
                pieces.push(header(left_in_frame));
            }
            let piece = chunk.split_to(left_in_frame.min(chunk.len()));
            left_in_frame -= piece.len();
            remaining -= piece.len();
            pieces.push(piece);
        }
    }
    pieces
}

fn header(len: usize) -> Bytes {
    if len == MAX_FRAME { Bytes::from_static(&FULL_FRAME) } else { Bytes::copy_from_slice(&(len as u32).to_be_bytes()) }
}

/// The verdict in clamd's answer to `INSTREAM`: `stream: OK`, `stream: <signature> FOUND`;
/// anything else (its errors end in `ERROR`) is a protocol error.
pub(crate) fn verdict(reply: &str) -> Result<Verdict, ScanError> {
    let unexpected = || ScanError::Protocol(format!("clamd answered {reply:?}"));
    let result = reply.strip_prefix("stream: ").ok_or_else(unexpected)?;
    if result == "OK" {
        return Ok(Verdict::Clean);
    }
    match result.strip_suffix(" FOUND") {
        Some(signature) if !signature.trim().is_empty() => Ok(Verdict::Infected(signature.trim().to_owned())),
        _ => Err(unexpected()),
    }
}
