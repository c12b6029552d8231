//! `evt stats`: every event that passes the filters goes into the [`Stats`] accumulator,
//! with its lane (topic and partition, or file), its `--id` and its `--seq`.

use super::{Flow, Sink};
use crate::analysis::path::Path;
use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis::stats::{LaneKind, Stats};
use crate::event::{Event, Origin};
use crate::validate::{Schemas, Verdict};

/// A lane met before: its name (held so that its address stays its own) and number.
type KnownLane = (Option<Arc<str>>, usize);

/// Events per schema: valid, invalid.
pub type SchemaCounts = std::collections::BTreeMap<String, (u64, u64)>;

pub struct StatsSink {
    pub stats: Stats,
    id: Option<Path>,
    seq: Option<Path>,
    schemas: Option<Schemas>,
    /// Per schema (valid, invalid); `(no schema)` counts the unchecked.
    pub validity: SchemaCounts,
    /// (the topic's or file's name, as an address; partition) → lane: one lookup per event,
    /// no text built. The name is kept alive with it, so its address is never reused.
    lanes: HashMap<(usize, i32), KnownLane, foldhash::fast::RandomState>,
}

impl StatsSink {
    pub fn new(
        stats: Stats,
        id: Option<Path>,
        seq: Option<Path>,
        schemas: Option<Schemas>,
    ) -> StatsSink {
        StatsSink {
            stats,
            id,
            seq,
            schemas,
            validity: SchemaCounts::new(),
            lanes: HashMap::default(),
        }
    }

    /// The event's lane and its place in it.
    fn lane(&mut self, origin: &Origin) -> (usize, i64) {
        let (name, partition, pos): (&str, i32, i64) = match origin {
            Origin::Record {
                topic,
                partition,
                offset,
            } => (topic, *partition, *offset),
            Origin::Line { file, line } => (file, -1, *line as i64),
            Origin::Item { file, index } => (file, -2, *index as i64),
            Origin::Made { by, seq } => (by, -3, *seq as i64),
        };
        let address = (name.as_ptr() as usize, partition);
        if let Some((_, lane)) = self.lanes.get(&address) {
            return (*lane, pos);
        }
        let (text, kind) = match origin {
            Origin::Record { .. } => (format!("{name}/{partition}"), LaneKind::Partition),
            Origin::Line { .. } => (name.to_string(), LaneKind::Lines),
            Origin::Item { .. } => (name.to_string(), LaneKind::Items),
            Origin::Made { .. } => (name.to_string(), LaneKind::Made),
        };
        let lane = self.stats.lane(&text, kind);
        let keep = match origin {
            Origin::Record { topic, .. } => Some(topic.clone()),
            Origin::Line { file, .. } | Origin::Item { file, .. } => Some(file.clone()),
            Origin::Made { .. } => None,
        };
        self.lanes.insert(address, (keep, lane));
        (lane, pos)
    }
}

impl Sink for StatsSink {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        let at = self.lane(&event.origin);
        let value = event.value.as_deref();
        let mut json = None;
        let id = self.id.as_ref().map(|p| {
            let (found, is_json) = value.map_or((None, None), |v| p.extract_checked(v));
            json = json.or(is_json);
            found.map_or_else(
                || "(none)".to_string(),
                |v| match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                },
            )
        });
        let seq = self.seq.as_ref().map(|p| {
            let (found, is_json) = value.map_or((None, None), |v| p.extract_checked(v));
            json = json.or(is_json);
            found.and_then(|v| v.as_i64())
        });
        self.stats.observe(&event, at, id.as_deref(), seq, json);
        if let Some(schemas) = &mut self.schemas {
            let verdict = match value.and_then(crate::analysis::compare::parse) {
                Some(parsed) => schemas.check(&parsed, event.topic.as_deref())?,
                None => Verdict::not_json("not JSON"),
            };
            let (schema, valid) = match verdict {
                Verdict::Valid { schema } => (schema, true),
                Verdict::Invalid { schema, .. } => (schema, false),
                Verdict::Unchecked { .. } => ("(no schema)".to_string(), true),
            };
            let counts = self.validity.entry(schema).or_default();
            if valid {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
        Ok(Flow::Continue)
    }
}
