//! Printing events to stdout: one [`Printer`] per `--format`, chosen once before the first
//! event arrives, behind one [`PrintSink`] that owns stdout, buffers, marks invalid events
//! (`--validate`) and ends quietly when the reader of stdout goes away.

mod json;
mod pretty;
pub use crate::safe;
mod table;
mod value;

use std::io::{ErrorKind, Write};

use crate::event::Event;
use crate::sink::{Flow, Sink};
use crate::validate::{Schemas, Verdict, Violation};

/// The formats events are printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A header line and indented JSON, for people.
    Pretty,
    /// The lossless envelope, one per line.
    Json,
    /// The payload only.
    Value,
    /// One table for the whole stream, fitted to the terminal.
    Table,
}

/// How events are printed, decided once from the flags and the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub color: bool,
    /// The terminal's width in columns, when stdout is one.
    pub width: Option<usize>,
    /// Stdout is a terminal (a progress bar on stderr would mix with the events).
    pub terminal: bool,
}

/// Turns events into bytes for stdout.
pub trait Printer: Send {
    /// Appends the printed form of one event to `out`.
    fn print(&mut self, event: &Event, out: &mut Vec<u8>);
    /// Appends one `--jq` result: plain JSON, as jq prints it.
    fn json(&mut self, json: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(json);
        out.push(b'\n');
    }
    /// Appends anything held back (the table printer holds its first rows to size columns).
    fn flush(&mut self, _out: &mut Vec<u8>) {}
    /// Marks the event just printed as invalid (`--validate`).
    fn annotate(&mut self, _invalid: &Invalid, _out: &mut Vec<u8>) {}
}

/// The printer for the chosen format.
pub fn printer(output: &Output) -> Box<dyn Printer> {
    match output.format {
        Format::Json => Box::new(json::JsonPrinter),
        Format::Value => Box::new(value::ValuePrinter),
        Format::Pretty => Box::new(pretty::PrettyPrinter::new(output.color)),
        Format::Table => Box::new(table::TablePrinter::new(output.width)),
    }
}

/// Where an event is, as a person reads it: `orders/2@1532`, or `dump.jsonl:7` (a file name
/// is shown terminal-safe).
pub fn place(event: &Event) -> String {
    let place = match (&event.origin, &event.topic, event.partition, event.offset) {
        (crate::event::Origin::Record { .. }, _, _, _) => event.origin.to_string(),
        (origin, Some(topic), Some(p), Some(o)) => format!("{topic}/{p}@{o} ({origin})"),
        (origin, ..) => origin.to_string(),
    };
    safe::line(&place).into_owned()
}

/// An event's schema violations, as `--validate` shows them inline.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub schema: String,
    pub violations: Vec<Violation>,
}

/// `--validate PATH`: checks each printed event; `--only-invalid` prints just the failures.
pub struct InlineValidation {
    pub schemas: Schemas,
    pub only_invalid: bool,
}

impl InlineValidation {
    /// The violations of an event's value, if any (a value that is not JSON is one).
    fn check(&mut self, event: &Event) -> Option<Invalid> {
        let value = event.value.as_deref()?;
        let verdict = match serde_json::from_slice::<serde_json::Value>(value) {
            Ok(v) => self
                .schemas
                .check(&v, event.topic.as_deref())
                .unwrap_or_else(|e| Verdict::Unchecked {
                    reason: e.to_string(),
                }),
            Err(e) => Verdict::not_json(format!("the value is not JSON: {e}")),
        };
        match verdict {
            Verdict::Invalid { schema, violations } => Some(Invalid { schema, violations }),
            _ => None,
        }
    }
}

const FLUSH_AT: usize = 256 * 1024;

/// Prints events to `stdout` through the chosen printer.
pub struct PrintSink<W: Write> {
    printer: Box<dyn Printer>,
    inline: Option<InlineValidation>,
    out: Vec<u8>,
    stdout: W,
    /// The reader of stdout went away (`evt read … | head`): a quiet, successful end.
    pub pipe_closed: bool,
}

