//! Writing events into streams: messages batched into publish frames, every one confirmed
//! (or refused) by the broker on its own.
//!
//! A replayed event (one that carries its provenance, `topic/partition/offset`) is published
//! by a publisher named after the replay run and the source partition, with its source
//! offset plus one as its publishing id: the broker keeps the last id of each named publisher
//! and drops anything at or below it, and evt asks for that id before it writes, so a run
//! that is resumed (its checkpoint keeps the run's name) never writes an event twice, while a
//! new run writes its events again, as on Kafka. Other events go through one unnamed
//! publisher per stream.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::address::Address;
use super::amqp;
use super::client::Client;
use super::envelope::{self, Mapping};
use crate::broker::{Delivery, Failure, Tag, Writer};
use crate::error::{EvtError, SizeLimit};
use crate::event::{parse_provenance, Event, PROVENANCE};
use crate::stop::Stop;

/// Messages per publish frame, at most.
const BATCH: usize = 500;
/// Bytes per publish frame, at most (under the 1 MiB frames brokers agree by default, and
/// never over the frame size agreed).
const BATCH_BYTES: usize = 900 * 1024;
/// What a publish frame adds per message (its publishing id and length).
const PER_MESSAGE: usize = 12;
/// A publish frame's own fields (size, key, version, publisher id, count), with room to spare.
const FRAME_FIELDS: usize = 64;
/// Confirmations awaited before `send` waits for some.
const MAX_IN_FLIGHT: usize = 10_000;

struct Publisher {
    id: u8,
    /// The last publishing id the broker holds for this publisher (0: none).
    stored: u64,
    /// The next id for an unnamed publisher.
    next: u64,
}

struct State {
    client: Client,
    /// By (stream, reference): `None` for the stream's unnamed publisher.
    publishers: HashMap<(String, Option<String>), Publisher>,
    /// Messages not sent yet, in the order they came (publisher, publishing id, bytes): the
    /// stream stores them in this order, whichever publisher each has.
    queue: Vec<(u8, u64, Vec<u8>)>,
    queue_bytes: usize,
    /// Message bytes per publish frame, at most.
    batch_limit: usize,
    /// What each message in flight was, by (publisher, publishing id).
    waiting: HashMap<(u8, u64), Tag>,
    /// Answers not handed over yet (deduplicated sends, answered at once).
    ready: Vec<Delivery>,
    /// Replayed events the stream held already (not sent again), not yet reported.
    already: u64,
    /// The replay run's name ([`Writer::replay_run`]).
    run: String,
}

pub struct StreamWriter {
    state: Mutex<State>,
    mapping: Mapping,
    timeout: Duration,
    stop: Stop,
    frame_max: usize,
}

