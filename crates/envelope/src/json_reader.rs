//! A pull tokenizer over a JSON file, for payloads too large to parse into memory.
//!
//! It reads through one fixed buffer of [`READ_BUFFER`] bytes and never holds a whole value:
//! the caller walks objects and arrays key by key, reads the short strings it wants (each capped
//! at a length it chooses), skips everything else (any JSON type, nested to [`MAX_DEPTH`]) and
//! takes long strings piece by piece ([`JsonReader::next_piece`]). Any deviation from the JSON
//! grammar is an [`EnvelopeError::InvalidJson`] naming the byte offset.
//!
//! Strings that are skipped or taken piece by piece are not checked for valid UTF-8 (their bytes
//! are never used as text); strings read whole are.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::EnvelopeError;

/// Bytes read from the file at a time; the reader's only buffer.
pub(crate) const READ_BUFFER: usize = 128 * 1024;
/// How deeply skipped values may nest.
pub(crate) const MAX_DEPTH: usize = 128;
/// Keys longer than this are read as "some other key".
const MAX_KEY_BYTES: usize = 64;

pub(crate) struct JsonReader<R> {
    source: R,
    path: PathBuf,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Bytes of the source before `buf[0]`, for error offsets.
    before: u64,
}

/// What comes next inside a string.
pub(crate) enum Piece {
    /// `len` bytes of plain text at the cursor; take them with [`JsonReader::take`].
    Text(usize),
    /// One escape sequence, decoded.
    Escaped(char),
    /// The closing quote (consumed).
    End,
}

/// An object key; keys longer than [`MAX_KEY_BYTES`] are kept only as "too long".
pub(crate) struct Key(Option<String>);

impl Key {
    pub(crate) fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<R: AsyncRead + Unpin> JsonReader<R> {
    /// `path` is only for error messages.
    pub(crate) fn new(source: R, path: &Path) -> Self {
        Self { source, path: path.to_owned(), buf: vec![0; READ_BUFFER].into_boxed_slice(), pos: 0, end: 0, before: 0 }
    }

    /// The reader's buffer size, which never changes.
    #[cfg(test)]
    pub(crate) fn buffer_len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn error(&self, what: &str) -> EnvelopeError {
        EnvelopeError::InvalidJson(format!("{what} at byte {}", self.before + self.pos as u64))
    }

    /// Makes sure a byte is buffered; `false` at the end of the file.
    async fn fill(&mut self) -> Result<bool, EnvelopeError> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.before += self.end as u64;
        self.pos = 0;
        self.end = 0;
        let n = self.source.read(&mut self.buf).await.map_err(EnvelopeError::io("read", &self.path))?;
        self.end = n;
        Ok(n > 0)
    }

    async fn peek(&mut self) -> Result<Option<u8>, EnvelopeError> {
        Ok(if self.fill().await? { Some(self.buf[self.pos]) } else { None })
    }

    async fn next_byte(&mut self, context: &str) -> Result<u8, EnvelopeError> {
        match self.peek().await? {
            Some(b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.error(&format!("the file ends inside {context}"))),
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    pub(crate) async fn peek_token(&mut self) -> Result<Option<u8>, EnvelopeError> {
        loop {
            if !self.fill().await? {
                return Ok(None);
            }
            let buffered = &self.buf[self.pos..self.end];
            match buffered.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
                Some(i) => {
                    self.pos += i;
                    return Ok(Some(self.buf[self.pos]));
                }
                None => self.pos = self.end,
            }
        }
    }

    /// Consumes the next token, which must be `byte`.
    pub(crate) async fn expect(&mut self, byte: u8, what: &str) -> Result<(), EnvelopeError> {
        if self.peek_token().await? == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    /// Only whitespace may follow the top-level value.
    pub(crate) async fn expect_end(&mut self) -> Result<(), EnvelopeError> {
        match self.peek_token().await? {
            None => Ok(()),
            Some(_) => Err(self.error("unexpected data after the top-level value")),
        }
    }

    /// Inside an object whose `{` is consumed: the next key (with its `:` consumed), or `None`
    /// once the closing `}` is consumed. `first` tracks whether a comma is due.
    pub(crate) async fn next_key(&mut self, first: &mut bool) -> Result<Option<Key>, EnvelopeError> {
        let token = self.peek_token().await?;
        if std::mem::take(first) {
            if token == Some(b'}') {
                self.pos += 1;
                return Ok(None);
            }
        } else {
            match token {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(None);
                }
                _ => return Err(self.error("expected `,` or `}` in an object")),
            }
        }
        self.expect(b'"', "expected a key in an object").await?;
        let key = self.read_string(MAX_KEY_BYTES).await?;
        self.expect(b':', "expected `:` after a key").await?;
        Ok(Some(Key(key)))
    }

    /// Inside an array whose `[` is consumed: `true` when an item follows (its leading comma
    /// consumed), `false` once the closing `]` is consumed.
    pub(crate) async fn next_item(&mut self, first: &mut bool) -> Result<bool, EnvelopeError> {
        let token = self.peek_token().await?;
        if std::mem::take(first) {
            if token == Some(b']') {
                self.pos += 1;
                return Ok(false);
            }
            return Ok(true);
        }
        match token {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error("expected `,` or `]` in an array")),
        }
    }

