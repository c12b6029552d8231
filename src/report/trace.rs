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
        let kinds: Vec<Option<String>> = self.steps.iter().map(|s| s.kind.clone()).collect();
        verdict(self.outcome.as_ref()?, &kinds)
    }
}

/// The verdict in words; `kinds` are the steps' event types, in order.
pub fn verdict(outcome: &Outcome, kinds: &[Option<String>]) -> Option<String> {
    let kind = |i: usize| kinds.get(i).cloned().flatten().unwrap_or_default();
    Some(match outcome {
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

/// The step marked ◀: where the flow stopped or the failure without its compensation.
pub fn marked(outcome: Option<&Outcome>) -> Option<usize> {
    match outcome {
        Some(Outcome::Stopped { after: Some(i), .. }) => Some(*i),
        Some(Outcome::CompensationMissing { failure_at, .. }) => Some(*failure_at),
        _ => None,
    }
}

/// One step as the cells of its row: #, time, where, type, changed.
pub fn row(number: usize, step: &Step, mark: bool) -> Vec<String> {
    vec![
        format!("{number}{}", if mark { " ◀" } else { "" }),
        step.event
            .timestamp
            .and_then(format_timestamp)
            .unwrap_or_else(|| "-".into()),
        safe::line(&place(step.event)).into_owned(),
        step.kind
            .as_deref()
            .map_or_else(|| "-".into(), |k| safe::line(k).into_owned()),
        match &step.changed {
            None => "(first)".into(),
            Some(c) if c.is_empty() => "(same value)".into(),
            Some(c) => safe::line(&c.join(", ")).into_owned(),
        },
    ]
}

/// One step for machines.
pub fn step_json(step: &Step) -> Value {
    json!({
        "timestamp_ms": step.event.timestamp,
        "topic": step.event.topic.as_deref(),
        "partition": step.event.partition,
        "offset": step.event.offset,
        "origin": step.event.origin.to_string(),
        "type": step.kind,
        "changed": step.changed,
    })
}

impl Report for TraceReport<'_> {
    fn table(&self) -> String {
        let marked = marked(self.outcome.as_ref());
        let rows = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| row(i + 1, s, marked == Some(i)))
            .collect();
        let mut out = format!(
            "trace {}: {} event(s)\n",
            safe::line(self.id),
            self.steps.len()
        );
        if !self.steps.is_empty() {
            out.push_str(&table(&["#", "time", "where", "type", "changed"], rows, &[]).to_string());
            out.push('\n');
        }
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
            "events": self.steps.iter().map(step_json).collect::<Vec<_>>(),
            "not_kept": self.beyond,
            "verdict": self.verdict(),
            "broken": self.outcome.as_ref().map(Outcome::broken),
        })
    }
}
