//! Reading a [`Plan`] from the broker into batches of owned [`Event`]s on a bounded channel.
//!
//! Two orders: `Partition` streams each partition as it arrives (one queue), `Time` merges the
//! partitions into one timeline by timestamp. The merge pulls from one partition queue at a
//! time, so memory stays bounded by librdkafka's prefetch, never by the window.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer, DefaultConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, Timestamp, TopicPartitionList};

use crate::broker::plan::{PartitionPlan, Plan};
use crate::broker::Connection;
use crate::broker::{ReadEnd, ReadOptions};
use crate::error::EvtError;
use crate::event::{Batch, Event, Header, Origin, TimestampType};
use crate::feed::Batcher;

const POLL: Duration = Duration::from_millis(100);
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(5);

/// Reads the plan, sending batches to `sink` until done, stopped or failed.
pub fn read(
    consumer: Arc<BaseConsumer>,
    connection: &Connection,
    plan: &Plan,
    options: &ReadOptions,
    sink: SyncSender<Batch>,
) -> anyhow::Result<ReadEnd> {
    let lanes: Vec<&PartitionPlan> = plan.partitions.iter().filter(|p| !p.is_empty()).collect();
    let bounded = plan.partitions.iter().all(|p| p.end.is_some());
    if bounded && lanes.is_empty() {
        return Ok(ReadEnd::Completed);
    }
    let mut out = Batcher::new(sink);
    if options.merge_by_time && bounded {
        let mut merge = TimeMerge::new(&consumer, &lanes)?;
        assign(&consumer, &lanes)?;
        merge.run(&consumer, options, &mut out)
    } else {
        assign(&consumer, &lanes)?;
        let mut stream =
            PartitionStream::new(consumer.clone(), connection, &plan.partitions, options);
        stream.run(&mut out)
    }
}

fn assign(consumer: &BaseConsumer, lanes: &[&PartitionPlan]) -> anyhow::Result<()> {
    let mut tpl = TopicPartitionList::new();
    for lane in lanes {
        tpl.add_partition_offset(&lane.topic, lane.partition, Offset::Offset(lane.start))
            .map_err(|e| {
                EvtError::broker(format!(
                    "cannot assign {}/{}: {e}",
                    lane.topic, lane.partition
                ))
            })?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| EvtError::broker(format!("cannot assign partitions: {e}")))
}

/// Copies a borrowed librdkafka message into an owned event.
fn to_event(message: &BorrowedMessage<'_>, topic: &Arc<str>) -> Event {
    let (timestamp, timestamp_type) = match message.timestamp() {
        Timestamp::CreateTime(ms) => (Some(ms), TimestampType::Create),
        Timestamp::LogAppendTime(ms) => (Some(ms), TimestampType::LogAppend),
        Timestamp::NotAvailable => (None, TimestampType::Create),
    };
    let headers = message
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| Header {
                    name: h.key.to_string(),
                    value: h.value.map(<[u8]>::to_vec),
                })
                .collect()
        })
        .unwrap_or_default();
    let (partition, offset) = (message.partition(), message.offset());
    Event {
        origin: Origin::Record {
            topic: topic.clone(),
            partition,
            offset,
        },
        topic: Some(topic.clone()),
        partition: Some(partition),
        offset: Some(offset),
        timestamp,
        timestamp_type,
        key: message.key().map(<[u8]>::to_vec),
        value: message.payload().map(<[u8]>::to_vec),
        headers,
    }
}

/// Errors that end a read; the rest are transient and librdkafka retries them.
fn fatal(error: &KafkaError) -> Option<anyhow::Error> {
    let code = error.rdkafka_error_code()?;
    let hint = match code {
        RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownPartition => {
            "the topic or partition disappeared while reading"
        }
        RDKafkaErrorCode::TopicAuthorizationFailed => "not authorised to read this topic",
        RDKafkaErrorCode::OffsetOutOfRange => {
            "the offset is no longer on the broker (retention removed it); start later"
        }
        RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed => {
            "authentication failed; check the SASL/TLS properties"
        }
        _ => return None,
    };
    Some(EvtError::broker(format!("{hint} ({error})")))
}

fn stalled(since: Instant, what: &str) -> anyhow::Error {
    EvtError::broker(format!(
        "no data from the broker for {:.0?} while {what}; is the broker up? (raise --timeout if it is slow)",
        since.elapsed()
    ))
}

