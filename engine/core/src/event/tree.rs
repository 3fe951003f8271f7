//! Events as owned typed trees: the objects built inside lists, which become one value.

use std::borrow::Cow;

use super::{Sink, Typed};

/// A sink that keeps each event as a `Typed::Object`; empty objects are left out.
#[derive(Debug, Default)]
pub struct EventTrees {
    pub events: Vec<Typed<'static>>,
    stack: Vec<(String, Entries)>,
}

/// The entries of an object being built.
type Entries = Vec<(Cow<'static, str>, Typed<'static>)>;

impl Sink for EventTrees {
    fn begin_event(&mut self, _class_uid: i64) {
        self.stack.clear();
        self.stack.push((String::new(), Vec::new()));
    }

    fn end_event(&mut self) {
        if let Some((_, fields)) = self.stack.pop() {
            self.events.push(Typed::Object(fields));
        }
        self.stack.clear();
    }

    fn abort_event(&mut self) {
        self.stack.clear();
    }

    fn begin_object(&mut self, key: &str) {
        self.stack.push((key.to_owned(), Vec::new()));
    }

    fn end_object(&mut self) {
        if let Some((key, fields)) = self.stack.pop()
            && !fields.is_empty()
            && let Some((_, parent)) = self.stack.last_mut()
        {
            parent.push((Cow::Owned(key), Typed::Object(fields)));
        }
    }

    fn value(&mut self, key: &str, value: &Typed<'_>) {
        if let Some((_, top)) = self.stack.last_mut() {
            top.push((Cow::Owned(key.to_owned()), value.clone().into_owned()));
        }
    }

    fn raw(&mut self, key: &str, json: &str) {
        self.value(key, &Typed::Json(Cow::Owned(json.to_owned())));
    }
}
