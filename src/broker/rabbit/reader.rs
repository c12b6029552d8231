//! Reading a [`Plan`] of streams into batches of events: one connection, one subscription per
//! stream, credit given back as chunks are taken.
//!
//! A subscription at an offset attaches at the start of the chunk that holds it, so the
//! records before the plan's start arrive first and are skipped here. Bounded reads end at
//! the plan's end offsets; with several streams and `merge_by_time` the streams are merged into
//! one timeline (each stream's chunks wait in a small buffer, and a stream whose buffer is full
//! gets no credit until the merge has taken from it). A tail that loses the broker says so,
//! reconnects and goes on from the next offset of each stream.

use std::collections::VecDeque;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::address::Address;
use super::client::{Chunk, Client, Start};
use super::envelope::{self, Mapping};
use crate::broker::plan::{PartitionPlan, Plan};
use crate::broker::{ReadEnd, ReadOptions};
use crate::error::EvtError;
use crate::event::{Batch, Item};
use crate::feed::Batcher;

/// How long one wait for a chunk lasts before the stop flag and the deadline are checked.
const POLL: Duration = Duration::from_millis(100);
/// Chunks the broker may send ahead on each subscription.
const CREDIT: u16 = 4;
/// Items a stream may hold in the merge before it gets no more credit.
const MERGE_BUFFER: usize = 4096;

struct Lane {
    stream: Arc<str>,
    /// The next offset wanted.
    next: i64,
    end: Option<i64>,
    done: bool,
    buffer: VecDeque<Item>,
    /// Chunks asked for and not yet received (merge only: credit is held back when full).
    owed: u16,
    /// The last timestamp seen: unreadable items keep their place after it.
    last_ts: i64,
}

struct Reading<'a> {
    address: &'a Address,
    timeout: Duration,
    mapping: &'a Mapping,
    options: &'a ReadOptions,
    lanes: Vec<Lane>,
    merge: bool,
    bounded: bool,
}

/// Reads `plan`, sending batches to `sink` until done, stopped or failed.
pub fn read(
    address: &Address,
    timeout: Duration,
    mapping: &Mapping,
    plan: &Plan,
    options: &ReadOptions,
    sink: SyncSender<Batch>,
) -> anyhow::Result<ReadEnd> {
    let bounded = plan.partitions.iter().all(|p| p.end.is_some());
    let lanes: Vec<Lane> = plan
        .partitions
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p: &PartitionPlan| Lane {
            stream: p.topic.clone(),
            next: p.start,
            end: p.end,
            done: false,
            buffer: VecDeque::new(),
            owed: 0,
            last_ts: i64::MIN,
        })
        .collect();
    if lanes.is_empty() && bounded {
        return Ok(ReadEnd::Completed);
    }
    if lanes.len() > usize::from(u8::MAX) + 1 {
        return Err(EvtError::usage(format!(
            "{} streams at once: one connection reads at most 256",
            lanes.len()
        )));
    }
    let mut reading = Reading {
        address,
        timeout,
        mapping,
        options,
        merge: options.merge_by_time && bounded && lanes.len() > 1,
        bounded,
        lanes,
    };
    let mut out = Batcher::new(sink);
    reading.run(&mut out)
}

/// A refusal that trying again will not cure.
fn permanent(error: &anyhow::Error) -> bool {
    use super::wire::code;
    matches!(
        super::client::refused(error),
        Some(
            code::STREAM_DOES_NOT_EXIST
                | code::AUTHENTICATION_FAILURE
                | code::VIRTUAL_HOST_ACCESS_FAILURE
                | code::ACCESS_REFUSED
        )
    )
}

