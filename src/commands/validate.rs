//! `evt validate [SOURCE…] --schema PATH`: check files and topic windows against JSON
//! Schemas, report every violation where it happened, exit 1 when any was found.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::Value;

use super::plan_window;
use crate::broker::reader::{ReadOptions, Stop};
use crate::config::{Connection, ValidateJob};
use crate::error::{EvtError, ExitStatus};
use crate::event::{Event, TimestampType};
use crate::filter::Filter;
use crate::output::violations::{Place, Reporter};
use crate::source::TopicSource;
use crate::validate::{MissingSchema, Schemas, Verdict};

/// The state of one validation run across all its sources.
struct Run<'a, W: Write> {
    schemas: Schemas,
    reporter: Reporter,
    filter: Option<Filter>,
    out: &'a mut W,
    max_errors: Option<u64>,
}

pub fn run(connection: &Connection, job: &ValidateJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let mut schemas = Schemas::load(&job.schema, job.schema_by.as_deref(), job.missing)?;
    schemas.check_all()?;
    let filter = Filter::optional(&job.selection.criteria)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut run = Run {
        schemas,
        reporter: Reporter::new(job.format, job.missing == MissingSchema::Warn),
        filter,
        out: &mut out,
        max_errors: job.max_errors,
    };
    let written = (|| -> anyhow::Result<()> {
        for file in &job.files {
            if run.enough() || stop.interrupted() {
                break;
            }
            run.file(file)?;
        }
        if !job.window.topics.is_empty() && !run.enough() {
            run.topics(connection, job, stop)?;
        }
        run.reporter.finish(run.out).map_err(anyhow::Error::from)
    })();
    match written {
        Err(e) if is_broken_pipe(&e) => return Ok(ExitStatus::Success),
        Err(e) => return Err(e),
        Ok(()) => {}
    }
    Ok(if stop.interrupted() {
        ExitStatus::Interrupted
    } else if run.reporter.tally.invalid > 0 {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

impl<W: Write> Run<'_, W> {
    fn enough(&self) -> bool {
        self.max_errors
            .is_some_and(|n| self.reporter.tally.invalid >= n)
    }

    /// A JSONL file (envelopes or plain values, line by line) or a JSON array file.
    fn file(&mut self, path: &std::path::Path) -> anyhow::Result<()> {
        let name = if path.as_os_str() == "-" {
            "stdin".to_string()
        } else {
            path.display().to_string()
        };
        let input: Box<dyn Read> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(
                std::fs::File::open(path)
                    .map_err(|e| EvtError::usage(format!("cannot read {name}: {e}")))?,
            )
        };
        let mut reader = BufReader::with_capacity(1 << 20, input);
        let first = reader
            .fill_buf()
            .map_err(|e| EvtError::usage(format!("cannot read {name}: {e}")))?;
        if first.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            return self.array_file(&name, reader);
        }
        let mut line = Vec::new();
        let mut number = 0;
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| EvtError::usage(format!("cannot read {name}: {e}")))?;
            if read == 0 || self.enough() {
                return Ok(());
            }
            number += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let place = Place::Line {
                file: name.clone(),
                line: number,
            };
            self.line(&place, &line)?;
        }
    }

    /// A JSON array, element by element: the array is never held in memory whole.
    fn array_file(&mut self, name: &str, reader: impl Read) -> anyhow::Result<()> {
        let mut failure = None;
        let mut index = 0usize;
        let mut each = |item: Value| -> bool {
            let place = Place::Item {
                file: name.to_string(),
                index,
            };
            index += 1;
            if let Err(e) = self.value(&place, item) {
                failure = Some(e);
                return false;
            }
            !self.enough()
        };
        let mut de = serde_json::Deserializer::from_reader(reader);
        let parsed = serde::Deserializer::deserialize_seq(&mut de, Elements(&mut each));
        if let Some(e) = failure {
            return Err(e);
        }
        if let Err(e) = parsed {
            let place = Place::Line {
                file: name.to_string(),
                line: e.line(),
            };
            return self.verdict(
                &place,
                Verdict::not_json(format!("not a valid JSON array: {e}")),
            );
        }
        Ok(())
    }

    /// One JSONL line: an envelope (its value is checked, its topic may choose the schema)
    /// or a plain value. A line that is not JSON is a violation at that line.
    fn line(&mut self, place: &Place, line: &[u8]) -> anyhow::Result<()> {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end();
        let parsed: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return self.verdict(place, Verdict::not_json(format!("not valid JSON: {e}")))
            }
        };
        let is_envelope = parsed.get("value").is_some()
            && (parsed.get("offset").is_some() || parsed.get("topic").is_some());
        if !is_envelope {
            return self.value(place, parsed);
        }
        match Event::from_envelope(text) {
            Ok(event) => self.event(place, event),
            Err(e) => self.verdict(place, Verdict::not_json(e.to_string())),
        }
    }

    /// A plain value: checked as it is, unless filters need it as an event first.
    fn value(&mut self, place: &Place, value: Value) -> anyhow::Result<()> {
        if self.filter.is_some() {
            let bytes = serde_json::to_vec(&value).expect("a value serialises");
            return self.event(place, value_event("", bytes));
        }
        let verdict = self.schemas.check(&value, None)?;
        self.verdict(place, verdict)
    }

    /// Filters, then checks one event's value.
    fn event(&mut self, place: &Place, event: Event) -> anyhow::Result<()> {
        let mut kept = Vec::with_capacity(1);
        match &mut self.filter {
            Some(f) => f.apply(event, &mut |e| kept.push(e)),
            None => kept.push(event),
        }
        for event in kept {
            let topic = (!event.topic.is_empty()).then(|| event.topic.to_string());
            let verdict = match event.value.as_deref().map(serde_json::from_slice::<Value>) {
                Some(Ok(value)) => self.schemas.check(&value, topic.as_deref())?,
                Some(Err(e)) => Verdict::not_json(format!("the value is not JSON: {e}")),
                None => Verdict::not_json("the event is a tombstone (no value)"),
            };
            self.verdict(place, verdict)?;
        }
        Ok(())
    }

    fn verdict(&mut self, place: &Place, verdict: Verdict) -> anyhow::Result<()> {
        self.reporter.record(place, verdict, self.out)?;
        Ok(())
    }

    /// Topic windows, read like `evt read --order partition`.
    fn topics(
        &mut self,
        connection: &Connection,
        job: &ValidateJob,
        stop: &Stop,
    ) -> anyhow::Result<()> {
        let (consumer, plan) = plan_window(connection, &job.window, &job.selection, true)?;
        let options = ReadOptions {
            merge_by_time: false,
            ..ReadOptions::bounded(stop, connection.timeout)
        };
        let (source, batches) = TopicSource::open(consumer, connection, plan, options);
        let mut result = Ok(());
        'read: for batch in batches.iter() {
            for event in batch {
                if self.enough() || stop.interrupted() {
                    break 'read;
                }
                let place = Place::Record {
                    topic: event.topic.to_string(),
                    partition: event.partition,
                    offset: event.offset,
                };
                if let Err(e) = self.event(&place, event) {
                    result = Err(e);
                    break 'read;
                }
            }
        }
        stop.enough.store(true, Ordering::Relaxed);
        drop(batches);
        let read = source.close();
        result?;
        read.map(drop)
    }
}

/// A plain value as an event (no key, no place in a topic).
fn value_event(topic: &str, value: Vec<u8>) -> Event {
    Event {
        topic: Arc::from(topic),
        partition: -1,
        offset: -1,
        timestamp: None,
        timestamp_type: TimestampType::Create,
        key: None,
        value: Some(value),
        headers: Vec::new(),
    }
}

/// Visits a JSON array one element at a time; the callback returns false to stop.
struct Elements<'f, F: FnMut(Value) -> bool>(&'f mut F);

impl<'de, F: FnMut(Value) -> bool> serde::de::Visitor<'de> for Elements<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of events")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Value>()? {
            if !(self.0)(item) {
                // Stop early (--max-errors): skip the rest without keeping it.
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                break;
            }
        }
        Ok(())
    }
}
