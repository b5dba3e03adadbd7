//! A guard for the front of a `multipart/form-data` parser.
//!
//! The parser (multer) holds two regions of the body whole until it sees their end: the
//! preamble (everything before the first boundary) and each part's header block (from the
//! boundary line to the blank line). A body that never ends either region would be held whole.
//! [`MultipartScanner`] follows the body's structure as the bytes go by, exactly where the
//! parser looks for each delimiter, keeping no more than a delimiter's length of them, and fails
//! the moment either region grows past its limit. Part data is not bounded here: the per-file
//! and per-request limits do that, and the parser streams it.
//!
//! ```
//! use vps_ingest::multipart::{MultipartLimits, MultipartScanner};
//!
//! let limits = MultipartLimits { max_preamble_bytes: 16, max_header_bytes: 128 };
//! let mut scanner = MultipartScanner::new("XyZ", limits);
//! scanner.feed(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello").unwrap();
//! scanner.feed(b"\r\n--XyZ--\r\n").unwrap();
//! assert!(MultipartScanner::new("XyZ", limits).feed(&[b'x'; 64]).is_err());
//! ```

use memchr::memmem;

/// How many bytes the preamble and each part's header block may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Bytes before the first boundary.
    pub max_preamble_bytes: u64,
    /// Bytes of one part's header block, from the end of its boundary to the end of the blank
    /// line (transport padding and the boundary line's CRLF included).
    pub max_header_bytes: u64,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        Self { max_preamble_bytes: 64 * 1024, max_header_bytes: 16 * 1024 }
    }
}

/// A limit crossed: the body is refused as malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MultipartLimitError {
    /// The first boundary did not come within [`MultipartLimits::max_preamble_bytes`].
    #[error(
        "no boundary within the first {limit} bytes: the preamble is longer than the limit (MULTIPART_MAX_PREAMBLE_BYTES)"
    )]
    PreambleTooLarge {
        /// The most bytes accepted before the first boundary.
        limit: u64,
    },
    /// A part's header block did not end within [`MultipartLimits::max_header_bytes`].
    #[error(
        "a part's headers do not end within {limit} bytes: the header block is longer than the limit (MULTIPART_MAX_HEADER_BYTES)"
    )]
    HeadersTooLarge {
        /// The most bytes accepted for one part's headers.
        limit: u64,
    },
}

/// Where in the body the next byte is, as the parser sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Looking for the first `--boundary`.
    Preamble,
    /// Just after a `--boundary`: `--` ends the body, anything else starts a part.
    AfterBoundary,
    /// Saw one `-` after the boundary.
    Dash,
    /// Spaces and tabs after the boundary, then its CRLF.
    Padding,
    /// Saw the CR of the boundary line.
    LineFeed,
    /// The part's headers, up to CRLFCRLF.
    Headers,
    /// The part's data, up to CRLF `--boundary`.
    Data,
    /// After the closing boundary, or after bytes the parser itself refuses: nothing to bound.
    Done,
    Failed(MultipartLimitError),
}

/// Follows one multipart body; see the module documentation.
pub struct MultipartScanner {
    limits: MultipartLimits,
    stage: Stage,
    /// Bytes seen in the current bounded region (the preamble, or the header block so far).
    count: u64,
    first: Finder,
    delimiter: Finder,
    headers_end: Finder,
}

impl MultipartScanner {
    /// A scanner for a body delimited by `boundary` (the `boundary` parameter of its
    /// `Content-Type`, without the leading `--`).
    pub fn new(boundary: &str, limits: MultipartLimits) -> Self {
        Self {
            limits,
            stage: Stage::Preamble,
            count: 0,
            first: Finder::new(format!("--{boundary}").into_bytes()),
            delimiter: Finder::new(format!("\r\n--{boundary}").into_bytes()),
            headers_end: Finder::new(b"\r\n\r\n".to_vec()),
        }
    }