impl Reading<'_> {
    /// An error when the broker said a stream being read changed (it was deleted or its
    /// leader moved): it has dropped that subscription, so waiting would wait forever.
    fn still_there(&self, client: &mut Client) -> anyhow::Result<()> {
        for stream in client.changed_streams() {
            if self.lanes.iter().any(|l| !l.done && *l.stream == *stream) {
                return Err(EvtError::broker(format!(
                    "stream '{stream}' was deleted or moved to another node while reading"
                )));
            }
        }
        Ok(())
    }

    fn credit(&self) -> u16 {
        if self.merge {
            1
        } else {
            CREDIT
        }
    }

    fn subscribe_all(&mut self) -> anyhow::Result<Client> {
        let mut client = Client::connect(self.address, self.timeout)?;
        let credit = self.credit();
        for (i, lane) in self.lanes.iter_mut().enumerate() {
            if lane.done {
                continue;
            }
            let start = Start::Offset(u64::try_from(lane.next.max(0)).unwrap_or(0));
            client.subscribe(i as u8, &lane.stream, start, credit)?;
            lane.owed = credit;
        }
        Ok(client)
    }

    fn run(&mut self, out: &mut Batcher) -> anyhow::Result<ReadEnd> {
        let mut client = self.subscribe_all()?;
        let mut last_progress = Instant::now();
        let mut lost: Option<Instant> = None;
        loop {
            if self.options.stop.is_set() {
                out.flush();
                return Ok(ReadEnd::Stopped);
            }
            if self.bounded && self.lanes.iter().all(|l| l.done && l.buffer.is_empty()) {
                return Ok(if out.flush() {
                    ReadEnd::Completed
                } else {
                    ReadEnd::Stopped
                });
            }
            if self
                .options
                .deadline_ms
                .is_some_and(|d| chrono::Utc::now().timestamp_millis() >= d)
            {
                out.flush();
                return Ok(ReadEnd::Completed);
            }
            if let Some(since) = lost {
                // Following: try again every second until the broker is back.
                std::thread::sleep(POLL);
                if since.elapsed() < Duration::from_secs(1) {
                    continue;
                }
                match self.subscribe_all() {
                    Ok(c) => {
                        client = c;
                        lost = None;
                        eprintln!("evt: the broker is back; following again");
                    }
                    // Gone for good (deleted, or the login no longer works): said, and the end.
                    Err(e) if permanent(&e) => return Err(e),
                    Err(_) => lost = Some(Instant::now()),
                }
                continue;
            }
            let wait = if out.batch.is_empty() {
                POLL
            } else {
                Duration::ZERO
            };
            let chunk = match client.next_chunk_within(wait).and_then(|chunk| {
                self.still_there(&mut client)?;
                Ok(chunk)
            }) {
                Ok(chunk) => chunk,
                Err(e) if !self.bounded => {
                    eprintln!(
                        "evt: lost the broker ({e:#}); retrying until it is back (Ctrl-C to stop)"
                    );
                    lost = Some(Instant::now());
                    continue;
                }
                Err(e) => return Err(e),
            };
            match chunk {
                Some(chunk) => {
                    last_progress = Instant::now();
                    let lane = usize::from(chunk.subscription);
                    if !self.take(&mut client, lane, &chunk, out)? {
                        return Ok(ReadEnd::Stopped);
                    }
                }
                None => {
                    if !out.flush() {
                        return Ok(ReadEnd::Stopped);
                    }
                    if self.bounded && last_progress.elapsed() > self.options.stall_timeout {
                        return Err(EvtError::broker(format!(
                            "no data from the broker for {:.0?} while reading the window; is the broker up? (raise --timeout if it is slow)",
                            last_progress.elapsed()
                        )));
                    }
                }
            }
            if self.merge && !self.emit_merged(&mut client, out)? {
                return Ok(ReadEnd::Stopped);
            }
        }
    }

    /// Takes a chunk's wanted records: straight out, or into its lane for the merge.
    fn take(
        &mut self,
        client: &mut Client,
        index: usize,
        chunk: &Chunk,
        out: &mut Batcher,
    ) -> anyhow::Result<bool> {
        let merge = self.merge;
        let Some(lane) = self.lanes.get_mut(index) else {
            return Ok(true);
        };
        lane.owed = lane.owed.saturating_sub(1);
        if lane.done {
            return Ok(true);
        }
        for (offset, bytes) in &chunk.records {
            let offset = i64::try_from(*offset).unwrap_or(i64::MAX);
            if offset < lane.next {
                continue; // before the start: the subscription attached at the chunk's start
            }
            if lane.end.is_some_and(|end| offset >= end) {
                lane.done = true;
                break;
            }
            lane.next = offset + 1;
            let item = envelope::to_event(
                &lane.stream,
                offset as u64,
                chunk.timestamp,
                bytes,
                self.mapping,
                self.options.headers,
            );
            if let (Some(deadline), Ok(event)) = (self.options.deadline_ms, &item) {
                if event.timestamp.is_some_and(|ts| ts >= deadline) {
                    continue;
                }
            }
            if merge {
                lane.buffer.push_back(item);
            } else if !out.push(item) {
                return Ok(false);
            }
            if lane.end.is_some_and(|end| lane.next >= end) {
                lane.done = true;
                break;
            }
        }
        // Partition order keeps CREDIT chunks on the way; the merge asks for one more only
        // while the stream's buffer has room.
        let room = !merge || (lane.buffer.len() < MERGE_BUFFER && lane.owed == 0);
        if !lane.done && room {
            client.credit(index as u8, 1)?;
            lane.owed += 1;
        }
        Ok(true)
    }

    /// Moves items out of the lanes in timestamp order while every unfinished lane has one.
    fn emit_merged(&mut self, client: &mut Client, out: &mut Batcher) -> anyhow::Result<bool> {
        loop {
            if self.lanes.iter().any(|l| !l.done && l.buffer.is_empty()) {
                break;
            }
            let next = self
                .lanes
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    l.buffer.front().map(|item| {
                        let ts = match item {
                            Ok(e) => e.timestamp.unwrap_or(l.last_ts),
                            Err(_) => l.last_ts,
                        };
                        (ts, i)
                    })
                })
                .min();
            let Some((ts, i)) = next else { break };
            let lane = &mut self.lanes[i];
            lane.last_ts = ts;
            let item = lane.buffer.pop_front().expect("the lane has a head");
            if !out.push(item) {
                return Ok(false);
            }
            if !lane.done && lane.owed == 0 && lane.buffer.len() < MERGE_BUFFER / 2 {
                client.credit(i as u8, 1)?;
                lane.owed = 1;
            }
        }
        Ok(true)
    }
}
