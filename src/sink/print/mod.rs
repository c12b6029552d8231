//! Printing events to stdout: one [`Printer`] per `--format`, chosen once before the first
//! event arrives, behind one [`PrintSink`] that owns stdout, buffers, marks invalid events
//! (`--validate`) and ends quietly when the reader of stdout goes away.

mod compact;
mod json;
mod pretty;
pub use crate::safe;
mod table;
pub mod template;
mod value;

use std::io::{ErrorKind, Write};

use crate::event::Event;
use crate::sink::{Flow, Sink};
use crate::validate::{Schemas, Verdict, Violation};

/// The formats events are printed in.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// A header line and indented JSON, for people.
    Pretty,
    /// One line per event: time, place, key, value.
    Compact,
    /// The lossless envelope, one per line.
    Json,
    /// The payload only.
    Value,
    /// One table for the whole stream, fitted to the terminal.
    Table,
    /// kcat's format strings, and evt's own tokens.
    Template(template::Template),
}

/// How times are shown to people (the JSON envelope always keeps its own form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeStyle {
    /// ISO 8601 in UTC with milliseconds.
    #[default]
    Utc,
    /// ISO 8601 in the local time zone, with its offset.
    Local,
    /// Milliseconds since the epoch.
    Ms,
    /// How long ago (`3m12s ago`), or ahead (`in 5s`).
    Relative,
}

/// A timestamp as `style` shows it (`no-timestamp` when there is none).
pub fn show_time(ms: Option<i64>, style: TimeStyle) -> String {
    let Some(ms) = ms else {
        return "no-timestamp".to_string();
    };
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms);
    match (style, at) {
        (TimeStyle::Ms, _) | (_, None) => ms.to_string(),
        (TimeStyle::Utc, Some(at)) => at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        (TimeStyle::Local, Some(at)) => at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string(),
        (TimeStyle::Relative, Some(_)) => {
            relative(chrono::Utc::now().timestamp_millis().saturating_sub(ms))
        }
    }
}

/// `3m12s ago` for a past `ago_ms`, `in 5s` for a future one; the two largest units.
fn relative(ago_ms: i64) -> String {
    let secs = ago_ms.unsigned_abs() / 1000;
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut left = secs;
    for (size, name) in units {
        if left >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{name}", left / size));
            left %= size;
        }
        if parts.len() == 2 || (!parts.is_empty() && left == 0) {
            break;
        }
    }
    let span = parts.concat();
    if ago_ms >= 0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// How a value is shown to people: as the envelope classifies it, except that a
/// Confluent-framed value (magic byte 0, schema id) is described like binary, whatever its
/// bytes look like.
pub(crate) fn shown(bytes: &[u8]) -> crate::event::Payload<'_> {
    match crate::event::split_confluent(bytes) {
        Some(_) => crate::event::Payload::Binary(bytes),
        None => crate::event::Payload::of(bytes),
    }
}

/// A binary value as a person reads it: Confluent-framed values (magic byte 0, schema id)
/// named as such, every other one by its size; then the first bytes in hex.
pub fn value_note(bytes: &[u8]) -> String {
    let (head, payload) = match crate::event::split_confluent(bytes) {
        Some((id, payload)) => (format!("schema-id {id}, {} bytes", payload.len()), payload),
        None => (format!("{} bytes of binary", bytes.len()), bytes),
    };
    const PREVIEW: usize = 16;
    let hex: Vec<String> = payload
        .iter()
        .take(PREVIEW)
        .map(|b| format!("{b:02x}"))
        .collect();
    let more = if payload.len() > PREVIEW { " …" } else { "" };
    if hex.is_empty() {
        head
    } else {
        format!("{head}: {}{more}", hex.join(" "))
    }
}

/// How events are printed, decided once from the flags and the terminal.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    /// How times are shown in pretty, compact, table and template output.
    pub time: TimeStyle,
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
    match &output.format {
        Format::Json => Box::new(json::JsonPrinter),
        Format::Value => Box::new(value::ValuePrinter),
        Format::Pretty => Box::new(pretty::PrettyPrinter::new(output.color, output.time)),
        Format::Compact => Box::new(compact::CompactPrinter::new(output.color, output.time)),
        Format::Table => Box::new(table::TablePrinter::new(output.width, output.time)),
        Format::Template(t) => Box::new(template::TemplatePrinter::new(
            t.clone(),
            output.time,
            output.terminal,
        )),
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
            time: TimeStyle::Utc,
            color: false,
            width: None,
            terminal: false,
        })
    }

    #[test]
    fn times_show_as_asked() {
        assert_eq!(
            show_time(Some(1_767_225_600_123), TimeStyle::Utc),
            "2026-01-01T00:00:00.123Z"
        );
        assert_eq!(
            show_time(Some(1_767_225_600_123), TimeStyle::Ms),
            "1767225600123"
        );
        assert_eq!(show_time(None, TimeStyle::Relative), "no-timestamp");
        assert_eq!(relative(192_000), "3m12s ago");
        assert_eq!(relative(3_600_000 * 26 + 60_000), "1d2h ago");
        assert_eq!(relative(-5_000), "in 5s");
        assert_eq!(relative(400), "0s ago");
        assert_eq!(relative(7_200_000), "2h ago");
        let now = chrono::Utc::now().timestamp_millis();
        assert_eq!(
            show_time(Some(now - 65_000), TimeStyle::Relative),
            "1m5s ago"
        );
        let local = show_time(Some(0), TimeStyle::Local);
        assert!(
            local.contains('T') && (local.contains('+') || local.contains('-')),
            "{local}"
        );
    }

    #[test]
    fn binary_values_are_described_with_their_schema_id() {
        assert_eq!(
            value_note(&[0, 0, 0, 1, 0x2c, 0xab]),
            "schema-id 300, 1 bytes: ab"
        );
        assert_eq!(
            value_note(&[0xff; 20]),
            "20 bytes of binary: ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff …"
        );
        assert_eq!(value_note(&[0, 0, 0, 0, 7]), "schema-id 7, 0 bytes");
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
