//! Positions in a mapping file: every key and value by JSON pointer, read with a YAML
//! event parser (YAML 1.2 reads JSON too), plus the duplicate keys it meets.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};

use ocsfmap_core::mapping::limits::MAX_NESTING;
use yaml_rust2::scanner::Marker;

use ocsfmap_core::diagnostic::pointer_token;

/// The position just past the last character of `text`, with line breaks counted as
/// YAML counts them (`\r\n`, `\n` or a lone `\r`).
fn end_of(text: &str) -> Position {
    let (mut line, mut column) = (1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
    }
    Position { line, column }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct Spot {
    key: Option<Position>,
    value: Option<Position>,
}

/// Where each JSON pointer of a document is written.
#[derive(Debug, Default)]
pub struct SourceMap {
    spots: HashMap<String, Spot>,
    /// Keys written twice in one object: pointer, second position, first position.
    pub duplicates: Vec<(String, Position, Position)>,
    /// A syntax error that stopped reading, with its position.
    pub syntax_error: Option<(Position, String)>,
    /// The first collection nested deeper than [`MAX_NESTING`]: reading stopped there.
    pub too_deep: Option<Position>,
}

impl SourceMap {
    /// Reads `text` (YAML or JSON), event by event (no recursion, so no stack overflow
    /// on deep nesting), and stops at the first collection past [`MAX_NESTING`] levels.
    pub fn read(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        loop {
            match parser.next_token() {
                Ok((Event::StreamEnd | Event::Nothing, _)) => break,
                Ok((event, mark)) => {
                    let opens = matches!(event, Event::MappingStart(..) | Event::SequenceStart(..));
                    if opens && builder.stack.len() >= MAX_NESTING {
                        builder.map.too_deep = Some(position(mark));
                        break;
                    }
                    builder.on_event(event, mark);
                }
                Err(e) => {
                    let at = position(*e.marker());
                    // yaml-rust2 refuses flow collections past 255 levels.
                    if e.info().contains("recursion limit") {
                        builder.map.too_deep = Some(at);
                    } else {
                        builder.map.syntax_error = Some((at, e.info().to_owned()));
                    }
                    break;
                }
            }
        }
        // The parser places a value missing at the very end of a file without a final
        // line break on the line after it: keep every position inside the file.
        let end = end_of(text);
        let clamp = |p: &mut Position| {
            if *p > end {
                *p = end;
            }
        };
        let mut map = builder.map;
        let positions = map
            .spots
            .values_mut()
            .flat_map(|spot| [spot.key.as_mut(), spot.value.as_mut()])
            .chain([
                map.syntax_error.as_mut().map(|(p, _)| p),
                map.too_deep.as_mut(),
            ])
            .chain(
                map.duplicates
                    .iter_mut()
                    .flat_map(|(_, second, first)| [Some(second), Some(first)]),
            );
        for p in positions.flatten() {
            clamp(p);
        }
        map
    }

    /// The position of the key (or, for array items and the root, the value) at
    /// `pointer`, else of its nearest written ancestor.
    pub fn locate(&self, pointer: &str) -> Option<Position> {
        let mut p = pointer;
        loop {
            if let Some(spot) = self.spots.get(p) {
                return spot.key.or(spot.value);
            }
            let Some(cut) = p.rfind('/') else {
                // Not even the document is written (an empty file): its start.
                return (!self.spots.is_empty() || self.syntax_error.is_none())
                    .then_some(Position { line: 1, column: 1 });
            };
            p = &p[..cut];
        }
    }

    /// The position of the value at `pointer`, when it is written in the file.
    pub fn locate_value(&self, pointer: &str) -> Option<Position> {
        self.spots
            .get(pointer)
            .and_then(|s| s.value)
            .or_else(|| self.locate(pointer))
    }
}

fn position(m: Marker) -> Position {
    Position {
        line: m.line(),
        column: m.col() + 1,
    }
}

enum Frame {
    Map {
        pointer: String,
        key: Option<String>,
        seen: HashMap<String, Position>,
    },
    Seq {
        pointer: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    map: SourceMap,
    stack: Vec<Frame>,
    /// Pointers of anchored nodes, so aliases can be located at their use.
    anchors: HashMap<usize, String>,
}

impl Builder {
    /// The pointer of the value about to start, or `None` when a key comes next.
    fn next_value_pointer(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { pointer, index }) => {
                let p = format!("{pointer}/{index}");
                *index += 1;
                Some(p)
            }
            Some(Frame::Map { pointer, key, .. }) => key
                .take()
                .map(|k| format!("{pointer}/{}", pointer_token(&k))),
        }
    }

    fn value_at(&mut self, pointer: &str, at: Position) {
        self.map.spots.entry(pointer.to_owned()).or_default().value = Some(at);
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = position(mark);
        match ev {
            Event::Scalar(text, _, anchor, _) => match self.next_value_pointer() {
                Some(p) => {
                    self.value_at(&p, at);
                    if anchor > 0 {
                        self.anchors.insert(anchor, p);
                    }
                }
                None => {
                    if let Some(Frame::Map { pointer, key, seen }) = self.stack.last_mut() {
                        let p = format!("{pointer}/{}", pointer_token(&text));
                        if let Some(first) = seen.get(&text) {
                            if text != "<<" {
                                self.map.duplicates.push((p.clone(), at, *first));
                            }
                        } else {
                            seen.insert(text.clone(), at);
                            self.map.spots.entry(p).or_default().key = Some(at);
                        }
                        *key = Some(text);
                    }
                }
            },
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let pointer = self.next_value_pointer().unwrap_or_default();
                self.value_at(&pointer, at);
                if anchor > 0 {
                    self.anchors.insert(anchor, pointer.clone());
                }
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        pointer,
                        key: None,
                        seen: HashMap::new(),
                    }
                } else {
                    Frame::Seq { pointer, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Alias(_) => {
                if let Some(p) = self.next_value_pointer() {
                    self.value_at(&p, at);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // compared with `locate`'s Option
    fn pos(line: usize, column: usize) -> Option<Position> {
        Some(Position { line, column })
    }

    #[test]
    fn yaml_keys_values_and_items_are_located() {
        let map = SourceMap::read("a:\n  b: 1\n  list:\n    - x\n    - {c: 2}\n'k/e~y': 3\n");
        assert_eq!(map.locate("/a/b"), pos(2, 3));
        assert_eq!(map.locate_value("/a/b"), pos(2, 6));
        assert_eq!(map.locate("/a/list/1/c"), pos(5, 8));
        assert_eq!(map.locate("/a/list/0"), pos(4, 7));
        assert_eq!(map.locate("/k~1e~0y"), pos(6, 1));
        // A pointer that is not written falls back to its nearest ancestor.
        assert_eq!(map.locate("/a/b/zzz"), pos(2, 3));
    }

    #[test]
    fn json_is_located_too() {
        let map = SourceMap::read("{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}\n");
        assert_eq!(map.locate("/a/b"), pos(3, 5));
        assert_eq!(map.locate("/a/b/1"), pos(3, 14));
    }

    #[test]
    fn duplicate_keys_and_syntax_errors_are_reported_with_positions() {
        let map = SourceMap::read("a: 1\nb: 2\na: 3\n");
        assert_eq!(
            map.duplicates,
            vec![(
                "/a".to_owned(),
                Position { line: 3, column: 1 },
                Position { line: 1, column: 1 }
            )]
        );
        let map = SourceMap::read("a: [1, 2\nb: 3\n");
        let (at, message) = map.syntax_error.unwrap();
        assert!(at.line >= 2 && !message.is_empty(), "{at:?} {message}");
    }

    #[test]
    fn an_empty_document_is_located_at_its_start() {
        assert_eq!(SourceMap::read("").locate(""), pos(1, 1));
        assert_eq!(
            SourceMap::read("# only a comment\n").locate("/a"),
            pos(1, 1)
        );
    }

    #[test]
    fn reading_stops_at_the_first_collection_past_the_nesting_limit() {
        // Block sequences, one level per `- `, on one line: no recursion, no overflow.
        let deep = format!("a:\n  {}1\n", "- ".repeat(100_000));
        let map = SourceMap::read(&deep);
        // The document's mapping is level 1, `a`'s sequence level 2, ...
        let at = map.too_deep.unwrap();
        assert_eq!((at.line, at.column), (2, 3 + 2 * (MAX_NESTING - 1)));
        let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(SourceMap::read(&flow).too_deep.is_some());
        let fine = format!(
            "a: {}{}\n",
            "[".repeat(MAX_NESTING - 1),
            "]".repeat(MAX_NESTING - 1)
        );
        let map = SourceMap::read(&fine);
        assert_eq!((map.too_deep, map.syntax_error), (None, None));
    }
}