    /// Takes the body's next bytes. After an error, every later call answers the same error.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), MultipartLimitError> {
        let mut rest = data;
        while !rest.is_empty() {
            match self.stage {
                Stage::Preamble => {
                    let pattern = self.first.len() as u64;
                    match self.first.find_end(rest) {
                        Some(end) => {
                            let preamble = (self.count + end as u64).saturating_sub(pattern);
                            self.check_preamble(preamble)?;
                            self.enter_boundary();
                            rest = &rest[end..];
                        }
                        None => {
                            self.count += rest.len() as u64;
                            // The last bytes may be the start of the boundary.
                            return self.check_preamble(self.count.saturating_sub(pattern - 1));
                        }
                    }
                }
                Stage::AfterBoundary => {
                    if rest[0] == b'-' {
                        self.stage = Stage::Dash;
                        rest = &rest[1..];
                    } else {
                        self.stage = Stage::Padding;
                    }
                }
                Stage::Dash => {
                    // `--boundary--` ends the body; `--boundary-x` is refused by the parser.
                    self.stage = Stage::Done;
                }
                Stage::Padding => {
                    let spaces = rest.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
                    self.add_header_bytes(spaces)?;
                    rest = &rest[spaces..];
                    if let Some(&byte) = rest.first() {
                        self.stage = if byte == b'\r' { Stage::LineFeed } else { Stage::Done };
                        self.add_header_bytes(1)?;
                        rest = &rest[1..];
                    }
                }
                Stage::LineFeed => {
                    if rest[0] == b'\n' {
                        self.stage = Stage::Headers;
                        self.headers_end.reset();
                    } else {
                        self.stage = Stage::Done;
                    }
                    self.add_header_bytes(1)?;
                    rest = &rest[1..];
                }
                Stage::Headers => match self.headers_end.find_end(rest) {
                    Some(end) => {
                        self.add_header_bytes(end)?;
                        self.stage = Stage::Data;
                        self.delimiter.reset();
                        rest = &rest[end..];
                    }
                    None => return self.add_header_bytes(rest.len()),
                },
                Stage::Data => match self.delimiter.find_end(rest) {
                    Some(end) => {
                        self.enter_boundary();
                        rest = &rest[end..];
                    }
                    None => return Ok(()),
                },
                Stage::Done => return Ok(()),
                Stage::Failed(error) => return Err(error),
            }
        }
        match self.stage {
            Stage::Failed(error) => Err(error),
            _ => Ok(()),
        }
    }

    fn enter_boundary(&mut self) {
        self.stage = Stage::AfterBoundary;
        self.count = 0;
    }

    fn check_preamble(&mut self, preamble: u64) -> Result<(), MultipartLimitError> {
        if preamble > self.limits.max_preamble_bytes {
            return self.fail(MultipartLimitError::PreambleTooLarge { limit: self.limits.max_preamble_bytes });
        }
        Ok(())
    }

    fn add_header_bytes(&mut self, n: usize) -> Result<(), MultipartLimitError> {
        self.count += n as u64;
        if self.count > self.limits.max_header_bytes {
            return self.fail(MultipartLimitError::HeadersTooLarge { limit: self.limits.max_header_bytes });
        }
        Ok(())
    }

    fn fail(&mut self, error: MultipartLimitError) -> Result<(), MultipartLimitError> {
        self.stage = Stage::Failed(error);
        Err(error)
    }
}

/// Finds a pattern in a stream fed in pieces, keeping only the bytes that may begin a match.
struct Finder {
    finder: memmem::Finder<'static>,
    /// The last bytes fed (fewer than the pattern's length) when they may begin a match.
    tail: Vec<u8>,
}

impl Finder {
    fn new(pattern: Vec<u8>) -> Self {
        Self { finder: memmem::Finder::new(&pattern).into_owned(), tail: Vec::new() }
    }

    fn len(&self) -> usize {
        self.finder.needle().len()
    }

    fn reset(&mut self) {
        self.tail.clear();
    }