impl<W: Write> PrintSink<W> {
    pub fn new(printer: Box<dyn Printer>, inline: Option<InlineValidation>, stdout: W) -> Self {
        PrintSink {
            printer,
            inline,
            out: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            stdout,
            pipe_closed: false,
        }
    }

    /// Writes and clears the buffer.
    fn write_out(&mut self) -> anyhow::Result<Flow> {
        if self.out.is_empty() || self.pipe_closed {
            self.out.clear();
            return Ok(if self.pipe_closed {
                Flow::Stop
            } else {
                Flow::Continue
            });
        }
        let result = self
            .stdout
            .write_all(&self.out)
            .and_then(|()| self.stdout.flush());
        self.out.clear();
        match result {
            Ok(()) => Ok(Flow::Continue),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.pipe_closed = true;
                Ok(Flow::Stop)
            }
            Err(e) => Err(crate::error::EvtError::usage(format!(
                "cannot write to stdout: {e}"
            ))),
        }
    }

    fn written(&mut self) -> anyhow::Result<Flow> {
        if self.out.len() >= FLUSH_AT {
            return self.write_out();
        }
        Ok(Flow::Continue)
    }
}

impl<W: Write> Sink for PrintSink<W> {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        let invalid = self.inline.as_mut().and_then(|v| v.check(&event));
        if invalid.is_none() && self.inline.as_ref().is_some_and(|v| v.only_invalid) {
            return Ok(Flow::Skipped);
        }
        self.printer.print(&event, &mut self.out);
        if let Some(invalid) = &invalid {
            self.printer.annotate(invalid, &mut self.out);
        }
        self.written()
    }

    fn json(&mut self, _event: &Event, json: Vec<u8>) -> anyhow::Result<Flow> {
        self.printer.json(&json, &mut self.out);
        self.written()
    }

    fn idle(&mut self) -> anyhow::Result<Flow> {
        self.printer.flush(&mut self.out);
        self.write_out()
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.printer.flush(&mut self.out);
        self.write_out().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Options};
    use crate::source::Source;
    use crate::stop::Stop;
    use std::sync::Arc;
    use std::time::Duration;

    fn event(offset: i64) -> Event {
        Event {
            timestamp: Some(0),
            value: Some(format!("{{\"n\":{offset}}}").into_bytes()),
            ..Event::new(crate::event::Origin::Record {
                topic: Arc::from("t"),
                partition: 0,
                offset,
            })
        }
    }

    struct Events(Vec<Event>);
    impl Source for Events {
        fn next(&mut self, _: Duration) -> crate::feed::Next {
            if self.0.is_empty() {
                return crate::feed::Next::Ended;
            }
            crate::feed::Next::Batch(self.0.drain(..).map(Ok).collect())
        }
        fn close(&mut self) -> anyhow::Result<()> {
            Ok(())
        }
    }

    fn value_printer() -> Box<dyn Printer> {
        printer(&Output {
            format: Format::Value,
            color: false,
            width: None,
            terminal: false,
        })
    }

    #[test]
    fn prints_everything_then_ends() {
        let mut out = Vec::new();
        let mut sink = PrintSink::new(value_printer(), None, &mut out);
        let mut source = Events(vec![event(0), event(1), event(2)]);
        let outcome = pipeline::run(
            &mut source,
            None,
            &mut sink,
            &Options::default(),
            &Stop::default(),
        )
        .unwrap();
        assert_eq!(outcome.emitted, 3);
        drop(sink);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
        );
    }

    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn closed_pipe_is_a_quiet_end() {
        let mut sink = PrintSink::new(value_printer(), None, ClosedPipe);
        sink.event(event(0)).unwrap();
        assert_eq!(sink.idle().unwrap(), Flow::Stop);
        assert!(sink.pipe_closed);
    }
}