    /// Inside a string whose opening quote is consumed: what comes next.
    pub(crate) async fn next_piece(&mut self) -> Result<Piece, EnvelopeError> {
        if !self.fill().await? {
            return Err(self.error("the file ends inside a string"));
        }
        match self.buf[self.pos] {
            b'"' => {
                self.pos += 1;
                Ok(Piece::End)
            }
            b'\\' => {
                self.pos += 1;
                self.escape().await.map(Piece::Escaped)
            }
            b if b < 0x20 => Err(self.error("control character in a string")),
            _ => {
                let buffered = &self.buf[self.pos..self.end];
                let len = buffered.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(buffered.len());
                Ok(Piece::Text(len))
            }
        }
    }

    /// Consumes and returns `len` bytes of text announced by [`Piece::Text`].
    pub(crate) fn take(&mut self, len: usize) -> &[u8] {
        let start = self.pos;
        self.pos += len;
        &self.buf[start..self.pos]
    }

    /// After a backslash: one escape sequence, with surrogate pairs joined.
    async fn escape(&mut self) -> Result<char, EnvelopeError> {
        let simple = match self.next_byte("an escape sequence").await? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4().await?;
                let code = match unit {
                    0xD800..=0xDBFF => {
                        if self.next_byte("a surrogate pair").await? != b'\\'
                            || self.next_byte("a surrogate pair").await? != b'u'
                        {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        let low = self.hex4().await?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(self.error("lone surrogate in a string"));
                        }
                        0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone surrogate in a string")),
                    unit => unit,
                };
                return char::from_u32(code).ok_or_else(|| self.error("invalid escape"));
            }
            _ => return Err(self.error("invalid escape sequence")),
        };
        Ok(simple)
    }

    async fn hex4(&mut self) -> Result<u32, EnvelopeError> {
        let mut value = 0;
        for _ in 0..4 {
            let digit = self.next_byte("a \\u escape").await?;
            let digit = (digit as char).to_digit(16).ok_or_else(|| self.error("invalid \\u escape"))?;
            value = value * 16 + digit;
        }
        Ok(value)
    }

    /// After the opening quote: the whole string if it holds at most `max` bytes of UTF-8,
    /// `None` if it is longer (it is consumed either way).
    pub(crate) async fn read_string(&mut self, max: usize) -> Result<Option<String>, EnvelopeError> {
        let mut text = Vec::new();
        let mut too_long = false;
        loop {
            match self.next_piece().await? {
                Piece::End => break,
                Piece::Text(len) => {
                    let piece = self.take(len);
                    too_long |= text.len() + piece.len() > max;
                    if !too_long {
                        text.extend_from_slice(piece);
                    }
                }
                Piece::Escaped(c) => {
                    let mut utf8 = [0; 4];
                    let encoded = c.encode_utf8(&mut utf8).as_bytes();
                    too_long |= text.len() + encoded.len() > max;
                    if !too_long {
                        text.extend_from_slice(encoded);
                    }
                }
            }
        }
        if too_long {
            return Ok(None);
        }
        String::from_utf8(text).map(Some).map_err(|_| self.error("invalid UTF-8 in a string"))
    }

    /// After the opening quote: consumes the rest of the string.
    pub(crate) async fn skip_string(&mut self) -> Result<(), EnvelopeError> {
        loop {
            match self.next_piece().await? {
                Piece::End => return Ok(()),
                Piece::Text(len) => self.pos += len,
                Piece::Escaped(_) => {}
            }
        }
    }

    /// Consumes one value of any type, however large, keeping only a stack of open brackets.
    pub(crate) async fn skip_value(&mut self) -> Result<(), EnvelopeError> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // A value is due.
            match self.peek_token().await? {
                Some(b'"') => {
                    self.pos += 1;
                    self.skip_string().await?;
                }
                Some(bracket @ (b'{' | b'[')) => {
                    self.pos += 1;
                    let close = if bracket == b'{' { b'}' } else { b']' };
                    if self.peek_token().await? == Some(close) {
                        self.pos += 1;
                    } else {
                        if open.len() == MAX_DEPTH {
                            return Err(self.error("values nested too deeply"));
                        }
                        open.push(close);
                        if close == b'}' {
                            self.skip_key().await?;
                        }
                        continue;
                    }
                }
                Some(b't') => self.literal(b"true").await?,
                Some(b'f') => self.literal(b"false").await?,
                Some(b'n') => self.literal(b"null").await?,
                Some(b'-' | b'0'..=b'9') => self.number().await?,
                _ => return Err(self.error("expected a value")),
            }
            // A value ended: close what it ends, or move to the next value.
            loop {
                let Some(&close) = open.last() else { return Ok(()) };
                match self.peek_token().await? {
                    Some(b',') => {
                        self.pos += 1;
                        if close == b'}' {
                            self.skip_key().await?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        open.pop();
                    }
                    _ => return Err(self.error("expected `,` or a closing bracket")),
                }
            }
        }
    }

    async fn skip_key(&mut self) -> Result<(), EnvelopeError> {
        self.expect(b'"', "expected a key in an object").await?;
        self.skip_string().await?;
        self.expect(b':', "expected `:` after a key").await
    }

    async fn literal(&mut self, word: &[u8]) -> Result<(), EnvelopeError> {
        for &expected in word {
            if self.next_byte("a literal").await? != expected {
                return Err(self.error("invalid literal"));
            }
        }
        Ok(())
    }

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`
    async fn number(&mut self) -> Result<(), EnvelopeError> {
        if self.peek().await? == Some(b'-') {
            self.pos += 1;
        }
        match self.peek().await? {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits().await?,
            _ => return Err(self.error("invalid number")),
        }
        if self.peek().await? == Some(b'.') {
            self.pos += 1;
            self.digits().await?;
        }
        if matches!(self.peek().await?, Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek().await?, Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.digits().await?;
        }
        Ok(())
    }

    /// One or more digits.
    async fn digits(&mut self) -> Result<(), EnvelopeError> {
        let mut count = 0;
        while let Some(b'0'..=b'9') = self.peek().await? {
            self.pos += 1;
            count += 1;
        }
        if count == 0 { Err(self.error("invalid number")) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(json: &[u8]) -> JsonReader<&[u8]> {
        JsonReader::new(json, Path::new("test.json"))
    }

    /// Skips one value, then requires the end of the input.
    async fn skip_all(json: &str) -> Result<(), EnvelopeError> {
        let mut r = reader(json.as_bytes());
        r.skip_value().await?;
        r.expect_end().await
    }

    #[tokio::test]
    async fn skips_any_valid_value() {
        for json in [
            r#"{}"#,
            r#"[]"#,
            r#" {"a" : [1, -2.5e+3, 0, 0.1, 1E9, true, false, null, "x\"y\\z\u00e9\ud83d\ude00", {"b": {}}, []]} "#,
            r#""just a string""#,
            r#"-0"#,
            r#"[[[[{"deep": [[]]}]]]]"#,
        ] {
            skip_all(json).await.unwrap_or_else(|e| panic!("{json}: {e}"));
        }
    }

    #[tokio::test]
    async fn refuses_invalid_json() {
        for json in [
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"[01]"#,
            r#"[1.]"#,
            r#"[-]"#,
            r#"[1e]"#,
            r#"[tru]"#,
            r#"["unterminated]"#,
            r#"["bad \x escape"]"#,
            r#"["lone \ud800 surrogate"]"#,
            r#"["lone \udc00 surrogate"]"#,
            "[\"raw\ncontrol\"]",
            r#"[1 2]"#,
            r#"{"a":1]"#,
            r#"[1] [2]"#,
            r#""#,
            r#"{"a":{"b":[1,2}}"#,
        ] {
            let err = skip_all(json).await.expect_err(json);
            assert_eq!(err.code(), "invalid-json", "{json}");
        }
        let deep = format!("{}0{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(skip_all(&deep).await.is_err());
        let ok = format!("{}0{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        skip_all(&ok).await.unwrap();
    }

    #[tokio::test]
    async fn reads_strings_with_escapes_and_a_length_cap() {
        let mut r = reader(br#""a\"b\\c\/d\n\u00e9\ud83d\ude00" "long enough" "\u00e9""#);
        r.expect(b'"', "").await.unwrap();
        assert_eq!(r.read_string(100).await.unwrap().as_deref(), Some("a\"b\\c/d\né😀"));
        r.expect(b'"', "").await.unwrap();
        assert_eq!(r.read_string(5).await.unwrap(), None);
        r.expect(b'"', "").await.unwrap();
        // é is two bytes of UTF-8.
        assert_eq!(r.read_string(1).await.unwrap(), None);
        r.expect_end().await.unwrap();
    }

    #[tokio::test]
    async fn errors_name_the_byte_offset() {
        let err = skip_all(r#"{"a": ?}"#).await.unwrap_err();
        assert!(err.to_string().contains("at byte 6"), "{err}");
    }
}
