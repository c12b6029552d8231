//! `evt stats`: every event that passes the filters goes into the [`Stats`] accumulator,
//! with its lane (topic and partition, or file), its `--id` and its `--seq`.

use super::{Flow, Sink};
use crate::analysis::compare;
use crate::analysis::path::Path;
use crate::analysis::stats::Stats;
use crate::event::{Event, Origin};

pub struct StatsSink {
    pub stats: Stats,
    id: Option<Path>,
    seq: Option<Path>,
    lane: String,
}

impl StatsSink {
    pub fn new(stats: Stats, id: Option<Path>, seq: Option<Path>) -> StatsSink {
        StatsSink {
            stats,
            id,
            seq,
            lane: String::new(),
        }
    }
}

/// The value at `path` in the event's JSON value (`None`: not JSON, or absent).
fn at(event: &Event, path: &Path) -> Option<serde_json::Value> {
    let value = compare::parse(event.value.as_deref()?)?;
    path.get(&value).cloned().filter(|v| !v.is_null())
}

impl Sink for StatsSink {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        use std::fmt::Write;
        self.lane.clear();
        match &event.origin {
            Origin::Record {
                topic, partition, ..
            } => write!(self.lane, "{topic}/{partition}"),
            Origin::Line { file, .. } | Origin::Item { file, .. } => write!(self.lane, "{file}"),
            Origin::Made { by, .. } => write!(self.lane, "{by}"),
        }
        .expect("writing to a String");
        let id = self.id.as_ref().map(|p| {
            at(&event, p).map_or_else(
                || "(none)".to_string(),
                |v| match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                },
            )
        });
        let seq = self
            .seq
            .as_ref()
            .map(|p| at(&event, p).and_then(|v| v.as_i64()));
        self.stats.observe(&event, &self.lane, id.as_deref(), seq);
        Ok(Flow::Continue)
    }
}
