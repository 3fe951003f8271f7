//! The decoded byte stream of one input, seen through a window that the framers read
//! from and drop behind them, so memory stays bounded whatever the input holds.
//!
//! A read error does not discard what was read before it: the window reports the end
//! of input, the framer finishes what is buffered, and the error is handed on after
//! the last record (see [`Window::take_error`]).

use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;

/// How much is read at a time.
pub(super) const CHUNK: usize = 256 << 10;

/// A window over the decoded input: `buf[..]` holds bytes `consumed..consumed + len`.
pub(super) struct Window {
    src: Box<dyn Read + Send>,
    pub(super) buf: Vec<u8>,
    /// Bytes dropped from the front of `buf` so far.
    pub(super) consumed: u64,
    eof: bool,
    error: Option<io::Error>,
    broke_off: bool,
    total_read: u64,
}

impl Window {
    /// Wraps `reader`, decompressing gzip when the stream starts with its magic bytes,
    /// and skips a UTF-8 byte order mark.
    pub(super) fn new(reader: impl Read + Send + 'static) -> io::Result<Self> {
        let mut buffered = BufReader::with_capacity(CHUNK, reader);
        let head = buffered.fill_buf()?;
        let src: Box<dyn Read + Send> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        let mut w = Window {
            src,
            buf: Vec::with_capacity(CHUNK),
            consumed: 0,
            eof: false,
            error: None,
            broke_off: false,
            total_read: 0,
        };
        while w.buf.len() < 3 && w.fill() {}
        if w.buf.starts_with(b"\xEF\xBB\xBF") {
            w.buf.drain(..3);
            w.consumed = 3;
        }
        Ok(w)
    }

    /// Reads more input; false at the end of input or after a read error.
    pub(super) fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        // `read_to_end` fills spare capacity without zeroing it first, and keeps what
        // it read before an error.
        let before = self.buf.len();
        let result = (&mut self.src)
            .take(CHUNK as u64)
            .read_to_end(&mut self.buf);
        let n = self.buf.len() - before;
        self.total_read += n as u64;
        match result {
            Ok(0) => self.eof = true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                self.eof = true;
                self.error = Some(e);
                self.broke_off = true;
            }
        }
        n > 0 || !self.eof
    }

    /// True when every byte of the input is in the window.
    pub(super) fn at_eof(&self) -> bool {
        self.eof
    }

    /// The byte at `i`, reading more input as needed.
    #[inline]
    pub(super) fn at(&mut self, i: usize) -> Option<u8> {
        while i >= self.buf.len() {
            if !self.fill() {
                return None;
            }
        }
        Some(self.buf[i])
    }

    /// Drops `buf[..n]`.
    pub(super) fn drop_front(&mut self, n: usize) {
        self.buf.drain(..n);
        self.consumed += n as u64;
    }

    /// Drops `buf[from..to]`, the middle of a record too large to keep.
    pub(super) fn drop_range(&mut self, from: usize, to: usize) {
        self.buf.drain(from..to);
        self.consumed += (to - from) as u64;
    }

    /// Bytes read from the (decompressed) input so far.
    pub(super) fn bytes_read(&self) -> u64 {
        self.total_read
    }

    /// The read error that ended the input early, once.
    pub(super) fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// Whether a read error ended the input early (reported or not).
    pub(super) fn broke_off(&self) -> bool {
        self.broke_off
    }

    /// Whether a read error ended the input early and is not reported yet.
    pub(super) fn has_error(&self) -> bool {
        self.error.is_some()
    }
}
