//! The validation reporter as a sink: each event's value is checked against its schema and
//! the verdict reported where the event came from; input that is not an event is a violation
//! at its line.

use std::io::Write;

use serde_json::Value;

use crate::event::{Event, Origin, Unreadable};
use crate::sink::violations::{ReportFormat, Reporter, Seen};
use crate::sink::{Flow, Sink};
use crate::validate::{MissingSchema, Schemas, Verdict};

pub struct ValidateSink<W: Write> {
    schemas: Schemas,
    pub reporter: Reporter,
    out: W,
    max_errors: Option<u64>,
    /// Stdout went away: stop quietly.
    pub pipe_closed: bool,
    /// The run could not check anything (no way to choose a schema): no summary.
    abandoned: bool,
}

impl<W: Write> ValidateSink<W> {
    pub fn new(
        schemas: Schemas,
        format: ReportFormat,
        missing: MissingSchema,
        max_errors: Option<u64>,
        color: bool,
        out: W,
    ) -> Self {
        ValidateSink {
            schemas,
            reporter: Reporter::new(format, missing == MissingSchema::Warn, color),
            out,
            max_errors,
            pipe_closed: false,
            abandoned: false,
        }
    }

    /// Invalid events found so far.
    pub fn invalid(&self) -> u64 {
        self.reporter.tally.invalid
    }

    fn verdict(
        &mut self,
        origin: &Origin,
        seen: Seen<'_>,
        verdict: Verdict,
    ) -> anyhow::Result<Flow> {
        if let Err(e) = self.reporter.record(origin, seen, verdict, &mut self.out) {
            return self.io(e);
        }
        let enough = self.max_errors.is_some_and(|n| self.invalid() >= n);
        Ok(if enough { Flow::Stop } else { Flow::Continue })
    }

    fn io(&mut self, e: std::io::Error) -> anyhow::Result<Flow> {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            self.pipe_closed = true;
            return Ok(Flow::Stop);
        }
        Err(crate::error::EvtError::usage(format!(
            "cannot write the report: {e}"
        )))
    }

    /// Checks `value` (the event's, or what `--jq` made of it).
    fn check(&mut self, event: &Event, value: Option<&[u8]>) -> anyhow::Result<Flow> {
        let verdict = match value.map(serde_json::from_slice::<Value>) {
            Some(Ok(value)) => match self.schemas.check(&value, event.topic.as_deref()) {
                Ok(verdict) => verdict,
                Err(e) => {
                    // A usage error (no way to choose a schema): no summary of a run that
                    // could not check anything.
                    self.abandoned = true;
                    return Err(e);
                }
            },
            Some(Err(e)) => Verdict::not_json(format!("the value is not JSON: {e}")),
            None => Verdict::not_json("the event is a tombstone (no value)"),
        };
        let seen = Seen {
            timestamp: event.timestamp,
            key: event.key.as_deref(),
        };
        self.verdict(&event.origin, seen, verdict)
    }
}

impl<W: Write> Sink for ValidateSink<W> {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        self.check(&event, event.value.as_deref())
    }

    /// With `--jq`, the transformed value is what is checked.
    fn json(&mut self, event: &Event, json: Vec<u8>) -> anyhow::Result<Flow> {
        self.check(event, Some(&json))
    }

    fn unreadable(&mut self, bad: Unreadable) -> anyhow::Result<Flow> {
        self.verdict(&bad.origin, Seen::default(), Verdict::not_json(bad.reason))
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        if self.pipe_closed || self.abandoned {
            return Ok(());
        }
        let written = self
            .reporter
            .finish(&mut self.out)
            .and_then(|()| self.out.flush());
        match written {
            Ok(()) => Ok(()),
            Err(e) => self.io(e).map(drop),
        }
    }
}
