//! `evt produce TOPIC [FILE…]`: envelope lines back into a topic, byte for byte.

use crate::broker::{self, Connection};
use crate::config::ProduceJob;
use crate::error::{EvtError, ExitStatus};
use crate::pipeline::{self, Ended};
use crate::sink::produce::Producer;
use crate::stop::Stop;

pub fn run(connection: &Connection, job: &ProduceJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if connection.readonly {
        return Err(readonly_error(connection));
    }
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let topic = broker.find(std::slice::from_ref(&job.topic))?;
    let partitions = i32::try_from(topic[0].partitions.len()).unwrap_or(i32::MAX);
    let mut source = job.request.open(None, None, stop)?;
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
