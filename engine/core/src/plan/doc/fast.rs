//! The fast way of [`Doc::parse`]: a byte-level reader specialised for the path trie.
//! It descends along mapped paths and checks every other value while skipping it
//! (syntax, control characters and escapes in strings, numbers, literals), in one pass
//! that also does the work of [`refuse`](super::refuse): no value goes through a
//! visitor, and no raw text is read twice.
//!
//! It accepts only what the serde_json way accepts and builds the same document. Rare
//! input it does not handle itself makes it give up ([`Bail`]), and the serde_json way
//! reads the record instead, with its exact errors and rewrites: any syntax error, an
//! escape in a key, a `\u` escape of a surrogate, a number with an exponent or of
//! [`SAFE_NUMBER_LEN`] bytes or more, nesting close to [`MAX_DEPTH`], a repeated key.

use std::borrow::Cow;

use serde_json::Value;

use super::refuse::{MAX_DEPTH, SAFE_NUMBER_LEN, earlier_key, key_bit};
use super::{Doc, Entry, Mode, Val, key_values, mode};
use crate::plan::trie::{NodeId, Trie};

/// The fast way gave up: the serde_json way reads the record.
#[derive(Debug)]
pub(super) struct Bail;

/// Reads the top-level object of `input` into `doc` (empty on entry), returning it.
pub(super) fn parse<'a>(input: &'a str, trie: &Trie, doc: &mut Doc<'a>) -> Result<Val<'a>, Bail> {
    let mut r = Reader {
        text: input,
        bytes: input.as_bytes(),
        i: 0,
        trie,
        doc,
    };
    r.ws();
    if r.peek() != Some(b'{') {
        return Err(Bail);
    }
    let root = r.object(super::ROOT, 0)?;
    r.ws();
    if r.i != r.bytes.len() {
        return Err(Bail);
    }
    Ok(root)
}

struct Reader<'a, 't, 'd> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    i: usize,
    trie: &'t Trie,
    doc: &'d mut Doc<'a>,
}

/// Eight copies of a byte.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

