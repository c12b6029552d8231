//! Printers: one per format behind one trait, chosen once before the first event arrives.
//!
//! One task owns stdout: [`drain`] receives batches from the reader and writes them through the
//! printer into one buffer, flushed when the reader has nothing more ready.

mod json;
mod plan;
mod pretty;
mod table;
mod value;
pub mod violations;

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use crate::cli::Format;
use crate::config::Output;
use crate::event::Event;
use crate::filter::Filter;

pub use plan::explain;

/// Turns events into bytes for stdout.
pub trait Printer: Send {
    /// Appends the printed form of one event to `out`.
    fn print(&mut self, event: &Event, out: &mut Vec<u8>);
    /// Appends anything held back (the table printer holds rows); called before each flush.
    fn flush(&mut self, _out: &mut Vec<u8>) {}
    /// Marks the event just printed as invalid (`--validate`).
    fn annotate(&mut self, _invalid: &Invalid, _out: &mut Vec<u8>) {}
}

/// An event's schema violations, as `--validate` shows them inline.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub schema: String,
    pub violations: Vec<crate::validate::Violation>,
}

/// `--validate PATH`: checks each printed event; `--only-invalid` prints just the failures.
pub struct InlineValidation {
    pub schemas: crate::validate::Schemas,
    pub only_invalid: bool,
}

impl InlineValidation {
    /// The violations of an event's value, if any (a value that is not JSON is one).
    fn check(&mut self, event: &Event) -> Option<Invalid> {
        use crate::validate::Verdict;
        let value = event.value.as_deref()?;
        let verdict = match serde_json::from_slice::<serde_json::Value>(value) {
            Ok(v) => self
                .schemas
                .check(&v, Some(&event.topic))
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

/// The printer for the chosen format.
pub fn printer(output: &Output) -> Box<dyn Printer> {
    match output.format {
        Format::Json => Box::new(json::JsonPrinter),
        Format::Value => Box::new(value::ValuePrinter),
        Format::Pretty => Box::new(pretty::PrettyPrinter::new(output.color)),
        Format::Table => Box::new(table::TablePrinter::new()),
    }
}

/// How printing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printed {
    pub events: u64,
    /// The reader of stdout went away (`evt read … | head`): a quiet, successful end.
    pub pipe_closed: bool,
}

const FLUSH_AT: usize = 256 * 1024;

/// Prints every batch that passes `filter` until the channel closes, `limit` events were
/// printed, or stdout closes. Sets `stop` when it needs no more events, so the reader ends
/// promptly.
pub fn drain(
    batches: Receiver<Vec<Event>>,
    mut filter: Option<&mut Filter>,
    mut inline: Option<&mut InlineValidation>,
    mut printer: Box<dyn Printer>,
    limit: Option<u64>,
    stop: &AtomicBool,
    mut stdout: impl Write,
) -> std::io::Result<Printed> {
    let mut out = Vec::with_capacity(FLUSH_AT + 64 * 1024);
    let mut printed = Printed {
        events: 0,
        pipe_closed: false,
    };
    let mut pending = batches.recv().ok();
    'batches: while let Some(batch) = pending {
        for event in batch {
            if limit.is_some_and(|n| printed.events >= n) {
                stop.store(true, Ordering::Relaxed);
                break 'batches;
            }
            let mut print = |e: Event| {
                if limit.is_some_and(|n| printed.events >= n) {
                    return;
                }
                let invalid = inline.as_deref_mut().and_then(|v| v.check(&e));
                if invalid.is_none() && inline.as_deref().is_some_and(|v| v.only_invalid) {
                    return;
                }
                printer.print(&e, &mut out);
                if let Some(invalid) = &invalid {
                    printer.annotate(invalid, &mut out);
                }
                printed.events += 1;
            };
            match filter.as_deref_mut() {
                Some(f) => f.apply(event, &mut print),
                None => print(event),
            }
        }
        if limit.is_some_and(|n| printed.events >= n) {
            stop.store(true, Ordering::Relaxed);
            break;
        }
        pending = batches.try_recv().ok();
        if pending.is_none() || out.len() >= FLUSH_AT {
            printer.flush(&mut out);
            if !write_out(&mut stdout, &mut out, &mut printed, stop)? {
                return Ok(printed);
            }
        }
        if pending.is_none() {
            pending = batches.recv().ok();
        }
    }
    printer.flush(&mut out);
    write_out(&mut stdout, &mut out, &mut printed, stop)?;
    Ok(printed)
}

/// Writes and clears the buffer; false when stdout has closed.
fn write_out(
    stdout: &mut impl Write,
    out: &mut Vec<u8>,
    printed: &mut Printed,
    stop: &AtomicBool,
) -> std::io::Result<bool> {
    let result = stdout.write_all(out).and_then(|()| stdout.flush());
    out.clear();
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => {
            printed.pipe_closed = true;
            stop.store(true, Ordering::Relaxed);
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::sync_channel;
    use std::sync::Arc;

    fn event(offset: i64) -> Event {
        Event {
            topic: Arc::from("t"),
            partition: 0,
            offset,
            timestamp: Some(0),
            timestamp_type: crate::event::TimestampType::Create,
            key: None,
            value: Some(format!("{{\"n\":{offset}}}").into_bytes()),
            headers: vec![],
        }
    }

    fn json() -> Box<dyn Printer> {
        printer(&Output {
            format: Format::Value,
            color: false,
        })
    }

    #[test]
    fn prints_everything_then_ends() {
        let (tx, rx) = sync_channel(4);
        tx.send(vec![event(0), event(1)]).unwrap();
        tx.send(vec![event(2)]).unwrap();
        drop(tx);
        let mut out = Vec::new();
        let stop = AtomicBool::new(false);
        let printed = drain(rx, None, None, json(), None, &stop, &mut out).unwrap();
        assert_eq!(printed.events, 3);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
        );
        assert!(!stop.load(Ordering::Relaxed));
    }

    #[test]
    fn count_limit_stops_the_reader() {
        let (tx, rx) = sync_channel(4);
        tx.send(vec![event(0), event(1), event(2)]).unwrap();
        let mut out = Vec::new();
        let stop = AtomicBool::new(false);
        let printed = drain(rx, None, None, json(), Some(2), &stop, &mut out).unwrap();
        assert_eq!(printed.events, 2);
        assert!(stop.load(Ordering::Relaxed));
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2);
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
        let (tx, rx) = sync_channel(4);
        tx.send(vec![event(0)]).unwrap();
        let stop = AtomicBool::new(false);
        let printed = drain(rx, None, None, json(), None, &stop, ClosedPipe).unwrap();
        assert!(printed.pipe_closed);
        assert!(stop.load(Ordering::Relaxed));
    }
}