/// Partition order: one queue, events as they arrive, bounded or following.
struct PartitionStream<'a> {
    consumer: Arc<BaseConsumer>,
    connection: &'a Connection,
    options: &'a ReadOptions,
    /// Topic names and, per topic, the window end of each partition id.
    topics: Vec<(Arc<str>, Vec<Lane>)>,
    active: usize,
    bounded: bool,
    last_progress: Instant,
    last_discovery: Instant,
    /// Set while the broker is unreachable, so the warning is printed once per outage.
    broker_lost: bool,
}

#[derive(Clone, Copy, Default)]
struct Lane {
    end: Option<i64>,
    active: bool,
}

impl<'a> PartitionStream<'a> {
    fn new(
        consumer: Arc<BaseConsumer>,
        connection: &'a Connection,
        plans: &[PartitionPlan],
        options: &'a ReadOptions,
    ) -> PartitionStream<'a> {
        let mut topics: Vec<(Arc<str>, Vec<Lane>)> = Vec::new();
        let mut active = 0;
        for p in plans {
            let idx = match topics.iter().position(|(t, _)| *t == p.topic) {
                Some(i) => i,
                None => {
                    topics.push((p.topic.clone(), Vec::new()));
                    topics.len() - 1
                }
            };
            let lanes = &mut topics[idx].1;
            let slot = usize::try_from(p.partition).unwrap_or(0);
            if lanes.len() <= slot {
                lanes.resize(slot + 1, Lane::default());
            }
            let live = !p.is_empty();
            lanes[slot] = Lane {
                end: p.end,
                active: live,
            };
            active += usize::from(live);
        }
        PartitionStream {
            consumer,
            connection,
            options,
            bounded: plans.iter().all(|p| p.end.is_some()),
            topics,
            active,
            last_progress: Instant::now(),
            last_discovery: Instant::now(),
            broker_lost: false,
        }
    }

    fn run(&mut self, out: &mut Batcher) -> anyhow::Result<ReadEnd> {
        let consumer = self.consumer.clone();
        loop {
            if self.options.stop.is_set() {
                out.flush();
                return Ok(ReadEnd::Stopped);
            }
            if self.bounded && self.active == 0 {
                return Ok(if out.flush() {
                    ReadEnd::Completed
                } else {
                    ReadEnd::Stopped
                });
            }
            if self.past_deadline() {
                out.flush();
                return Ok(ReadEnd::Completed);
            }
            let wait = if out.batch.is_empty() {
                POLL
            } else {
                Duration::ZERO
            };
            match consumer.poll(wait) {
                Some(Ok(message)) => {
                    self.last_progress = Instant::now();
                    if self.broker_lost {
                        self.broker_lost = false;
                        eprintln!("evt: the broker is back; following again");
                    }
                    if let Some(event) = self.accept(&message) {
                        if !out.push(Ok(event)) {
                            return Ok(ReadEnd::Stopped);
                        }
                    }
                }
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    self.last_progress = Instant::now();
                    self.end_of_partition(p);
                }
                Some(Err(e)) => {
                    if let Some(err) = fatal(&e) {
                        return Err(err);
                    }
                    let down = matches!(
                        e.rdkafka_error_code(),
                        Some(
                            RDKafkaErrorCode::AllBrokersDown
                                | RDKafkaErrorCode::BrokerTransportFailure
                        )
                    );
                    if down && !self.bounded && !self.broker_lost {
                        self.broker_lost = true;
                        eprintln!("evt: lost the broker ({e}); retrying until it is back (Ctrl-C to stop)");
                    }
                }
                None => {
                    if !out.flush() {
                        return Ok(ReadEnd::Stopped);
                    }
                    self.idle()?;
                }
            }
        }
    }

    fn past_deadline(&self) -> bool {
        self.options
            .deadline_ms
            .is_some_and(|d| chrono::Utc::now().timestamp_millis() >= d)
    }

    /// Decides whether a message belongs to the window; marks its partition done at the end.
    fn accept(&mut self, message: &BorrowedMessage<'_>) -> Option<Event> {
        let name = message.topic();
        let (topic, lanes) = self.topics.iter_mut().find(|(t, _)| &**t == name)?;
        let slot = usize::try_from(message.partition()).ok()?;
        let lane = lanes.get_mut(slot)?;
        if !lane.active {
            return None;
        }
        let offset = message.offset();
        if let Some(end) = lane.end {
            if offset >= end {
                lane.active = false;
                self.active -= 1;
                return None;
            }
            if offset + 1 >= end {
                lane.active = false;
                self.active -= 1;
            }
        }
        let event = to_event(message, topic);
        match (self.options.deadline_ms, event.timestamp) {
            (Some(deadline), Some(ts)) if ts >= deadline => None,
            _ => Some(event),
        }
    }

    /// End of partition `p` in some topic: every topic whose partition `p` has been read up
    /// to its window end is done (librdkafka's EOF event does not name the topic).
    fn end_of_partition(&mut self, p: i32) {
        if !self.bounded {
            return;
        }
        let Ok(slot) = usize::try_from(p) else { return };
        let single_topic = self.topics.len() == 1;
        let positions = if single_topic {
            None
        } else {
            self.consumer.position().ok()
        };
        for (topic, lanes) in &mut self.topics {
            let Some(lane) = lanes.get_mut(slot).filter(|l| l.active) else {
                continue;
            };
            let reached = single_topic
                || positions
                    .as_ref()
                    .and_then(|tpl| tpl.find_partition(topic, p))
                    .is_some_and(|e| match (e.offset(), lane.end) {
                        (Offset::Offset(pos), Some(end)) => pos >= end,
                        _ => false,
                    });
            if reached {
                lane.active = false;
                self.active -= 1;
            }
        }
    }

    /// Nothing arrived for a poll interval: watch for stalls and new partitions.
    fn idle(&mut self) -> anyhow::Result<()> {
        let stall = self.options.stall_timeout;
        if self.bounded && self.last_progress.elapsed() > stall {
            return Err(stalled(self.last_progress, "reading the window"));
        }
        if self.options.discover_partitions && self.last_discovery.elapsed() > DISCOVERY_INTERVAL {
            self.last_discovery = Instant::now();
            self.discover()?;
        }
        Ok(())
    }

    /// Assigns partitions that were added to a followed topic, from their beginning.
    fn discover(&mut self) -> anyhow::Result<()> {
        let Ok(metadata) = self.consumer.fetch_metadata(None, self.connection.timeout) else {
            return Ok(()); // transient; the next round retries
        };
        let mut added = TopicPartitionList::new();
        for (topic, lanes) in &mut self.topics {
            let Some(meta) = metadata.topics().iter().find(|t| t.name() == &**topic) else {
                continue;
            };
            let ids: Vec<i32> = meta.partitions().iter().map(|p| p.id()).collect();
            for id in new_partitions(lanes, &ids) {
                let slot = usize::try_from(id).expect("new_partitions returns valid ids");
                if lanes.len() <= slot {
                    lanes.resize(slot + 1, Lane::default());
                }
                lanes[slot] = Lane {
                    end: None,
                    active: true,
                };
                self.active += 1;
                added
                    .add_partition_offset(topic, id, Offset::Beginning)
                    .map_err(|e| EvtError::broker(format!("cannot add partition: {e}")))?;
            }
        }
        if added.count() > 0 {
            if self.connection.verbose > 0 {
                let names: Vec<String> = added
                    .elements()
                    .iter()
                    .map(|e| format!("{}/{}", e.topic(), e.partition()))
                    .collect();
                eprintln!("evt: following new partitions {}", names.join(", "));
            }
            self.consumer
                .incremental_assign(&added)
                .map_err(|e| EvtError::broker(format!("cannot follow new partitions: {e}")))?;
        }
        Ok(())
    }
}

