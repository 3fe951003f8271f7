//! A linear outline of YAML text: how deep its collections nest, where its documents
//! start and where its first alias is, found without building values or a token queue.
//!
//! YAML parsers spend time in proportion to the open flow collections for every token,
//! so the nesting limit is checked on this outline before the text is parsed. The
//! outline follows the structure YAML parsers see (flow brackets outside quoted
//! scalars, comments and block scalars; block collections by indentation and `- `,
//! `? ` and `key:`), and where it is unsure it counts fewer levels, never more: a
//! document it refuses is one a YAML parser reads as nested past the limit.

use super::super::limits::MAX_NESTING;

/// A place in the text: 1-based line, 0-based column and index in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Mark {
    pub line: usize,
    pub col: usize,
    index: usize,
}

/// Flow levels a YAML scanner allows (its counter is a byte).
const MAX_FLOW_LEVEL: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// What [`scan`] found.
#[derive(Debug, Default)]
pub(super) struct Outline {
    /// The first collection nested deeper than [`MAX_NESTING`], where a YAML parser
    /// reports it (see [`Scanner::open_flow`]).
    pub too_deep: Option<Mark>,
    /// Where the second document starts.
    pub second_document: Option<Mark>,
    pub first_alias: Option<Mark>,
}

/// Outlines `text`; with `stop_when_deep`, stops once the nesting past the limit is
/// placed.
pub(super) fn scan(text: &str, stop_when_deep: bool) -> Outline {
    let mut s = Scanner {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        col: 0,
        index: 0,
        block: Vec::new(),
        flow: 0,
        pending: vec![None],
        early_pending: 0,
        key_allowed: true,
        adjacent_value: false,
        block_scalar: None,
        plain_continues: None,
        documents: 0,
        document_open: false,
        stop_when_deep,
        out: Outline::default(),
    };
    s.run();
    s.out
}

// Each flag is one piece of a YAML scanner's state, as in the scanners it follows.
#[allow(clippy::struct_excessive_bools)]
struct Scanner<'t> {
    b: &'t [u8],
    i: usize,
    line: usize,
    col: usize,
    index: usize,
    /// Open block collections: the column they start at, and their kind.
    block: Vec<(usize, Kind)>,
    /// Open flow collections.
    flow: usize,
    /// Per flow level (0 is the block level), the index of a token that may still turn
    /// out to be a key: a YAML scanner reads ahead until it knows.
    pending: Vec<Option<usize>>,
    /// How many `pending` entries are at or before `too_deep`.
    early_pending: usize,
    key_allowed: bool,
    /// After a quoted scalar or a closing bracket in flow, `:` is a value indicator
    /// even when no space follows.
    adjacent_value: bool,
    /// Inside a block scalar: lines indented deeper than this are its content.
    block_scalar: Option<isize>,
    /// After a plain scalar that ended its line: lines indented deeper than this
    /// continue it.
    plain_continues: Option<isize>,
    documents: usize,
    document_open: bool,
    stop_when_deep: bool,
    out: Outline,
}

/// Why scanning stopped early.
struct Stop;

fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

