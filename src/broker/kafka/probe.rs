//! Finding offsets by time without the broker's help (librdkafka's mock cluster answers no
//! offset-for-timestamp lookup; tansu 0.6 answers the log start for times after every record):
//! bisect offsets on record timestamps. All partitions of a topic move in lockstep, one fetch
//! round per step, so a lookup costs O(log n) rounds whatever the partition count.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::broker::Connection;
use crate::error::EvtError;

/// One partition's search for the first offset whose record is at or after a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub partition: i32,
    lo: i64,
    hi: i64,
    /// `Some(None)`: no record at or after the time; `Some(Some(o))`: found.
    pub answer: Option<Option<i64>>,
}

impl Search {
    /// Searches `low..high` (the partition's watermarks).
    pub fn new(partition: i32, low: i64, high: i64) -> Search {
        let answer = (high <= low).then_some(None);
        Search {
            partition,
            lo: low,
            hi: high - 1,
            answer,
        }
    }
}

/// Reads single records to learn their timestamps.
pub struct Probe {
    consumer: BaseConsumer,
    timeout: Duration,
    /// Fetch rounds so far (each reads one record from every partition still searching).
    pub rounds: u32,
}

impl Probe {
    pub fn new(connection: &Connection) -> anyhow::Result<Probe> {
        let consumer = super::consumer_with(
            connection,
            &[
                ("max.partition.fetch.bytes", "65536"),
                ("queued.min.messages", "1"),
            ],
        )?;
        Ok(Probe {
            consumer,
            timeout: connection.timeout,
            rounds: 0,
        })
    }

    /// Resolves every search of `topic` for `time`, assuming timestamps grow with offsets.
    /// First the last record (is anything that recent?), then the first (is everything?),
    /// then bisection.
    pub fn search(
        &mut self,
        topic: &str,
        searches: &mut [Search],
        time: i64,
    ) -> anyhow::Result<()> {
        self.step(
            topic,
            searches,
            |s| Some(s.hi),
            |s, ts, _| {
                if ts < time {
                    s.answer = Some(None);
                }
            },
        )?;
        self.step(
            topic,
            searches,
            |s| Some(s.lo),
            |s, ts, _| {
                if ts >= time {
                    s.answer = Some(Some(s.lo));
                }
            },
        )?;
        while searches.iter().any(|s| s.answer.is_none()) {
            self.step(
                topic,
                searches,
                |s| (s.lo < s.hi).then(|| s.lo + (s.hi - s.lo) / 2),
                |s, ts, found| {
                    let mid = s.lo + (s.hi - s.lo) / 2;
                    if ts >= time {
                        s.hi = mid;
                    } else {
                        s.lo = (found + 1).max(mid + 1);
                    }
                },
            )?;
            for s in searches
                .iter_mut()
                .filter(|s| s.answer.is_none() && s.lo >= s.hi)
            {
                s.answer = Some(Some(s.lo));
            }
        }
        Ok(())
    }

    /// One round: reads the record at `offset_of(search)` for every unresolved search.
    fn step(
        &mut self,
        topic: &str,
        searches: &mut [Search],
        offset_of: impl Fn(&Search) -> Option<i64>,
        update: impl Fn(&mut Search, i64, i64),
    ) -> anyhow::Result<()> {
        let wanted: HashMap<i32, i64> = searches
            .iter()
            .filter(|s| s.answer.is_none())
            .filter_map(|s| offset_of(s).map(|o| (s.partition, o)))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let found = self.records_at(topic, &wanted)?;
        for s in searches.iter_mut().filter(|s| s.answer.is_none()) {
            match found.get(&s.partition) {
                Some(Some((offset, ts))) => update(s, *ts, *offset),
                // Nothing at or after that offset (or no timestamp): treat as "at the end".
                Some(None) => s.hi = s.hi.min(wanted[&s.partition]),
                None => {}
            }
        }
        Ok(())
    }

    /// The first record at or after each requested offset: its offset and timestamp.
    pub fn records_at(
        &mut self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
    ) -> anyhow::Result<HashMap<i32, Option<(i64, i64)>>> {
        let found = self.fetch_each(topic, wanted, |m| {
            m.timestamp().to_millis().map(|ts| (m.offset(), ts))
        })?;
        Ok(found.into_iter().map(|(p, v)| (p, v.flatten())).collect())
    }

    /// The value of header `name` on the record at each requested offset (`None`: no record
    /// there, or no such header).
    pub fn headers_at(
        &mut self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
        name: &str,
    ) -> anyhow::Result<HashMap<i32, Option<Vec<u8>>>> {
        use rdkafka::message::Headers;
        let found = self.fetch_each(topic, wanted, |m| {
            m.headers().and_then(|hs| {
                hs.iter()
                    .find(|h| h.key == name)
                    .and_then(|h| h.value.map(<[u8]>::to_vec))
            })
        })?;
        Ok(found.into_iter().map(|(p, v)| (p, v.flatten())).collect())
    }