/// Partitions in the broker's metadata that are not being followed yet.
fn new_partitions(lanes: &[Lane], ids: &[i32]) -> Vec<i32> {
    ids.iter()
        .copied()
        .filter(|&id| {
            usize::try_from(id).is_ok_and(|slot| !lanes.get(slot).is_some_and(|l| l.active))
        })
        .collect()
}

/// Time order: a k-way merge of partition queues by (timestamp, topic, partition, offset).
struct TimeMerge<'a> {
    lanes: Vec<MergeLane<'a>>,
}

struct MergeLane<'a> {
    plan: &'a PartitionPlan,
    queue: rdkafka::consumer::base_consumer::PartitionQueue<DefaultConsumerContext>,
    done: bool,
}

type HeapKey = Reverse<(i64, usize, i64)>;

impl<'a> TimeMerge<'a> {
    fn new(
        consumer: &Arc<BaseConsumer>,
        plans: &[&'a PartitionPlan],
    ) -> anyhow::Result<TimeMerge<'a>> {
        let lanes = plans
            .iter()
            .map(|plan| {
                let queue = consumer
                    .split_partition_queue(&plan.topic, plan.partition)
                    .ok_or_else(|| {
                        EvtError::broker(format!(
                            "cannot open a queue for {}/{}",
                            plan.topic, plan.partition
                        ))
                    })?;
                Ok(MergeLane {
                    plan,
                    queue,
                    done: false,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(TimeMerge { lanes })
    }

    fn run(
        &mut self,
        consumer: &BaseConsumer,
        options: &ReadOptions,
        out: &mut Batcher,
    ) -> anyhow::Result<ReadEnd> {
        let mut heads: Vec<Option<Event>> = vec![None; self.lanes.len()];
        let mut heap: BinaryHeap<HeapKey> = BinaryHeap::with_capacity(self.lanes.len());
        for (i, head) in heads.iter_mut().enumerate() {
            match self.next(i, consumer, options, out)? {
                Pulled::Event(e) => {
                    heap.push(key(i, &e));
                    *head = Some(e);
                }
                Pulled::Finished => {}
                Pulled::Stopped => return Ok(ReadEnd::Stopped),
            }
        }
        while let Some(Reverse((_, i, _))) = heap.pop() {
            let event = heads[i].take().expect("every heap entry has a head event");
            if !out.push(Ok(event)) {
                return Ok(ReadEnd::Stopped);
            }
            match self.next(i, consumer, options, out)? {
                Pulled::Event(e) => {
                    heap.push(key(i, &e));
                    heads[i] = Some(e);
                }
                Pulled::Finished => {}
                Pulled::Stopped => return Ok(ReadEnd::Stopped),
            }
        }
        Ok(if out.flush() {
            ReadEnd::Completed
        } else {
            ReadEnd::Stopped
        })
    }

    /// The next event of lane `i`, waiting for the broker as long as the lane is unfinished.
    fn next(
        &mut self,
        i: usize,
        consumer: &BaseConsumer,
        options: &ReadOptions,
        out: &mut Batcher,
    ) -> anyhow::Result<Pulled> {
        let lane = &mut self.lanes[i];
        let end = lane
            .plan
            .end
            .expect("time merge runs on bounded plans only");
        let mut since: Option<Instant> = None;
        let mut wait = Duration::ZERO;
        loop {
            if lane.done {
                return Ok(Pulled::Finished);
            }
            if options.stop.is_set() {
                return Ok(Pulled::Stopped);
            }
            match lane.queue.poll(wait) {
                Some(Ok(message)) => {
                    let offset = message.offset();
                    if offset >= end {
                        lane.done = true;
                        continue;
                    }
                    lane.done = offset + 1 >= end;
                    return Ok(Pulled::Event(to_event(&message, &lane.plan.topic)));
                }
                Some(Err(KafkaError::PartitionEOF(_))) => lane.done = true,
                Some(Err(e)) => {
                    if let Some(err) = fatal(&e) {
                        return Err(err);
                    }
                }
                None => {
                    // About to wait: print what we have, and serve the main queue's events.
                    if !out.flush() {
                        return Ok(Pulled::Stopped);
                    }
                    if let Some(Err(e)) = consumer.poll(Duration::ZERO) {
                        if let Some(err) = fatal(&e) {
                            return Err(err);
                        }
                    }
                    let waiting = *since.get_or_insert_with(Instant::now);
                    if waiting.elapsed() > options.stall_timeout {
                        let what = format!(
                            "reading {}/{} (window ends at offset {end})",
                            lane.plan.topic, lane.plan.partition
                        );
                        return Err(stalled(waiting, &what));
                    }
                    wait = POLL;
                }
            }
        }
    }
}

enum Pulled {
    Event(Event),
    Finished,
    Stopped,
}

fn key(lane: usize, event: &Event) -> HeapKey {
    Reverse((
        event.timestamp.unwrap_or(i64::MIN),
        lane,
        event.offset.unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_partitions_are_those_not_followed() {
        let followed = Lane {
            end: None,
            active: true,
        };
        let lanes = [followed, Lane::default(), followed];
        assert_eq!(new_partitions(&lanes, &[0, 1, 2, 3, 4]), vec![1, 3, 4]);
        assert_eq!(new_partitions(&lanes, &[0, 2]), Vec::<i32>::new());
        assert_eq!(new_partitions(&[], &[-1, 0]), vec![0]);
    }
}