fn is_blank(b: Option<u8>) -> bool {
    matches!(b, None | Some(b' ' | b'\t' | b'\n' | b'\r'))
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            col: self.col,
            index: self.index,
        }
    }

    /// Moves past one byte (a line break counts as one, `\r\n` as one).
    fn advance(&mut self) {
        let Some(b) = self.peek() else { return };
        self.i += 1;
        if b == b'\n' || (b == b'\r' && self.peek() != Some(b'\n')) {
            self.line += 1;
            self.col = 0;
            self.index += 1;
        } else if b == b'\r' {
            // The `\n` that follows ends the line.
        } else if b & 0xC0 != 0x80 {
            self.col += 1;
            self.index += 1;
        }
    }

    /// Whether the byte before the next one is blank (a `#` there starts a comment).
    fn after_blank(&self) -> bool {
        self.i == 0 || is_blank(Some(self.b[self.i - 1]))
    }

    fn at_line_end(&self) -> bool {
        self.peek().is_none_or(is_break)
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.advance();
        }
    }

    /// Skips the rest of the line and its break.
    fn skip_line(&mut self) {
        while !self.at_line_end() {
            self.advance();
        }
        let line = self.line;
        while self.peek().is_some() && self.line == line {
            self.advance();
        }
    }

    fn top_indent(&self) -> isize {
        self.block.last().map_or(-1, |&(col, _)| col as isize)
    }

    fn run(&mut self) {
        while self.peek().is_some() {
            if self.block_line().is_err() {
                return;
            }
        }
    }

    fn depth(&self) -> usize {
        self.block.len() + self.flow
    }

    /// Records a collection that starts at `at` with the current depth; stops when it
    /// is past the limit and nothing read before it may still be a key.
    fn opened(&mut self, at: Mark) -> Result<(), Stop> {
        if self.depth() > MAX_NESTING && self.out.too_deep.is_none() {
            self.out.too_deep = Some(at);
            self.early_pending = self.pending.iter().flatten().count();
            if self.stop_when_deep && self.early_pending == 0 {
                return Err(Stop);
            }
        }
        Ok(())
    }

    fn is_early(&self, index: usize) -> bool {
        self.out.too_deep.is_some_and(|d| index <= d.index)
    }

    /// Sets the possible key of the current flow level.
    fn set_pending(&mut self, key: Option<usize>) -> Result<(), Stop> {
        let level = self.flow;
        if let Some(old) = self.pending[level]
            && self.is_early(old)
        {
            self.early_pending -= 1;
            if self.stop_when_deep && self.early_pending == 0 {
                self.pending[level] = key;
                return Err(Stop);
            }
        }
        self.pending[level] = key;
        Ok(())
    }

    /// A token that may be a simple key starts here.
    fn may_be_key(&mut self) -> Result<(), Stop> {
        if self.key_allowed {
            let index = self.index;
            self.set_pending(Some(index))?;
        }
        Ok(())
    }

    /// A block collection whose entries start at column `col`; `at` is where a YAML
    /// parser places its start (the `:` of a mapping's first key).
    fn open_block(&mut self, kind: Kind, col: usize, at: Mark) -> Result<(), Stop> {
        while self.block.last().is_some_and(|&(c, _)| c > col) {
            self.block.pop();
        }
        if let Some(&(c, top)) = self.block.last()
            && c == col
        {
            match (top, kind) {
                (Kind::Seq, Kind::Map) => {
                    // An indentless sequence (`key:` then `- item` at its column) ends.
                    self.block.pop();
                    if self.block.last() == Some(&(col, Kind::Map)) {
                        return Ok(());
                    }
                }
                (Kind::Map, Kind::Seq) => {}
                _ => return Ok(()),
            }
        }
        self.block.push((col, kind));
        self.opened(at)
    }

    /// One line in block context, and whatever flow collection or quoted scalar that
    /// starts on it spans.
    fn block_line(&mut self) -> Result<(), Stop> {
        let start = self.i;
        let indent = self.b[start..].iter().take_while(|&&b| b == b' ').count();
        let rest = &self.b[start + indent..];
        let blank = rest.first().is_none_or(|&b| is_break(b) || b == b'\t')
            && rest
                .iter()
                .take_while(|&&b| !is_break(b))
                .all(|&b| b == b' ' || b == b'\t');
        let comment = rest.first() == Some(&b'#');
        if indent == 0 {
            let marker = |m: &[u8]| rest.starts_with(m) && is_blank(rest.get(3).copied());
            if marker(b"---") {
                self.block_scalar = None;
                self.plain_continues = None;
                self.set_pending(None)?;
                self.key_allowed = true;
                self.document_starts();
                self.block.clear();
                for _ in 0..3 {
                    self.advance();
                }
                return self.node();
            }
            if marker(b"...") {
                self.block_scalar = None;
                self.plain_continues = None;
                self.block.clear();
                self.document_open = false;
                self.skip_line();
                return Ok(());
            }
        }
        if let Some(n) = self.block_scalar {
            if blank || indent as isize > n {
                self.skip_line();
                return Ok(());
            }
            self.block_scalar = None;
        }
        if let Some(n) = self.plain_continues {
            if blank {
                self.skip_line();
                return Ok(());
            }
            self.plain_continues = None;
            if !comment && indent as isize > n {
                self.skip_line();
                return Ok(());
            }
        }
        if blank || comment {
            self.skip_line();
            return Ok(());
        }
        if indent == 0 && rest.first() == Some(&b'%') && self.block_scalar.is_none() {
            self.skip_line();
            return Ok(());
        }
        // A key that did not end on its line cannot be one any more.
        self.set_pending(None)?;
        self.key_allowed = true;
        if !self.document_open {
            self.document_starts();
        }
        for _ in 0..indent {
            self.advance();
        }
        while self.block.last().is_some_and(|&(col, _)| col > indent) {
            self.block.pop();
        }
        self.node()
    }

    fn document_starts(&mut self) {
        self.documents += 1;
        self.document_open = true;
        if self.documents == 2 {
            self.out.second_document = Some(self.mark());
        }
    }

    /// The nodes that follow on this line, in block context.
    fn node(&mut self) -> Result<(), Stop> {
        loop {
            self.skip_spaces();
            let Some(c) = self.peek() else {
                return Ok(());
            };
            let next_blank = is_blank(self.peek_at(1));
            let at = self.mark();
            match c {
                b'\n' | b'\r' => {
                    self.advance();
                    return Ok(());
                }
                b'#' => {
                    self.skip_line();
                    return Ok(());
                }
                b'-' if next_blank => {
                    self.open_block(Kind::Seq, at.col, at)?;
                    self.advance();
                    self.key_allowed = true;
                }
                b'?' if next_blank => {
                    self.open_block(Kind::Map, at.col, at)?;
                    self.advance();
                    self.key_allowed = true;
                }
                b':' if next_blank => {
                    self.advance();
                    self.key_allowed = true;
                }
                b'&' | b'!' => {
                    self.may_be_key()?;
                    while !is_blank(self.peek()) {
                        self.advance();
                    }
                }
                b'|' | b'>' => {
                    self.block_scalar = Some(self.top_indent());
                    self.skip_line();
                    return Ok(());
                }
                b'[' | b'{' => {
                    self.flow_collection()?;
                    self.skip_spaces();
                    if self.peek() == Some(b':') && is_blank(self.peek_at(1)) {
                        // A flow collection as a key: counted as one level fewer.
                        self.advance();
                        continue;
                    }
                    self.skip_line();
                    return Ok(());
                }
                b'"' | b'\'' => {
                    self.may_be_key()?;
                    self.quoted();
                    self.skip_spaces();
                    if self.line == at.line
                        && self.peek() == Some(b':')
                        && is_blank(self.peek_at(1))
                    {
                        self.open_block(Kind::Map, at.col, self.mark())?;
                        self.advance();
                        self.key_allowed = false;
                        continue;
                    }
                    self.skip_line();
                    return Ok(());
                }
                _ => {
                    if c == b'*' && self.out.first_alias.is_none() {
                        self.out.first_alias = Some(at);
                    }
                    self.may_be_key()?;
                    if self.block_plain() {
                        self.open_block(Kind::Map, at.col, self.mark())?;
                        self.set_pending(None)?;
                        self.advance();
                        self.key_allowed = false;
                        continue;
                    }
                    if self.at_line_end() {
                        self.plain_continues = Some(self.top_indent());
                    }
                    self.skip_line();
                    return Ok(());
                }
            }
        }
    }

    /// Reads a plain scalar in block context up to `: ` (true: it is a key, and `:` is
    /// next), a comment or the line's end.
    fn block_plain(&mut self) -> bool {
        let mut prev_blank = false;
        while let Some(c) = self.peek() {
            if is_break(c) || (c == b'#' && prev_blank) {
                return false;
            }
            if c == b':' && is_blank(self.peek_at(1)) {
                return true;
            }
            prev_blank = c == b' ' || c == b'\t';
            self.advance();
        }
        false
    }

    /// A quoted scalar from its opening quote to its closing one, over lines.
    fn quoted(&mut self) {
        let Some(quote) = self.peek() else { return };
        self.advance();
        while let Some(c) = self.peek() {
            self.advance();
            if quote == b'"' && c == b'\\' {
                self.advance();
            } else if c == quote {
                if quote == b'\'' && self.peek() == Some(b'\'') {
                    self.advance();
                } else {
                    return;
                }
            }
        }
    }

    /// A flow collection from its opening bracket to the one that closes it, over lines.
    fn flow_collection(&mut self) -> Result<(), Stop> {
        let mut prev_blank = true;
        while let Some(c) = self.peek() {
            let at = self.mark();
            let adjacent = std::mem::take(&mut self.adjacent_value);
            match c {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    self.advance();
                    prev_blank = true;
                    self.adjacent_value = adjacent;
                    continue;
                }
                b'#' if prev_blank || self.after_blank() => {
                    while !self.at_line_end() {
                        self.advance();
                    }
                    continue;
                }
                b'[' | b'{' => self.open_flow(at)?,
                b']' | b'}' => {
                    self.set_pending(None)?;
                    self.pending.pop();
                    self.flow -= 1;
                    self.key_allowed = false;
                    self.advance();
                    if self.flow == 0 {
                        if self.out.too_deep.is_some() && self.stop_when_deep {
                            // Back at the block level: nothing past the limit is read
                            // ahead of it any more.
                            return Err(Stop);
                        }
                        return Ok(());
                    }
                    self.adjacent_value = true;
                }
                b',' => {
                    self.set_pending(None)?;
                    self.key_allowed = true;
                    self.advance();
                }
                b':' if adjacent
                    || is_blank(self.peek_at(1))
                    || self.peek_at(1).is_some_and(is_flow_indicator) =>
                {
                    self.set_pending(None)?;
                    self.key_allowed = false;
                    self.advance();
                }
                b'?' if is_blank(self.peek_at(1)) => {
                    self.key_allowed = false;
                    self.advance();
                }
                b'"' | b'\'' => {
                    self.may_be_key()?;
                    self.quoted();
                    self.key_allowed = false;
                    self.adjacent_value = true;
                }
                _ => {
                    if c == b'*' && self.out.first_alias.is_none() {
                        self.out.first_alias = Some(at);
                    }
                    self.may_be_key()?;
                    self.flow_plain();
                    self.key_allowed = false;
                }
            }
            prev_blank = false;
        }
        Ok(())
    }

    /// A plain scalar (or anchor, tag, alias) in flow context, up to a flow indicator,
    /// a value indicator, a comment or the line's end.
    fn flow_plain(&mut self) {
        self.advance();
        let mut prev_blank = false;
        while let Some(c) = self.peek() {
            if is_break(c)
                || is_flow_indicator(c)
                || (c == b'#' && prev_blank)
                || (c == b':'
                    && (is_blank(self.peek_at(1))
                        || self.peek_at(1).is_some_and(is_flow_indicator)))
            {
                return;
            }
            prev_blank = c == b' ' || c == b'\t';
            self.advance();
        }
    }

    /// An opening bracket: one level deeper. Past the limit, a YAML scanner that still
    /// reads ahead for a key written before the first collection past the limit reaches
    /// its own flow limit first and reports that place instead: so does this.
    fn open_flow(&mut self, at: Mark) -> Result<(), Stop> {
        self.may_be_key()?;
        self.flow += 1;
        self.pending.push(None);
        self.key_allowed = true;
        self.advance();
        if self.flow > MAX_FLOW_LEVEL && self.early_pending > 0 {
            self.out.too_deep = Some(at);
            return Err(Stop);
        }
        self.opened(at)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use yaml_rust2::parser::{Event, Parser};

    use super::*;

    /// The reference: the first collection past the limit as yaml-rust2's events place
    /// it (1-based), `None` when there is none or the text does not parse.
    fn reference(text: &str) -> Option<(usize, usize)> {
        let mut parser = Parser::new_from_str(text);
        let mut depth = 0usize;
        loop {
            let (event, mark) = match parser.next_token() {
                Ok(next) => next,
                Err(e) if e.info().contains("recursion limit") => {
                    return Some((e.marker().line(), e.marker().col() + 1));
                }
                Err(_) => return None,
            };
            match event {
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some((mark.line(), mark.col() + 1));
                    }
                }
                Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
                Event::StreamEnd | Event::Nothing => return None,
                _ => {}
            }
        }
    }

    fn too_deep(text: &str) -> Option<(usize, usize)> {
        scan(text, true).too_deep.map(|at| (at.line, at.col + 1))
    }

    /// Whether yaml-rust2 reads the whole text without an error.
    fn parses(text: &str) -> bool {
        let mut parser = Parser::new_from_str(text);
        loop {
            match parser.next_token() {
                Ok((Event::StreamEnd | Event::Nothing, _)) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    #[test]
    fn brackets_in_scalars_comments_and_block_scalars_do_not_nest() {
        let deep = "[".repeat(70);
        let cases = [
            format!("a: \"{deep}\"\n"),
            format!("a: '{deep}'\n"),
            format!("a: x{deep}\n"),
            format!("a: 1 # {deep}\n"),
            format!("# {deep}\na: 1\n"),
            format!("a: |\n  {deep}\n  - - - -\nb: 1\n"),
            format!("a: >-\n    {deep}\n\n    {deep}\nb: [1]\n"),
            format!("a: \"two\n  lines {deep}\"\nb: 1\n"),
            format!("a: ['x, ]{deep}', \"{deep}\", y#z # {deep}\n  ]\n"),
            format!("a: [1, # {deep}\n  2]\n"),
            format!("a: plain\n  continued {deep}\nb: 1\n"),
        ];
        for text in &cases {
            assert!(parses(text), "{text}");
            assert_eq!(too_deep(text), None, "{text}");
            assert_eq!(reference(text), None, "{text}");
        }
    }

    #[test]
    fn nesting_is_placed_where_a_yaml_parser_places_it() {
        let n = 70;
        let head = "custom_source_events:\n  source_name: x\n  a: ";
        let mut block_maps = String::new();
        for level in 0..n {
            let _ = writeln!(block_maps, "{}k{level}:", "  ".repeat(level));
        }
        let _ = writeln!(block_maps, "{}leaf: 1", "  ".repeat(n));
        let mut seq_of_maps = String::new();
        for level in 0..n {
            let _ = writeln!(seq_of_maps, "{}- k{level}:", "    ".repeat(level));
        }
        let cases = [
            format!("{head}{}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("{head}{}{}\n", "[".repeat(n), "]".repeat(n)),
            format!("{head}{}1{}\n", "{a: ".repeat(10_000), "}".repeat(10_000)),
            format!("{head}{}\n", "[\n    ".repeat(300)),
            format!("{head}{}x{}\n", "[a, ".repeat(300), "]".repeat(300)),
            format!("custom_source_events:\n  a:\n    {}1\n", "- ".repeat(100)),
            block_maps,
            seq_of_maps,
            format!("a:\n- {}1\n", "- ".repeat(n)),
            format!("--- {}\n", "[".repeat(n)),
            format!("a: 1\n---\nb: {}\n", "{x: ".repeat(n)),
        ];
        for (i, text) in cases.iter().enumerate() {
            let expected = reference(text);
            assert!(expected.is_some(), "case {i}");
            assert_eq!(
                too_deep(text),
                expected,
                "case {i}: {}",
                &text[..text.len().min(120)]
            );
        }
    }

    #[test]
    fn generated_documents_are_mostly_yaml() {
        // The property below compares only documents yaml-rust2 reads: most must be.
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = (spine(), proptest::collection::vec(any::<u8>(), 1..16));
        let mut read = 0;
        let mut shortest = None;
        for _ in 0..500 {
            let (spine, decor) = strategy.new_tree(&mut runner).unwrap().current();
            let text = render(&spine, &decor);
            if parses(&text) || reference(&text).is_some() {
                read += 1;
            } else if shortest
                .as_ref()
                .is_none_or(|t: &String| t.len() > text.len())
            {
                shortest = Some(text);
            }
        }
        let t = shortest.unwrap_or_default();
        let mut p = Parser::new_from_str(&t);
        let err = loop {
            match p.next_token() {
                Ok((Event::StreamEnd, _)) => break None,
                Ok(_) => {}
                Err(e) => break Some(e),
            }
        };
        assert!(read > 400, "{read} of 500: {err:?}\n{t}");
    }

    #[test]
    fn documents_and_aliases_are_placed() {
        let outline = scan("a: 1\n# c\n---\nb: *x\n", false);
        assert_eq!(
            outline.second_document.map(|m| (m.line, m.col)),
            Some((3, 0))
        );
        assert_eq!(outline.first_alias.map(|m| (m.line, m.col)), Some((4, 3)));
        let outline = scan("--- a\n...\n[*y, '*z']\n", false);
        assert_eq!(outline.second_document.map(|m| m.line), Some(3));
        assert_eq!(outline.first_alias.map(|m| (m.line, m.col)), Some((3, 1)));
        let outline = scan("a: '*no'\nb: \"*no\" # *no\n", false);
        assert_eq!((outline.second_document, outline.first_alias), (None, None));
    }

    /// One level of a generated document's spine.
    #[derive(Debug, Clone, Copy)]
    enum Level {
        BlockMap,
        BlockSeq,
        FlowSeq,
        FlowMap,
    }

    const SCALARS: &[&str] = &[
        "plain",
        "\"q [ { # ]\"",
        "'it''s [ {'",
        "a#b",
        "http://x:1/p",
        "-1",
        "\"esc \\\" [\"",
    ];

    /// A document nesting along `spine` (block levels first, then flow ones), with
    /// scalars from `SCALARS` beside each level and comments after some.
    fn render(spine: &[Level], decor: &[u8]) -> String {
        let mut out = String::new();
        render_block(spine, decor, 0, 0, &mut out);
        out
    }

    fn scalar(decor: &[u8], i: usize) -> &'static str {
        SCALARS[decor[i % decor.len()] as usize % SCALARS.len()]
    }

    fn render_block(spine: &[Level], decor: &[u8], i: usize, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        let d = decor[i % decor.len()];
        let child = |out: &mut String| match spine.get(i + 1) {
            None => out.push_str(" leaf\n"),
            Some(Level::BlockMap | Level::BlockSeq) => {
                out.push('\n');
                render_block(spine, decor, i + 1, indent + 2, out);
            }
            Some(_) => {
                out.push(' ');
                render_flow(spine, decor, i + 1, indent + 1, out);
                out.push('\n');
            }
        };
        match spine[i] {
            Level::BlockMap => {
                if d & 1 == 1 {
                    let _ = writeln!(out, "{pad}s{i}: {}", scalar(decor, i));
                }
                if d & 2 == 2 {
                    let _ = writeln!(out, "{pad}b{i}: |\n{pad}  - [ {{ x: y");
                }
                let _ = write!(out, "{pad}k{i}:");
                child(out);
                if d & 4 == 4 {
                    let _ = writeln!(out, "{pad}t{i}: {} # [", scalar(decor, i + 1));
                }
            }
            Level::BlockSeq | Level::FlowSeq | Level::FlowMap => {
                if d & 1 == 1 {
                    let _ = writeln!(out, "{pad}- {}", scalar(decor, i));
                }
                let _ = write!(out, "{pad}-");
                child(out);
                if d & 4 == 4 {
                    let _ = writeln!(out, "{pad}# - [\n{pad}- {}", scalar(decor, i + 1));
                }
            }
        }
    }

    /// A flow collection; lines it breaks are indented by `indent`, deeper than the
    /// block node it is the value of.
    fn render_flow(spine: &[Level], decor: &[u8], i: usize, indent: usize, out: &mut String) {
        let d = decor[i % decor.len()];
        let sep = if d & 8 == 8 {
            format!(", # c\n{}", " ".repeat(indent))
        } else {
            ", ".to_owned()
        };
        let (open, close, key) = match spine[i] {
            Level::FlowMap => ('{', '}', "k: "),
            _ => ('[', ']', ""),
        };
        out.push(open);
        if d & 1 == 1 {
            match spine[i] {
                Level::FlowMap => {
                    let _ = write!(out, "s: {}{sep}", scalar(decor, i));
                }
                _ => {
                    let _ = write!(out, "{}{sep}", scalar(decor, i));
                }
            }
        }
        out.push_str(key);
        match spine.get(i + 1) {
            None => out.push_str("leaf"),
            Some(_) => render_flow(spine, decor, i + 1, indent, out),
        }
        if d & 4 == 4 {
            match spine[i] {
                Level::FlowMap => {
                    let _ = write!(out, "{sep}t: {}", scalar(decor, i + 1));
                }
                _ => {
                    let _ = write!(out, "{sep}{}", scalar(decor, i + 1));
                }
            }
        }
        out.push(close);
    }

    fn spine() -> impl Strategy<Value = Vec<Level>> {
        (1usize..80, 0usize..80).prop_flat_map(|(block, flow)| {
            (
                proptest::collection::vec(prop::bool::ANY, block),
                proptest::collection::vec(prop::bool::ANY, flow),
            )
                .prop_map(|(b, f)| {
                    let mut levels: Vec<Level> = b
                        .into_iter()
                        .map(|m| if m { Level::BlockMap } else { Level::BlockSeq })
                        .collect();
                    levels.extend(
                        f.into_iter()
                            .map(|m| if m { Level::FlowMap } else { Level::FlowSeq }),
                    );
                    levels
                })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// On generated documents around the limit, the outline finds exactly what
        /// yaml-rust2's events find: never a refusal of a document within the limit.
        #[test]
        fn the_outline_agrees_with_a_yaml_parser(
            spine in spine(),
            decor in proptest::collection::vec(any::<u8>(), 1..16),
        ) {
            let text = render(&spine, &decor);
            // Only documents a YAML parser reads (or refuses as too deep) compare.
            prop_assume!(parses(&text) || reference(&text).is_some());
            prop_assert_eq!(too_deep(&text), reference(&text), "{}", text);
        }
    }
}