    /// Where the first match ends in `data` (a match may have begun in earlier bytes).
    fn find_end(&mut self, data: &[u8]) -> Option<usize> {
        let k = self.len();
        if !self.tail.is_empty() {
            // A match beginning in the tail needs at most k - 1 bytes of `data`.
            let held = self.tail.len();
            let mut joined = std::mem::take(&mut self.tail);
            joined.extend_from_slice(&data[..data.len().min(k - 1)]);
            if let Some(start) = self.finder.find(&joined) {
                return Some(start + k - held);
            }
            joined.truncate(held);
            self.tail = joined;
        }
        if let Some(start) = self.finder.find(data) {
            self.tail.clear();
            return Some(start + k);
        }
        // Keep the last k - 1 bytes seen.
        let keep = k - 1;
        if data.len() >= keep {
            self.tail.clear();
            self.tail.extend_from_slice(&data[data.len() - keep..]);
        } else {
            self.tail.extend_from_slice(data);
            let excess = self.tail.len().saturating_sub(keep);
            self.tail.drain(..excess);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: MultipartLimits = MultipartLimits { max_preamble_bytes: 64, max_header_bytes: 128 };

    fn part(name: &str, data: &[u8]) -> Vec<u8> {
        let mut out =
            format!("--B0undary\r\nContent-Disposition: form-data; name=\"assets\"; filename=\"{name}\"\r\n\r\n")
                .into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    }

    /// Feeds `body` in pieces of `size` bytes; answers the first error.
    fn feed_in_pieces(body: &[u8], size: usize) -> Result<(), MultipartLimitError> {
        let mut scanner = MultipartScanner::new("B0undary", LIMITS);
        body.chunks(size).try_for_each(|piece| scanner.feed(piece))
    }

    fn every_split(body: &[u8]) -> Vec<Result<(), MultipartLimitError>> {
        [1, 2, 3, 7, 11, 64, body.len().max(1)].iter().map(|&size| feed_in_pieces(body, size)).collect()
    }

    #[test]
    fn a_well_formed_body_passes_however_it_is_cut() {
        let mut body = b"a short preamble\r\n".to_vec();
        body.extend(part("a.png", &[b'x'; 300]));
        // Data that looks like a boundary without its CRLF, and CRLFCRLF inside data.
        body.extend(part("b.png", b"--B0undar\r\n\r\nnot at a line start: --B0undary"));
        body.extend(b"--B0undary--\r\nepilogue of any length".iter().chain([b'e'; 1000].iter()));
        for result in every_split(&body) {
            assert_eq!(result, Ok(()));
        }
    }

    #[test]
    fn a_preamble_without_a_boundary_fails_once_past_the_limit() {
        let body = vec![b'p'; 200];
        for result in every_split(&body) {
            assert_eq!(result, Err(MultipartLimitError::PreambleTooLarge { limit: 64 }));
        }
        // Exactly at the limit, then the boundary: fine.
        let mut body = vec![b'p'; 64];
        body.extend(part("a.png", b"data"));
        body.extend(b"--B0undary--");
        assert!(every_split(&body).iter().all(Result::is_ok));
        // One byte more: refused even though the boundary comes.
        body.insert(0, b'p');
        assert!(every_split(&body).iter().all(Result::is_err));
    }

    #[test]
    fn part_headers_that_never_end_fail_once_past_the_limit() {
        let mut body = part("a.png", b"data");
        body.extend(b"--B0undary\r\nContent-Disposition: form-data; name=\"assets\"\r\nX-Long: ");
        body.extend([b'h'; 200]);
        for result in every_split(&body) {
            assert_eq!(result, Err(MultipartLimitError::HeadersTooLarge { limit: 128 }));
        }
    }

    #[test]
    fn endless_transport_padding_counts_as_header_bytes() {
        let mut body = b"--B0undary".to_vec();
        body.extend([b' '; 200]);
        for result in every_split(&body) {
            assert_eq!(result, Err(MultipartLimitError::HeadersTooLarge { limit: 128 }));
        }
    }

    #[test]
    fn a_part_without_headers_is_read_as_the_parser_reads_it() {
        // The parser looks for CRLFCRLF after the boundary line's CRLF: here the header block
        // only ends at the second blank line, so the bytes between count as headers.
        let mut body = b"--B0undary\r\n\r\n".to_vec();
        body.extend([b'd'; 200]);
        for result in every_split(&body) {
            assert_eq!(result, Err(MultipartLimitError::HeadersTooLarge { limit: 128 }));
        }
    }

    #[test]
    fn an_error_is_answered_again() {
        let mut scanner = MultipartScanner::new("B0undary", LIMITS);
        assert!(scanner.feed(&[b'p'; 100]).is_err());
        assert!(scanner.feed(b"--B0undary").is_err());
    }
}
