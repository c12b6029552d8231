//! `evt trace`: keeps the events of one id (its key, a `--field` or a `--header` equal to
//! it), in arrival order (the sources are merged by time). A trace is one transaction's
//! events: at most [`LIMIT`] are kept, the rest counted.

use super::{Flow, Sink};
use crate::analysis::path::Path;
use crate::event::Event;

/// Events kept for one id.
pub const LIMIT: usize = 10_000;

pub struct TraceSink {
    id: String,
    /// Match on the key too (when only the key is matched, the filter did it upstream).
    fields: Vec<Path>,
    header: Option<String>,
    by_key_only: bool,
    pub events: Vec<Event>,
    pub beyond: u64,
}

impl TraceSink {
    pub fn new(
        id: String,
        fields: Vec<Path>,
        header: Option<String>,
        by_key_only: bool,
    ) -> TraceSink {
        TraceSink {
            id,
            fields,
            header,
            by_key_only,
            events: Vec::new(),
            beyond: 0,
        }
    }

    fn matches(&self, event: &Event) -> bool {
        if self.by_key_only || event.key.as_deref() == Some(self.id.as_bytes()) {
            return true;
        }
        if let Some(name) = &self.header {
            let hit = event
                .headers
                .iter()
                .any(|h| &h.name == name && h.value.as_deref() == Some(self.id.as_bytes()));
            if hit {
                return true;
            }
        }
        let Some(value) = event.value.as_deref() else {
            return false;
        };
        self.fields.iter().any(|p| match p.extract(value) {
            Some(serde_json::Value::String(s)) => s == self.id,
            // A number (or other JSON) matches its text: `17` for ID 17.
            Some(other) => {
                let text = other.to_string();
                text == self.id
            }
            None => false,
        })
    }
}

impl Sink for TraceSink {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        if self.matches(&event) {
            if self.events.len() < LIMIT {
                self.events.push(event);
            } else {
                self.beyond += 1;
            }
        }
        Ok(Flow::Continue)
    }
}
