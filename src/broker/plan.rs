//! Resolving a [`Window`] to offsets on each partition: the read plan.
//!
//! Watermarks and time positions are asked for in one offset-for-timestamp request per kind
//! (O(log n) on the broker, never a scan). End offsets are snapshotted here, once, so bounded
//! reads always terminate.

use std::sync::Arc;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use crate::broker::metadata::TopicInfo;
use crate::broker::probe::{Probe, Search};
use crate::config::{Connection, Window};
use crate::error::EvtError;
use crate::position::Position;

/// What will be read from one partition: offsets `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlan {
    pub topic: Arc<str>,
    pub partition: i32,
    /// The log start offset when the plan was made.
    pub low: i64,
    /// The log end offset when the plan was made.
    pub high: i64,
    pub start: i64,
    /// Exclusive; `None` means unbounded (tail).
    pub end: Option<i64>,
}

impl PartitionPlan {
    /// How many offsets the window spans (records, unless compaction removed some).
    pub fn count(&self) -> Option<i64> {
        self.end.map(|end| (end - self.start).max(0))
    }

    pub fn is_empty(&self) -> bool {
        self.count() == Some(0)
    }
}

/// The per-partition plan for a whole command.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub partitions: Vec<PartitionPlan>,
}

impl Plan {
    pub fn total(&self) -> Option<i64> {
        self.partitions.iter().map(PartitionPlan::count).sum()
    }
}

/// Watermarks of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    pub low: i64,
    pub high: i64,
}

/// Resolves a position against a partition's watermarks; `time` is the broker's answer for a
/// time position (`None`: no record at or after that time).
pub fn resolve_position(position: Position, marks: Watermarks, time: Option<i64>) -> i64 {
    let Watermarks { low, high } = marks;
    let offset = match position {
        Position::Beginning => low,
        Position::End => high,
        Position::Offset(o) => o,
        Position::FromEnd(n) => high.saturating_sub(i64::try_from(n).unwrap_or(i64::MAX)),
        Position::FromBeginning(n) => low.saturating_add(i64::try_from(n).unwrap_or(i64::MAX)),
        Position::Time(_) => time.unwrap_or(high),
    };
    offset.clamp(low, high.max(low))
}

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
        .map_err(|e| crate::broker::metadata::unreachable_error(&e, connection))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const MARKS: Watermarks = Watermarks {
        low: 100,
        high: 200,
    };

    #[test]
    fn named_and_absolute_positions_clamp_to_watermarks() {
        assert_eq!(resolve_position(Position::Beginning, MARKS, None), 100);
        assert_eq!(resolve_position(Position::End, MARKS, None), 200);
        assert_eq!(resolve_position(Position::Offset(150), MARKS, None), 150);
        assert_eq!(resolve_position(Position::Offset(5), MARKS, None), 100);
        assert_eq!(resolve_position(Position::Offset(999), MARKS, None), 200);
    }

    #[test]
    fn relative_positions_clamp() {
        assert_eq!(resolve_position(Position::FromEnd(10), MARKS, None), 190);
        assert_eq!(resolve_position(Position::FromEnd(1000), MARKS, None), 100);
        assert_eq!(
            resolve_position(Position::FromEnd(u64::MAX), MARKS, None),
            100
        );
        assert_eq!(
            resolve_position(Position::FromBeginning(10), MARKS, None),
            110
        );
        assert_eq!(
            resolve_position(Position::FromBeginning(u64::MAX), MARKS, None),
            200
        );
    }

    #[test]
    fn time_positions_use_the_broker_answer() {
        assert_eq!(resolve_position(Position::Time(1), MARKS, Some(142)), 142);
        // No record at or after that time: the window starts (or ends) at the end.
        assert_eq!(resolve_position(Position::Time(1), MARKS, None), 200);
    }

    #[test]
    fn empty_partition() {
        let empty = Watermarks { low: 0, high: 0 };
        assert_eq!(resolve_position(Position::FromEnd(5), empty, None), 0);
        assert_eq!(resolve_position(Position::Offset(3), empty, None), 0);
    }

    #[test]
    fn counts() {
        let p = PartitionPlan {
            topic: Arc::from("t"),
            partition: 0,
            low: 0,
            high: 10,
            start: 4,
            end: Some(9),
        };
        assert_eq!(p.count(), Some(5));
        let plan = Plan {
            partitions: vec![p.clone(), PartitionPlan { end: Some(4), ..p }],
        };
        assert_eq!(plan.total(), Some(5));
    }
}
