//! `evt trace`: keeps the events of one id (its key, a `--field` or a `--header` equal to
//! it), in arrival order (the sources are merged by time). A trace is one transaction's
//! events: at most [`LIMIT`] are kept, the rest counted.

use super::{Flow, Sink};
use crate::analysis::path::Path;
use crate::analysis::trace::{judge, Expect, Outcome};
use crate::event::Event;
use crate::report::trace::{row, step_json, steps, verdict, TraceReport};
use crate::report::{render, Style};

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

/// An event's type: the `--type` field of its value, as text.
pub fn event_type(path: &Path, event: &Event) -> Option<String> {
    event
        .value
        .as_deref()
        .and_then(|v| path.extract(v))
        .map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
}

/// `trace --follow`, once the window is read: each new event of the id as it comes (a line,
/// or a JSON line), and the verdict whenever it changes. With `--expect`, a flow that
/// completes or is compensated ends the watch.
pub struct TraceWatch<W: std::io::Write> {
    pub trace: TraceSink,
    kind: Path,
    expect: Option<Expect>,
    style: Style,
    out: W,
    pub outcome: Option<Outcome>,
    /// The type of each kept event, extracted once as it arrives.
    kinds: Vec<Option<String>>,
}

impl<W: std::io::Write> TraceWatch<W> {
    pub fn new(
        trace: TraceSink,
        kind: Path,
        expect: Option<Expect>,
        style: Style,
        out: W,
    ) -> TraceWatch<W> {
        TraceWatch {
            trace,
            kind,
            expect,
            style,
            out,
            outcome: None,
            kinds: Vec::new(),
        }
    }

    /// Extracts the types of events kept since the last call.
    fn catch_up(&mut self) {
        let kind = &self.kind;
        let new = self.trace.events[self.kinds.len()..]
            .iter()
            .map(|e| event_type(kind, e));
        self.kinds.extend(new);
    }

    /// Judges the events so far; true when the verdict changed.
    fn judge(&mut self) -> bool {
        self.catch_up();
        let Some(expect) = &self.expect else {
            return false;
        };
        let now = judge(expect, &self.kinds);
        let changed = self.outcome.as_ref() != Some(&now);
        self.outcome = Some(now);
        changed
    }

    /// The flow reached an end of its own: completed or compensated.
    pub fn done(&self) -> bool {
        matches!(
            self.outcome,
            Some(Outcome::Completed | Outcome::Compensated { .. })
        )
    }

    pub fn broken(&self) -> bool {
        self.outcome.as_ref().is_some_and(Outcome::broken)
    }

    /// Prints what the window held: the timeline so far and its verdict.
    pub fn window(&mut self, id: &str) -> std::io::Result<()> {
        self.judge();
        let line = self.verdict_line();
        let kind = &self.kind;
        let steps = steps(&self.trace.events, |e| event_type(kind, e));
        match self.style {
            Style::Table => {
                let report = TraceReport {
                    id,
                    steps,
                    beyond: self.trace.beyond,
                    outcome: None,
                };
                let text = render(&report, Style::Table);
                self.out.write_all(text.as_bytes())?;
                if let Some(line) = line {
                    writeln!(self.out, "{line}")?;
                }
            }
            Style::Json => {
                for (i, step) in steps.iter().enumerate() {
                    let mut line = step_json(step);
                    line["step"] = (i + 1).into();
                    writeln!(self.out, "{line}")?;
                }
                if let Some(line) = line {
                    writeln!(self.out, "{line}")?;
                }
            }
        }
        self.out.flush()
    }

    /// The verdict as a line of the output: while the flow may still go on, what it is so
    /// far (text, or JSON with `broken` and `final`).
    fn verdict_line(&self) -> Option<String> {
        let outcome = self.outcome.as_ref()?;
        let text = verdict(outcome, &self.kinds)?;
        let done = self.done();
        Some(match self.style {
            Style::Table if done => text,
            Style::Table => format!("so far: {text}"),
            Style::Json => serde_json::json!({
                "verdict": text,
                "broken": outcome.broken(),
                "final": done,
            })
            .to_string(),
        })
    }

    /// The newest event as a step, and the verdict if it changed.
    fn print_newest(&mut self) -> std::io::Result<()> {
        let events = &self.trace.events;
        let n = events.len();
        let kind = &self.kind;
        let all = steps(&events[n.saturating_sub(2)..], |e| event_type(kind, e));
        let Some(step) = all.last() else {
            return Ok(());
        };
        match self.style {
            Style::Table => writeln!(self.out, "{}", row(n, step, false).join("  "))?,
            Style::Json => {
                let mut line = step_json(step);
                line["step"] = n.into();
                writeln!(self.out, "{line}")?;
            }
        }
        if self.judge() {
            if let Some(line) = self.verdict_line() {
                writeln!(self.out, "{line}")?;
            }
        }
        self.out.flush()
    }
}

impl<W: std::io::Write> Sink for TraceWatch<W> {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        let before = self.trace.events.len();
        self.trace.event(event)?;
        if self.trace.events.len() == before {
            // Not the id's, or beyond what is kept (counted).
            return Ok(Flow::Continue);
        }
        match self.print_newest() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Flow::Stop),
            Err(e) => return Err(e.into()),
            Ok(()) => {}
        }
        Ok(if self.done() {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}