impl<'a> Reader<'a, '_, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.i).copied()
    }

    /// Skips JSON whitespace.
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// Reads the byte `b` (after whitespace).
    #[inline]
    fn expect(&mut self, b: u8) -> Result<(), Bail> {
        self.ws();
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Opens the container at `i`, closed by `close`: true when an item follows.
    #[inline]
    fn open(&mut self, close: u8) -> bool {
        self.i += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            false
        } else {
            true
        }
    }

    /// After an item of a container closed by `close`: true when another item follows
    /// (its comma read), false when the container ends.
    #[inline]
    fn more(&mut self, close: u8) -> Result<bool, Bail> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                self.ws();
                Ok(true)
            }
            Some(b) if b == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(Bail),
        }
    }

    /// Reads the string literal at `i` (its opening quote); returns its text between
    /// the quotes and whether it holds an escape.
    #[inline]
    fn string(&mut self) -> Result<(&'a str, bool), Bail> {
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            // The first quote, backslash or control character, eight bytes at a time.
            while let Some(chunk) = self.bytes.get(i..i + 8) {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let x = u64::from_le_bytes(word);
                let quote = x ^ splat(b'"');
                let slash = x ^ splat(b'\\');
                let found = (quote.wrapping_sub(splat(1)) & !quote)
                    | (slash.wrapping_sub(splat(1)) & !slash)
                    | (x.wrapping_sub(splat(0x20)) & !x);
                let found = found & splat(0x80);
                if found != 0 {
                    i += (found.trailing_zeros() / 8) as usize;
                    break;
                }
                i += 8;
            }
            match self.bytes.get(i) {
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok((&self.text[start..i], escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape(i)?;
                }
                Some(0..0x20) | None => return Err(Bail),
                Some(_) => i += 1,
            }
        }
    }

    /// Checks the escape at `i` (its backslash); returns the offset past it.
    #[inline]
    fn escape(&self, i: usize) -> Result<usize, Bail> {
        match self.bytes.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => {
                let hex = self.bytes.get(i + 2..i + 6).ok_or(Bail)?;
                let mut unit = 0u32;
                for &h in hex {
                    unit = unit * 16 + char::from(h).to_digit(16).ok_or(Bail)?;
                }
                // A surrogate, paired or not, is left to the serde_json way.
                if (0xD800..=0xDFFF).contains(&unit) {
                    return Err(Bail);
                }
                Ok(i + 6)
            }
            _ => Err(Bail),
        }
    }

    /// Reads the number at `i` as JSON's grammar has it.
    #[inline]
    fn number(&mut self) -> Result<(), Bail> {
        let start = self.i;
        let mut i = start;
        if self.bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match self.bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = self.digits(i + 1),
            _ => return Err(Bail),
        }
        if self.bytes.get(i) == Some(&b'.') {
            let after = self.digits(i + 1);
            if after == i + 1 {
                return Err(Bail);
            }
            i = after;
        }
        // An exponent can take a number out of `f64`'s range, and a long one can be
        // out of range too: the serde_json way decides.
        if matches!(self.bytes.get(i), Some(b'e' | b'E' | b'0'..=b'9'))
            || i - start >= SAFE_NUMBER_LEN
        {
            return Err(Bail);
        }
        self.i = i;
        Ok(())
    }

    #[inline]
    fn digits(&self, mut i: usize) -> usize {
        while let Some(b'0'..=b'9') = self.bytes.get(i) {
            i += 1;
        }
        i
    }

    /// Reads the literal `word` (`true`, `false`, `null`) at `i`.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Result<(), Bail> {
        if self.bytes.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Skips the value at `i`, inside `depth` objects and arrays, checking it; returns
    /// its text.
    fn raw(&mut self, depth: usize) -> Result<&'a str, Bail> {
        let start = self.i;
        self.skip(depth)?;
        Ok(&self.text[start..self.i])
    }

    fn skip(&mut self, depth: usize) -> Result<(), Bail> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'{') => self.skip_object(depth + 1),
            Some(b'[') => self.skip_array(depth + 1),
            _ => Err(Bail),
        }
    }

    /// Skips an object that is the `depth`th container down; a key it repeats makes the
    /// reader give up (the serde_json way rewrites it so that the last one wins).
    fn skip_object(&mut self, depth: usize) -> Result<(), Bail> {
        if depth >= MAX_DEPTH {
            return Err(Bail);
        }
        let open = self.i;
        if !self.open(b'}') {
            return Ok(());
        }
        let mut seen = 0u128;
        loop {
            if self.peek() != Some(b'"') {
                return Err(Bail);
            }
            let at = self.i;
            let (key, escaped) = self.string()?;
            let bit = key_bit(key.as_bytes());
            if escaped
                || (seen & bit != 0
                    && earlier_key(self.bytes, open, at, key.as_bytes(), self.doc.escapes))
            {
                return Err(Bail);
            }
            seen |= bit;
            self.expect(b':')?;
            self.ws();
            self.skip(depth)?;
            if !self.more(b'}')? {
                return Ok(());
            }
        }
    }

    fn skip_array(&mut self, depth: usize) -> Result<(), Bail> {
        if depth >= MAX_DEPTH {
            return Err(Bail);
        }
        if !self.open(b']') {
            return Ok(());
        }
        loop {
            self.skip(depth)?;
            if !self.more(b']')? {
                return Ok(());
            }
        }
    }

    /// The value at `i`, of the trie node `child` (none: a key no path reads), found
    /// inside `depth` containers; returns what its container keeps.
    fn child(&mut self, child: Option<NodeId>, depth: usize) -> Result<Val<'a>, Bail> {
        let Some(c) = child else {
            return self.raw(depth).map(Val::Raw);
        };
        match mode(self.trie, c) {
            Mode::Raw => {
                let raw = self.raw(depth)?;
                self.doc.slots[c as usize] = Some(Val::Raw(raw));
                Ok(Val::Slot(c))
            }
            Mode::Descend => {
                let v = self.value(c, depth + 1)?;
                self.doc.slots[c as usize] = Some(v);
                Ok(Val::Slot(c))
            }
            // Kept raw in the slot, and descended for the container's entry.
            Mode::Both => {
                let start = self.i;
                let raw = self.raw(depth)?;
                self.doc.slots[c as usize] = Some(Val::Raw(raw));
                let end = self.i;
                self.i = start;
                let v = self.value(c, depth + 1)?;
                debug_assert_eq!(self.i, end);
                Ok(v)
            }
        }
    }

    /// A value on a mapped path (node `node`, at `depth`): objects and arrays are
    /// descended, strings read, other scalars parsed.
    fn value(&mut self, node: NodeId, depth: usize) -> Result<Val<'a>, Bail> {
        match self.peek() {
            Some(b'{') => self.object(node, depth),
            Some(b'[') => self.array(node, depth),
            Some(b'"') => {
                let start = self.i;
                let (text, escaped) = self.string()?;
                let key_values = self.trie.node(node).key_values;
                if !escaped && !key_values {
                    return Ok(Val::Text(Cow::Borrowed(text)));
                }
                if key_values && memchr::memmem::find(text.as_bytes(), b"\\u").is_none() {
                    // Lines read as written: most borrow from the input.
                    let pairs = key_values::pairs(key_values::escaped_lines(text));
                    return Ok(self
                        .doc
                        .key_value_object(self.trie, node, pairs.into_iter()));
                }
                let literal = &self.text[start..self.i];
                let text: String = serde_json::from_str(literal).map_err(|_| Bail)?;
                if !key_values {
                    return Ok(Val::Text(Cow::Owned(text)));
                }
                Ok(self.doc.key_values(self.trie, node, &text))
            }
            _ => {
                let raw = self.raw(depth)?;
                let value: Value = serde_json::from_str(raw).map_err(|_| Bail)?;
                Ok(Val::Scalar(value))
            }
        }
    }

    /// An object on a mapped path: its keys in source order, those on paths descended.
    fn object(&mut self, node: NodeId, depth: usize) -> Result<Val<'a>, Bail> {
        if depth >= MAX_DEPTH {
            return Err(Bail);
        }
        let open = self.i;
        let mut entries: Vec<Entry<'a>> = Vec::with_capacity(8);
        let mut more = self.open(b'}');
        let mut seen = 0u128;
        while more {
            if self.peek() != Some(b'"') {
                return Err(Bail);
            }
            let at = self.i;
            let (key, escaped) = self.string()?;
            if escaped {
                return Err(Bail);
            }
            let child = self.trie.child_key(node, key);
            let repeated = if let Some(c) = child {
                self.doc.slots[c as usize].is_some()
            } else {
                let bit = key_bit(key.as_bytes());
                let met = seen & bit != 0
                    && earlier_key(self.bytes, open, at, key.as_bytes(), self.doc.escapes);
                seen |= bit;
                met
            };
            if repeated {
                return Err(Bail);
            }
            self.expect(b':')?;
            self.ws();
            let val = self.child(child, depth)?;
            entries.push(Entry {
                key: Cow::Borrowed(key),
                node: child,
                val,
            });
            more = self.more(b'}')?;
        }
        self.doc.objects.push(entries);
        Ok(Val::Object((self.doc.objects.len() - 1) as u32))
    }

    /// An array on a mapped path: its elements, those on paths descended.
    fn array(&mut self, node: NodeId, depth: usize) -> Result<Val<'a>, Bail> {
        if depth >= MAX_DEPTH {
            return Err(Bail);
        }
        let mut items = Vec::new();
        let mut more = self.open(b']');
        while more {
            let child = self.trie.child_index(node, items.len());
            let val = self.child(child, depth)?;
            items.push((child, val));
            more = self.more(b']')?;
        }
        self.doc.arrays.push(items);
        Ok(Val::Array((self.doc.arrays.len() - 1) as u32))
    }
}