impl StreamWriter {
    pub fn new(
        address: &Address,
        timeout: Duration,
        mapping: Mapping,
        stop: &Stop,
    ) -> anyhow::Result<StreamWriter> {
        let client = Client::connect(address, timeout)?;
        let frame_max = client.frame_max() as usize;
        Ok(StreamWriter {
            frame_max,
            state: Mutex::new(State {
                client,
                publishers: HashMap::new(),
                queue: Vec::new(),
                queue_bytes: 0,
                batch_limit: BATCH_BYTES.min(frame_max.saturating_sub(FRAME_FIELDS)),
                waiting: HashMap::new(),
                ready: Vec::new(),
                already: 0,
                run: String::new(),
            }),
            mapping,
            timeout,
            stop: stop.clone(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `orders/2/41` in run `run` → the named publisher for `orders/2` on `stream` in that run,
/// and publishing id 42.
fn replayed(run: &str, stream: &str, provenance: &[u8]) -> Option<(String, u64)> {
    let (topic, partition, offset) = parse_provenance(provenance)?;
    let offset = u64::try_from(offset).ok()?;
    let mut reference = format!("evt-replay:{run}:{topic}/{partition}->{stream}");
    // References are short strings (at most 255 bytes).
    if reference.len() > 255 {
        let hash = reference.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut cut = 230;
        while !reference.is_char_boundary(cut) {
            cut -= 1;
        }
        reference = format!("{}~{hash:016x}", &reference[..cut]);
    }
    Some((reference, offset.checked_add(1)?))
}

impl State {
    fn publisher(
        &mut self,
        stream: &str,
        reference: Option<&str>,
    ) -> anyhow::Result<&mut Publisher> {
        let key = (stream.to_string(), reference.map(str::to_string));
        if !self.publishers.contains_key(&key) {
            let id = u8::try_from(self.publishers.len()).map_err(|_| {
                EvtError::usage("more than 256 publishers on one connection (source partitions × target streams)")
            })?;
            self.client.declare_publisher(id, reference, stream)?;
            let stored = match reference {
                Some(r) => self.client.publisher_sequence(r, stream)?,
                None => 0,
            };
            self.publishers.insert(
                key.clone(),
                Publisher {
                    id,
                    stored,
                    next: 1,
                },
            );
        }
        Ok(self.publishers.get_mut(&key).expect("inserted above"))
    }

    /// Sends the queue in order: one publish frame per run of one publisher's messages.
    fn send_batches(&mut self) -> anyhow::Result<()> {
        let limit = self.batch_limit;
        let queue = std::mem::take(&mut self.queue);
        self.queue_bytes = 0;
        let mut start = 0;
        while start < queue.len() {
            let publisher = queue[start].0;
            let mut end = start;
            let mut bytes = 0;
            while end < queue.len()
                && queue[end].0 == publisher
                && end - start < BATCH
                && (end == start || bytes + PER_MESSAGE + queue[end].2.len() <= limit)
            {
                bytes += PER_MESSAGE + queue[end].2.len();
                end += 1;
            }
            let frame: Vec<(u64, &[u8])> = queue[start..end]
                .iter()
                .map(|(_, i, b)| (*i, &b[..]))
                .collect();
            self.client.send_publish(publisher, &frame)?;
            start = end;
        }
        Ok(())
    }

    /// Reads confirmations (waiting up to `wait` for the first) into `ready`.
    fn collect(&mut self, wait: Duration) -> anyhow::Result<()> {
        for c in self.client.confirmations(wait)? {
            let Some(tag) = self.waiting.remove(&(c.publisher, c.publishing_id)) else {
                continue;
            };
            self.ready.push(Delivery {
                tag,
                outcome: match c.refused {
                    None => Ok(()),
                    Some(code) => Err(Failure::Other(format!(
                        "the broker refused the message: {}",
                        super::wire::describe(code)
                    ))),
                },
            });
        }
        Ok(())
    }

    /// Fails every message in flight (the connection is gone).
    fn fail_all(&mut self, why: &str) {
        for (_, tag) in self.waiting.drain() {
            self.ready.push(Delivery {
                tag,
                outcome: Err(Failure::Other(why.to_string())),
            });
        }
        self.queue.clear();
        self.queue_bytes = 0;
    }
}

impl Writer for StreamWriter {
    fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        event: &Event,
        extra: Option<(&str, &[u8])>,
        tag: Tag,
    ) -> anyhow::Result<()> {
        if partition.is_some_and(|p| p != 0) {
            return Err(EvtError::usage(format!(
                "stream '{topic}' has one partition (0), not {}; add --partitioner key to write every partition into it",
                partition.unwrap_or_default()
            )));
        }
        let bytes = amqp::encode(&envelope::to_message(event, extra, &self.mapping));
        if bytes.len() + PER_MESSAGE + FRAME_FIELDS > self.frame_max {
            return Err(EvtError::TooLarge {
                origin: event.origin.to_string(),
                bytes: bytes.len() as u64,
                limit: SizeLimit::Broker,
            }
            .into());
        }
        let mut state = self.state();
        let named = extra
            .filter(|(name, _)| *name == PROVENANCE)
            .and_then(|(_, value)| replayed(&state.run, topic, value));
        let waiting_since = Instant::now();
        while state.waiting.len() >= MAX_IN_FLIGHT {
            if self.stop.interrupted() {
                return Err(EvtError::broker(
                    "interrupted while waiting for the broker to confirm earlier messages",
                ));
            }
            if waiting_since.elapsed() > self.timeout {
                return Err(EvtError::broker(format!(
                    "the broker confirmed none of {} messages in flight for {:.0?}; is it overloaded or out of disk?",
                    state.waiting.len(),
                    self.timeout
                )));
            }
            // Any confirmation makes room and ends the wait.
            state.send_batches()?;
            state.collect(Duration::from_millis(50))?;
        }
        let reference = named.as_ref().map(|(r, _)| r.as_str());
        let publisher = state.publisher(topic, reference)?;
        let publishing_id = match &named {
            Some((_, id)) => *id,
            None => {
                publisher.next += 1;
                publisher.next - 1
            }
        };
        if named.is_some() && publishing_id <= publisher.stored {
            // Written by an earlier run: the broker holds it already.
            state.already += 1;
            state.ready.push(Delivery {
                tag,
                outcome: Ok(()),
            });
            return Ok(());
        }
        let id = publisher.id;
        if state.queue.len() >= BATCH
            || state.queue_bytes + PER_MESSAGE + bytes.len() > state.batch_limit
        {
            state.send_batches()?;
        }
        state.queue_bytes += PER_MESSAGE + bytes.len();
        state.queue.push((id, publishing_id, bytes));
        state.waiting.insert((id, publishing_id), tag);
        Ok(())
    }

    fn poll(&self, wait: Duration) -> Vec<Delivery> {
        let mut state = self.state();
        let sent = state.send_batches();
        let collected = sent.and_then(|()| state.collect(wait));
        if let Err(e) = collected {
            state.fail_all(&format!("{e:#}"));
        }
        std::mem::take(&mut state.ready)
    }

    fn flush(&self, stop: &Stop) -> Vec<Delivery> {
        let mut reports = Vec::new();
        let mut since_stop: Option<Instant> = None;
        let mut progress = Instant::now();
        loop {
            let got = self.poll(Duration::from_millis(100));
            if !got.is_empty() {
                progress = Instant::now();
            }
            reports.extend(got);
            if self.in_flight() == 0 {
                let already = std::mem::take(&mut self.state().already);
                if already > 0 {
                    eprintln!(
                        "evt: {} event(s) were in the stream already (written before this replay was interrupted) and were not written again",
                        crate::safe::thousands(already)
                    );
                }
                return reports;
            }
            if progress.elapsed() > self.timeout {
                let mut state = self.state();
                state.fail_all("no confirmation from the broker in time");
                reports.append(&mut state.ready);
                return reports;
            }
            if stop.is_set() {
                let since = *since_stop.get_or_insert_with(Instant::now);
                if since.elapsed() > self.timeout {
                    return reports;
                }
            }
        }
    }

    fn in_flight(&self) -> usize {
        self.state().waiting.len()
    }

    fn replay_run(&self, run: &str) {
        self.state().run = run.to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_events_get_a_publisher_per_source_partition_and_their_offset_as_id() {
        assert_eq!(
            replayed("r1", "sandbox", b"orders/2/41"),
            Some(("evt-replay:r1:orders/2->sandbox".into(), 42))
        );
        assert_ne!(
            replayed("r2", "sandbox", b"orders/2/41").unwrap().0,
            replayed("r1", "sandbox", b"orders/2/41").unwrap().0,
            "another run publishes under another name"
        );
        assert_eq!(replayed("r1", "sandbox", b"orders"), None);
        assert_eq!(replayed("r1", "sandbox", b"orders/2/x"), None);
        let long = format!("{}/0/1", "t".repeat(300));
        let (reference, _) = replayed("r1", "sandbox", long.as_bytes()).unwrap();
        assert!(reference.len() <= 255, "{}", reference.len());
        let other = format!("{}/1/1", "t".repeat(300));
        assert_ne!(
            replayed("r1", "sandbox", other.as_bytes()).unwrap().0,
            reference
        );
    }
}
