//! `evt trace`'s report: the timeline (time, topic, partition@offset, type, what changed since
//! the previous event of the id), then the verdict on the expected flow.

use serde_json::{json, Value};

use super::{table, Report};
use crate::analysis::compare::{self, Rules};
use crate::analysis::trace::Outcome;
use crate::event::{format_timestamp, Event};
use crate::safe;

pub struct Step<'a> {
    pub event: &'a Event,
    pub kind: Option<String>,
    /// Changed fields since the previous step (JSON pointers); `None` for the first.
    pub changed: Option<Vec<String>>,
}

pub struct TraceReport<'a> {
    pub id: &'a str,
    pub steps: Vec<Step<'a>>,
    pub beyond: u64,
    pub outcome: Option<Outcome>,
}

/// The steps, with what changed from one to the next (fields of the value).
pub fn steps<'a>(events: &'a [Event], kind: impl Fn(&Event) -> Option<String>) -> Vec<Step<'a>> {
    let rules = Rules::default();
    events
        .iter()
        .enumerate()
        .map(|(i, event)| Step {
            event,
            kind: kind(event),
            changed: (i > 0).then(|| {
                compare::compare(&rules, &events[i - 1], event)
                    .into_iter()
                    .map(|c| c.path)
                    .collect()
            }),
        })
        .collect()
}

fn place(event: &Event) -> String {
    match (&event.topic, event.partition, event.offset) {
        (Some(t), Some(p), Some(o)) => format!("{t} {p}@{o}"),
        _ => event.origin.to_string(),
    }
}

impl TraceReport<'_> {
    fn verdict(&self) -> Option<String> {
        let kind = |i: usize| {
            self.steps
                .get(i)
                .and_then(|s| s.kind.clone())
                .unwrap_or_default()
        };
        Some(match self.outcome.as_ref()? {
            Outcome::Completed => "flow completed: every step of the happy path, in order".into(),
            Outcome::Compensated {
                failure,
                compensation,
            } => format!("flow compensated: {failure} was followed by {compensation}"),
            Outcome::Stopped { after, missing } => match after {
                Some(i) => format!(
                    "flow stopped after step {} ({}): {missing} never came",
                    i + 1,
                    kind(*i)
                ),
                None => format!("flow never started: no {missing}"),
            },
            Outcome::CompensationMissing {
                failure_at,
                failure,
                compensation,
            } => format!(
                "compensation missing: {failure} at step {} was not followed by {compensation}",
                failure_at + 1
            ),
        })
    }
}

impl Report for TraceReport<'_> {
    fn table(&self) -> String {
        let marked = match &self.outcome {
            Some(Outcome::Stopped { after: Some(i), .. }) => Some(*i),
            Some(Outcome::CompensationMissing { failure_at, .. }) => Some(*failure_at),
            _ => None,
        };
        let rows = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                vec![
                    format!("{}{}", i + 1, if marked == Some(i) { " ◀" } else { "" }),
                    s.event
                        .timestamp
                        .and_then(format_timestamp)
                        .unwrap_or_else(|| "-".into()),
                    safe::line(&place(s.event)).into_owned(),
                    s.kind
                        .as_deref()
                        .map_or_else(|| "-".into(), |k| safe::line(k).into_owned()),
                    match &s.changed {
                        None => "(first)".into(),
                        Some(c) if c.is_empty() => "(same value)".into(),
                        Some(c) => safe::line(&c.join(", ")).into_owned(),
                    },
                ]
            })
            .collect();
        let mut out = format!(
            "trace {}: {} event(s)\n",
            safe::line(self.id),
            self.steps.len()
        );
        out.push_str(&table(&["#", "time", "where", "type", "changed"], rows, &[]).to_string());
        out.push('\n');
        if self.beyond > 0 {
            out.push_str(&format!("{} more event(s) not kept\n", self.beyond));
        }
        if let Some(verdict) = self.verdict() {
            out.push_str(&verdict);
            out.push('\n');
        }
        out
    }

    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "events": self.steps.iter().map(|s| json!({
                "timestamp_ms": s.event.timestamp,
                "topic": s.event.topic.as_deref(),
                "partition": s.event.partition,
                "offset": s.event.offset,
                "origin": s.event.origin.to_string(),
                "type": s.kind,
                "changed": s.changed,
            })).collect::<Vec<_>>(),
            "not_kept": self.beyond,
            "verdict": self.verdict(),
            "broken": self.outcome.as_ref().map(Outcome::broken),
        })
    }
}
