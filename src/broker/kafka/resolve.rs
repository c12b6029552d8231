//! Resolving a window to offsets on each partition with rdkafka.
//!
//! Watermarks and time positions are asked for in one offset-for-timestamp request per kind
//! (O(log n) on the broker, never a scan).

use std::sync::Arc;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::probe::{Probe, Search};
use crate::broker::plan::{resolve_position, PartitionPlan, Plan, Watermarks};
use crate::broker::{Connection, TopicInfo};
use crate::error::EvtError;
use crate::position::{Position, Window};

/// Makes the plan: watermarks for every selected partition, then time positions.
pub fn resolve(
    consumer: &BaseConsumer,
    connection: &Connection,
    topics: &[(TopicInfo, Vec<i32>)],
    window: &Window,
    bounded: bool,
) -> anyhow::Result<Plan> {
    let mut all = TopicPartitionList::new();
    for (topic, partitions) in topics {
        for p in partitions {
            all.add_partition(&topic.name, *p);
        }
    }
    let lows = list_offsets(consumer, connection, &all, Offset::Beginning)?;
    let highs = list_offsets(consumer, connection, &all, Offset::End)?;
    let marks = |topic: &str, p: i32| Watermarks {
        low: lookup(&lows, topic, p).unwrap_or(0),
        high: lookup(&highs, topic, p).unwrap_or(0),
    };
    let mut times = TimeLookup {
        consumer,
        connection,
        all: &all,
        probe: None,
    };
    let from_times = times.resolve(window.from, &marks)?;
    let until = window.until.or(bounded.then_some(Position::End));
    let until_times = match until {
        Some(u) => times.resolve(u, &marks)?,
        None => None,
    };

    let mut plan = Plan::default();
    for (topic, partitions) in topics {
        let name: Arc<str> = Arc::from(topic.name.as_str());
        for &p in partitions {
            let marks = marks(&topic.name, p);
            let time_of = |answers: &Option<TopicPartitionList>| {
                answers.as_ref().and_then(|a| lookup(a, &topic.name, p))
            };
            let start = resolve_position(window.from, marks, time_of(&from_times));
            let end = until.map(|u| resolve_position(u, marks, time_of(&until_times)).max(start));
            plan.partitions.push(PartitionPlan {
                topic: name.clone(),
                partition: p,
                low: marks.low,
                high: marks.high,
                start,
                end,
            });
        }
    }
    Ok(plan)
}

/// One ListOffsets round trip for every partition in `all`.
fn list_offsets(
    consumer: &BaseConsumer,
    connection: &Connection,
    all: &TopicPartitionList,
    query: Offset,
) -> anyhow::Result<TopicPartitionList> {
    let mut request = TopicPartitionList::new();
    for e in all.elements() {
        request
            .add_partition_offset(e.topic(), e.partition(), query)
            .map_err(|e| EvtError::broker(format!("cannot build an offset request: {e}")))?;
    }
    let answer = consumer
        .offsets_for_times(request, connection.timeout)
        .map_err(|e| super::metadata::unreachable_error(&e, connection))?;
    for e in answer.elements() {
        if let Err(err) = e.error() {
            return Err(EvtError::broker(format!(
                "the broker could not list offsets of {}/{}: {err}",
                e.topic(),
                e.partition()
            )));
        }
    }
    Ok(answer)
}

/// Time positions: the broker's offset-for-timestamp answer, or a bisection on record
/// timestamps where the broker has none although the partition holds later records.
struct TimeLookup<'a> {
    consumer: &'a BaseConsumer,
    connection: &'a Connection,
    all: &'a TopicPartitionList,
    probe: Option<Probe>,
}

impl TimeLookup<'_> {
    fn resolve(
        &mut self,
        position: Position,
        marks: &dyn Fn(&str, i32) -> Watermarks,
    ) -> anyhow::Result<Option<TopicPartitionList>> {
        let Position::Time(ms) = position else {
            return Ok(None);
        };
        let mut answer =
            list_offsets(self.consumer, self.connection, self.all, Offset::Offset(ms))?;
        // Doubtful answers: none although the partition holds records, or the log start
        // (tansu 0.6 answers that for a time after every record). Check them by reading.
        let mut doubtful: Vec<(String, Vec<Search>)> = Vec::new();
        for e in self.all.elements() {
            let (topic, p) = (e.topic(), e.partition());
            let Watermarks { low, high } = marks(topic, p);
            let answered = lookup(&answer, topic, p);
            if high <= low || answered.is_some_and(|o| o > low) {
                continue;
            }
            let search = Search::new(p, low, high);
            match doubtful.iter_mut().find(|(t, _)| t == topic) {
                Some((_, searches)) => searches.push(search),
                None => doubtful.push((topic.to_string(), vec![search])),
            }
        }
        for (topic, mut searches) in doubtful {
            let probe = match &mut self.probe {
                Some(probe) => probe,
                None => self.probe.insert(Probe::new(self.connection)?),
            };
            let before = probe.rounds;
            probe.search(&topic, &mut searches, ms)?;
            if self.connection.verbose > 0 {
                eprintln!(
                    "evt: {topic}: the broker's time lookup for {position} was missing or doubtful on \
                     {} partition(s); bisected record timestamps instead ({} fetch rounds)",
                    searches.len(),
                    probe.rounds - before
                );
            }
            for s in searches {
                let offset = match s.answer.flatten() {
                    Some(o) => Offset::Offset(o),
                    None => Offset::End,
                };
                answer
                    .set_partition_offset(&topic, s.partition, offset)
                    .map_err(|e| EvtError::broker(format!("cannot record offset: {e}")))?;
            }
        }
        Ok(Some(answer))
    }
}

/// The offset the broker answered for a partition; `None` for "no such offset".
fn lookup(answer: &TopicPartitionList, topic: &str, partition: i32) -> Option<i64> {
    match answer.find_partition(topic, partition)?.offset() {
        Offset::Offset(o) if o >= 0 => Some(o),
        _ => None,
    }
}
