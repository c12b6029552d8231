//! `evt produce TOPIC [FILE…]`: envelope lines back into a topic, byte for byte.

use crate::broker::{self, Connection};
use crate::config::{OneEvent, ProduceJob, ValueFrom};
use crate::error::{EvtError, ExitStatus};
use crate::event::{Event, Header, Origin};
use crate::feed::Next;
use crate::pipeline::{self, Ended};
use crate::sink::produce::Producer;
use crate::source::Source;
use crate::stop::Stop;

pub fn run(connection: &Connection, job: &ProduceJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if connection.readonly {
        return Err(readonly_error(connection));
    }
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let topic = broker.find(std::slice::from_ref(&job.topic))?;
    let partitions = i32::try_from(topic[0].partitions.len()).unwrap_or(i32::MAX);
    // A typed event's value is read before anything is written (stdin until it closes).
    let mut source: Box<dyn Source> = match &job.single {
        Some(one) => Box::new(One(Some(typed_event(one)?))),
        None => job.request.open(None, None, stop)?,
    };
    let mut sink = Producer::new(
        broker.writer(stop)?,
        &job.topic,
        partitions,
        job.skip_bad,
        stop,
    );
    drop(waiting);
    let outcome = pipeline::run(
        &mut *source,
        None,
        &mut sink,
        &pipeline::Options::default(),
        stop,
    )?;
    let unconfirmed = sink.unconfirmed();
    eprintln!(
        "evt: wrote {} event(s) to '{}'{}{}{}",
        sink.confirmed,
        job.topic,
        if sink.bad > 0 {
            format!(", {} bad line(s)", sink.bad)
        } else {
            String::new()
        },
        if sink.too_large > 0 {
            format!(", {} too large record(s) skipped", sink.too_large)
        } else {
            String::new()
        },
        if sink.failures.is_empty() && unconfirmed == 0 {
            String::new()
        } else {
            format!(
                ", {} not delivered",
                sink.failures.len() as u64 + unconfirmed
            )
        }
    );
    if let Some(first) = sink.failures.first() {
        return Err(EvtError::broker(format!(
            "{} event(s) were not delivered (first: {first}); the broker may be down",
            sink.failures.len()
        )));
    }
    if unconfirmed > 0 {
        return Err(EvtError::broker(format!(
            "{unconfirmed} event(s) had no delivery report within the timeout; the broker may be down"
        )));
    }
    // The events before it are written (the summary counts them), nothing after it.
    if let Some(refused) = sink.refused.take() {
        return Err(refused);
    }
    if let Some(origin) = &sink.stopped_at {
        return Err(EvtError::usage(format!(
            "stopped at the bad line {origin}; the {} event(s) before it were written, nothing after it (--skip-bad goes on past bad lines)",
            sink.confirmed
        )));
    }
    Ok(if outcome.ended == Ended::Interrupted {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Success
    })
}

pub fn readonly_error(connection: &Connection) -> anyhow::Error {
    EvtError::usage(format!(
        "profile '{}' is readonly; evt does not write into it (choose another profile or cluster)",
        connection.profile.as_deref().unwrap_or("?")
    ))
}

/// The event `--key`, `--header` and `--value`/`--value-file`/stdin describe.
fn typed_event(one: &OneEvent) -> anyhow::Result<Event> {
    let (value, from) = match &one.value {
        ValueFrom::Text(text) => (text.as_bytes().to_vec(), "--value".to_string()),
        ValueFrom::File(path) => (
            std::fs::read(path)
                .map_err(|e| EvtError::usage(format!("--value-file {}: {e}", path.display())))?,
            path.display().to_string(),
        ),
        ValueFrom::Stdin => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .map_err(|e| EvtError::usage(format!("cannot read the value from stdin: {e}")))?;
            // What a person types (or echoes) ends with a newline that is not the value's.
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            (bytes, "stdin".to_string())
        }
    };
    Ok(Event {
        key: one.key.clone(),
        value: Some(value),
        headers: one
            .headers
            .iter()
            .map(|(name, value)| Header {
                name: name.clone(),
                value: Some(value.clone()),
            })
            .collect(),
        ..Event::new(Origin::Line {
            file: std::sync::Arc::from(from.as_str()),
            line: 1,
        })
    })
}

/// A source of one event.
struct One(Option<Event>);

impl Source for One {
    fn next(&mut self, _wait: std::time::Duration) -> Next {
        match self.0.take() {
            Some(event) => Next::Batch(vec![Ok(event)]),
            None => Next::Ended,
        }
    }

    fn close(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}