    /// Reads the first record at or after each requested offset and extracts from it.
    fn fetch_each<T>(
        &mut self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
        extract: impl Fn(&rdkafka::message::BorrowedMessage<'_>) -> T,
    ) -> anyhow::Result<HashMap<i32, Option<T>>> {
        self.rounds += 1;
        let mut tpl = TopicPartitionList::new();
        for (p, o) in wanted {
            tpl.add_partition_offset(topic, *p, Offset::Offset(*o))
                .map_err(|e| EvtError::broker(format!("cannot probe {topic}/{p}: {e}")))?;
        }
        self.consumer
            .assign(&tpl)
            .map_err(|e| EvtError::broker(format!("cannot probe {topic}: {e}")))?;
        let mut found = HashMap::with_capacity(wanted.len());
        let deadline = Instant::now() + self.timeout;
        while found.len() < wanted.len() {
            if Instant::now() > deadline {
                return Err(EvtError::broker(format!(
                    "no answer from {topic} within {:?} while reading single records",
                    self.timeout
                )));
            }
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) if m.topic() == topic => {
                    let p = m.partition();
                    if wanted.get(&p).is_some_and(|o| m.offset() >= *o) && !found.contains_key(&p) {
                        found.insert(p, Some(extract(&m)));
                    }
                }
                Some(Err(KafkaError::PartitionEOF(p))) if wanted.contains_key(&p) => {
                    found.entry(p).or_insert(None);
                }
                _ => {}
            }
        }
        Ok(found)
    }

    /// The timestamp of the first record at or after each wanted offset (per partition,
    /// any number of offsets), in one pass: each partition is read from its smallest wanted
    /// offset, and jumps ahead (a seek) only over gaps of more than [`SCAN`] records, so
    /// offsets close together cost one fetch. Offsets with no record at or after them (the
    /// end) are left out of the answer.
    pub fn timestamps_at(
        &mut self,
        topic: &str,
        wanted: &HashMap<i32, Vec<i64>>,
    ) -> anyhow::Result<HashMap<(i32, i64), i64>> {
        self.rounds += 1;
        struct Part {
            offsets: Vec<i64>,
            /// The first offset not yet resolved.
            next: usize,
            /// The last offset sought, so that records already on their way after a seek do
            /// not cause another.
            sought: i64,
        }
        let mut parts: HashMap<i32, Part> = HashMap::new();
        let mut tpl = TopicPartitionList::new();
        for (p, offsets) in wanted {
            let mut offsets = offsets.clone();
            offsets.sort_unstable();
            offsets.dedup();
            let Some(&first) = offsets.first() else {
                continue;
            };
            tpl.add_partition_offset(topic, *p, Offset::Offset(first))
                .map_err(|e| EvtError::broker(format!("cannot probe {topic}/{p}: {e}")))?;
            parts.insert(
                *p,
                Part {
                    offsets,
                    next: 0,
                    sought: first,
                },
            );
        }
        let mut out = HashMap::new();
        if parts.is_empty() {
            return Ok(out);
        }
        self.consumer
            .assign(&tpl)
            .map_err(|e| EvtError::broker(format!("cannot probe {topic}: {e}")))?;
        let mut open = parts.len();
        let deadline = Instant::now() + self.timeout;
        while open > 0 {
            if Instant::now() > deadline {
                return Err(EvtError::broker(format!(
                    "no answer from {topic} within {:?} while reading single records",
                    self.timeout
                )));
            }
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) if m.topic() == topic => {
                    let p = m.partition();
                    let Some(part) = parts.get_mut(&p) else {
                        continue;
                    };
                    if part.next == part.offsets.len() {
                        continue;
                    }
                    let offset = m.offset();
                    let ts = m.timestamp().to_millis();
                    while part.next < part.offsets.len() && part.offsets[part.next] <= offset {
                        if let Some(ts) = ts {
                            out.insert((p, part.offsets[part.next]), ts);
                        }
                        part.next += 1;
                    }
                    match part.offsets.get(part.next) {
                        None => open -= 1,
                        Some(&ahead) if ahead > offset + SCAN && part.sought < ahead => {
                            part.sought = ahead;
                            self.consumer
                                .seek(topic, p, Offset::Offset(ahead), self.timeout)
                                .map_err(|e| {
                                    EvtError::broker(format!("cannot probe {topic}/{p}: {e}"))
                                })?;
                        }
                        Some(_) => {}
                    }
                }
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    if let Some(part) = parts.get_mut(&p) {
                        if part.next < part.offsets.len() {
                            part.next = part.offsets.len();
                            open -= 1;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}

/// Records read past rather than sought over, between two wanted offsets of a partition.
const SCAN: i64 = 500;
