//! Looking at a stream without reading it all: where it starts and ends, the offset of a
//! time, the records at a few offsets. Each look is a short subscription whose chunk headers
//! (and only the chunks it needs) answer the question.
//!
//! RabbitMQ 3.10 has no stream statistics command, so the first and last offsets come from
//! the first and last chunk. An empty stream delivers nothing at all: a subscription that
//! stays silent for [`QUIET`] (or several times the round trip of its request, if longer)
//! means "empty".

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::{Chunk, Client, Start};
use super::envelope::{self, Mapping};
use crate::event::Event;

/// How long a subscription may stay silent before the stream counts as empty.
const QUIET: Duration = Duration::from_millis(400);
/// Chunks asked for at a time while looking.
const CREDIT: u16 = 2;

/// A stream's log: offsets `low..high` are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub low: i64,
    pub high: i64,
}

/// Short subscriptions on one connection, each with a fresh subscription id.
pub struct Probe {
    pub client: Client,
    next_id: u8,
}

impl Probe {
    pub fn new(client: Client) -> Probe {
        Probe { client, next_id: 0 }
    }

    /// Subscribes from `start` and hands each chunk of that subscription to `look` until it
    /// says it has seen enough (`false`) or the stream stays silent. Returns whether the
    /// stream went silent.
    fn look(
        &mut self,
        stream: &str,
        start: Start,
        mut look: impl FnMut(&Chunk) -> bool,
    ) -> anyhow::Result<bool> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let asked = Instant::now();
        self.client.subscribe(id, stream, start, CREDIT)?;
        let quiet = QUIET.max(asked.elapsed() * 5);
        let mut last = Instant::now();
        let mut silent = false;
        loop {
            let left = quiet.saturating_sub(last.elapsed());
            if left.is_zero() {
                silent = true;
                break;
            }
            let Some(chunk) = self.client.next_chunk_within(left)? else {
                continue;
            };
            if chunk.subscription != id {
                continue; // a late chunk of an earlier look
            }
            last = Instant::now();
            self.client.credit(id, 1)?;
            if !look(&chunk) {
                break;
            }
        }
        self.client.unsubscribe(id)?;
        Ok(silent)
    }

    /// The stream's first and last-plus-one offsets (`0..0` when it holds nothing).
    pub fn bounds(&mut self, stream: &str) -> anyhow::Result<Bounds> {
        let mut high = None;
        self.look(stream, Start::Last, |chunk| {
            let end = chunk.first_offset + chunk.records.len() as u64;
            high = Some(high.map_or(end, |h: u64| h.max(end)));
            // The last chunk may be followed by one written meanwhile: the first is enough.
            false
        })?;
        let Some(high) = high else {
            return Ok(Bounds { low: 0, high: 0 });
        };
        let mut low = None;
        self.look(stream, Start::First, |chunk| {
            low = Some(chunk.first_offset);
            false
        })?;
        let as_i64 = |o: u64| i64::try_from(o).unwrap_or(i64::MAX);
        Ok(Bounds {
            low: as_i64(low.unwrap_or(high).min(high)),
            high: as_i64(high),
        })
    }

    /// The first offset whose event time (its creation time, else its chunk's) is at or
    /// after `ms`, as Kafka's time lookup answers on record timestamps; `None` when no event
    /// before `high` is that late. The stream protocol's own lookup (by the time the broker
    /// stored each chunk) gives the first guess, which one look confirms when publishers
    /// stamp events as they send them; otherwise (a replayed window's older creation times)
    /// a bisection on event times finds the offset.
    pub fn offset_of_time(
        &mut self,
        stream: &str,
        ms: i64,
        bounds: Bounds,
        mapping: &Mapping,
    ) -> anyhow::Result<Option<i64>> {
        let Bounds { low, high } = bounds;
        if high <= low {
            return Ok(None);
        }
        let guess = self.chunk_of_time(stream, ms, high)?.unwrap_or(high);
        let late = |t: Option<i64>| t.is_none_or(|t| t >= ms);
        let at_guess_late = guess >= high || late(self.time_at(stream, guess, high, mapping)?);
        let before_early = guess <= low || !late(self.time_at(stream, guess - 1, high, mapping)?);
        if at_guess_late && before_early {
            return Ok((guess < high).then_some(guess));
        }
        // The first offset in [lo, hi) whose time is that late; `high` when none is.
        let (mut lo, mut hi) = (low, high);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if late(self.time_at(stream, mid, high, mapping)?) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok((lo < high).then_some(lo))
    }

    /// The event time of the record at (or first after) `offset`.
    fn time_at(
        &mut self,
        stream: &str,
        offset: i64,
        high: i64,
        mapping: &Mapping,
    ) -> anyhow::Result<Option<i64>> {
        let found = self.events_at(stream, &[offset], high, mapping)?;
        Ok(found.into_iter().next().flatten().map(|f| f.timestamp))
    }

    /// The first offset of the first chunk the broker stored at or after `ms`.
    fn chunk_of_time(&mut self, stream: &str, ms: i64, high: i64) -> anyhow::Result<Option<i64>> {
        let mut found = None;
        let mut past_end = false;
        self.look(stream, Start::Timestamp(ms), |chunk| {
            // The broker may start at the chunk before the time: skip chunks stored earlier.
            if i64::try_from(chunk.first_offset).unwrap_or(i64::MAX) >= high {
                past_end = true;
                return false;
            }
            if chunk.timestamp >= ms && !chunk.records.is_empty() {
                found = Some(i64::try_from(chunk.first_offset).unwrap_or(i64::MAX));
                return false;
            }
            true
        })?;
        Ok(found.filter(|o| *o < high))
    }

    /// The records at (or first after) each of `offsets` (sorted), read in one pass from
    /// the first: `None` for an offset with nothing at or after it before `high`. A record
    /// that is not an AMQP message is found too (its time is its chunk's), without an event.
    pub fn events_at(
        &mut self,
        stream: &str,
        offsets: &[i64],
        high: i64,
        mapping: &Mapping,
    ) -> anyhow::Result<Vec<Option<Found>>> {
        let mut answers: Vec<Option<Found>> = vec![None; offsets.len()];
        let Some(&first) = offsets.iter().min() else {
            return Ok(answers);
        };
        if first >= high {
            return Ok(answers);
        }
        let name: Arc<str> = Arc::from(stream);
        let start = Start::Offset(u64::try_from(first.max(0)).unwrap_or(0));
        self.look(stream, start, |chunk| {
            for (offset, bytes) in &chunk.records {
                let offset = i64::try_from(*offset).unwrap_or(i64::MAX);
                if offset >= high {
                    return false;
                }
                for (i, wanted) in offsets.iter().enumerate() {
                    if answers[i].is_none() && offset >= *wanted {
                        let event = envelope::to_event(
                            &name,
                            offset as u64,
                            chunk.timestamp,
                            bytes,
                            mapping,
                            true,
                        )
                        .ok();
                        answers[i] = Some(Found {
                            offset,
                            timestamp: event
                                .as_ref()
                                .and_then(|e| e.timestamp)
                                .unwrap_or(chunk.timestamp),
                            event,
                        });
                    }
                }
                if answers.iter().all(Option::is_some) {
                    return false;
                }
            }
            true
        })?;
        Ok(answers)
    }
}

/// A record found at an offset: its time, and the event when it is an AMQP message.
#[derive(Debug, Clone)]
pub struct Found {
    pub offset: i64,
    pub timestamp: i64,
    pub event: Option<Event>,
}
