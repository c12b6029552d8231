//! `evt produce TOPIC [FILE…]`: envelope lines back into a topic, byte for byte.

use std::time::Duration;

use crate::broker::produce::{Tag, TrackedWriter};
use crate::broker::reader::Stop;
use crate::broker::{self, metadata};
use crate::config::{Connection, ProduceJob};
use crate::error::{EvtError, ExitStatus};
use crate::source::LineSource;

pub fn run(connection: &Connection, job: &ProduceJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if connection.readonly {
        return Err(readonly_error(connection));
    }
    let partitions = topic_partitions(connection, &job.topic)?;
    let writer = TrackedWriter::new(
        &connection.brokers,
        &connection.properties,
        connection.timeout,
    )?;
    let mut lines = LineSource::new(&job.files, job.values);
    let (mut sent, mut confirmed, mut bad) = (0u64, 0u64, 0u64);
    let mut failures: Vec<String> = Vec::new();
    let mut stopped_at = None;
    while let Some(item) = lines.next_event() {
        if stop.interrupted() {
            break;
        }
        let (place, event) = item?;
        let checked = event.and_then(|e| match e.partition {
            p if p >= partitions => Err(format!(
                "partition {p} does not exist in '{}' (it has {partitions}); remove \"partition\" to let the key decide",
                job.topic
            )),
            _ => Ok(e),
        });
        let event = match checked {
            Ok(e) => e,
            Err(why) => {
                eprintln!("evt: {place}: {why}");
                bad += 1;
                if job.skip_bad {
                    continue;
                }
                stopped_at = Some(place);
                break;
            }
        };
        writer.send(
            &job.topic,
            &event,
            None,
            Tag {
                lane: 0,
                offset: sent as i64,
            },
        )?;
        sent += 1;
        if sent % 1024 == 0 {
            tally(writer.poll(Duration::ZERO), &mut confirmed, &mut failures);
        }
    }
    tally(writer.flush(), &mut confirmed, &mut failures);
    let unconfirmed = sent - confirmed - failures.len() as u64;
    eprintln!(
        "evt: wrote {confirmed} event(s) to '{}'{}{}",
        job.topic,
        if bad > 0 {
            format!(", {bad} bad line(s)")
        } else {
            String::new()
        },
        if failures.is_empty() && unconfirmed == 0 {
            String::new()
        } else {
            format!(", {} not delivered", failures.len() as u64 + unconfirmed)
        }
    );
    if let Some(first) = failures.first() {
        return Err(EvtError::broker(format!(
            "{} event(s) were not delivered (first: {first}); the broker may be down",
            failures.len()
        )));
    }
    if unconfirmed > 0 {
        return Err(EvtError::broker(format!("{unconfirmed} event(s) had no delivery report within the timeout; the broker may be down")));
    }
    if let Some(place) = stopped_at {
        return Err(EvtError::usage(format!(
            "stopped at the bad line {place}; the {confirmed} event(s) before it were written, nothing after it (--skip-bad goes on past bad lines)"
        )));
    }
    Ok(if stop.interrupted() {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Success
    })
}

fn tally(
    deliveries: Vec<crate::broker::produce::Delivery>,
    confirmed: &mut u64,
    failures: &mut Vec<String>,
) {
    for d in deliveries {
        match d.outcome {
            Ok(()) => *confirmed += 1,
            Err(e) => failures.push(e),
        }
    }
}

/// The topic's partition count; an unknown topic is an error naming the closest ones.
pub fn topic_partitions(connection: &Connection, topic: &str) -> anyhow::Result<i32> {
    let consumer = broker::consumer(connection)?;
    let cluster = metadata::fetch(&consumer, connection)?;
    let info = metadata::topics(&cluster, &[topic.to_string()])?;
    Ok(i32::try_from(info[0].partitions.len()).unwrap_or(i32::MAX))
}

pub fn readonly_error(connection: &Connection) -> anyhow::Error {
    EvtError::usage(format!(
        "profile '{}' is readonly; evt does not write into it (choose another profile or cluster)",
        connection.profile.as_deref().unwrap_or("?")
    ))
}
