//! Reading a [`Plan`] from the broker into batches of owned [`Event`]s on a bounded channel.
//!
//! Two orders: `Partition` streams each partition as it arrives (one queue), `Time` merges the
//! partitions into one timeline by timestamp. The merge pulls from one partition queue at a
//! time, so memory stays bounded by librdkafka's prefetch, never by the window.

use std::cmp::Reverse;
use std::collections::binary_heap::PeekMut;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{Offset, TopicPartitionList};

use super::batch::{Queue, Record};

use crate::broker::plan::{PartitionPlan, Plan};
use crate::broker::Connection;
use crate::broker::{ReadEnd, ReadOptions};
use crate::error::EvtError;
use crate::event::{Batch, Event, Origin};
use crate::feed::Batcher;

const POLL: Duration = Duration::from_millis(100);
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(5);
/// Messages taken from the partition stream's queue at a time.
const STREAM_BATCH: usize = 512;
/// Messages taken from one partition's queue at a time in the time merge: what the merge
/// holds per partition besides librdkafka's prefetch.
const LANE_BATCH: usize = 128;

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
        let mut queue = stream_queue(&consumer, &lanes)?;
        assign(&consumer, &lanes)?;
        let mut stream =
            PartitionStream::new(consumer.clone(), connection, &plan.partitions, options);
        stream.run(&mut queue, &mut out)
    }
}

/// One queue that the lanes' partitions feed, in place of the consumer's: see [`Queue`].
fn stream_queue(consumer: &Arc<BaseConsumer>, lanes: &[&PartitionPlan]) -> anyhow::Result<Queue> {
    let queue = Queue::new(consumer, STREAM_BATCH)
        .ok_or_else(|| EvtError::broker("cannot open a queue to read from"))?;
    for lane in lanes {
        take_partition(&queue, &lane.topic, lane.partition)?;
    }
    Ok(queue)
}

fn take_partition(queue: &Queue, topic: &str, partition: i32) -> anyhow::Result<()> {
    if queue.take_partition(topic, partition) {
        Ok(())
    } else {
        Err(EvtError::broker(format!(
            "cannot open a queue for {topic}/{partition}"
        )))
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

/// Copies a record into an owned event; its headers only when `headers` (reading them costs
/// librdkafka a parse per message even when there are none).
fn to_event(record: &Record<'_>, topic: &Arc<str>, headers: bool) -> Event {
    let (timestamp, timestamp_type) = record.timestamp();
    let (partition, offset) = (record.partition(), record.offset());
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
        key: record.key().map(<[u8]>::to_vec),
        value: record.payload().map(<[u8]>::to_vec),
        headers: if headers {
            record.headers()
        } else {
            Vec::new()
        },
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

    fn run(&mut self, queue: &mut Queue, out: &mut Batcher) -> anyhow::Result<ReadEnd> {
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
            // The consumer's queue holds librdkafka's global errors (and no messages, unless
            // a partition escaped forwarding): serve it once per batch, without waiting.
            match consumer.poll(Duration::ZERO) {
                Some(Ok(message)) => {
                    self.last_progress = Instant::now();
                    self.broker_back();
                    if !self.take(Record::of(&message), out) {
                        return Ok(ReadEnd::Stopped);
                    }
                }
                Some(Err(KafkaError::PartitionEOF(p))) if self.topics.len() == 1 => {
                    self.last_progress = Instant::now();
                    let topic = self.topics[0].0.clone();
                    self.end_of_partition(topic.as_bytes(), p);
                }
                Some(Err(e)) => self.error(&e)?,
                None => {}
            }
            let wait = if out.batch.is_empty() {
                POLL
            } else {
                Duration::ZERO
            };
            let (mut progress, mut messages, mut stopped) = (false, false, false);
            let taken = queue.consume(wait, |record| {
                match record.error() {
                    None => {
                        (progress, messages) = (true, true);
                        if !self.take(record, out) {
                            stopped = true;
                            return Ok(false);
                        }
                    }
                    Some(KafkaError::PartitionEOF(p)) => {
                        progress = true;
                        self.end_of_partition(record.topic(), p);
                    }
                    Some(e) => self.error(&e)?,
                }
                Ok::<bool, anyhow::Error>(true)
            })?;
            if progress {
                self.last_progress = Instant::now();
            }
            if messages {
                self.broker_back();
            }
            if stopped {
                return Ok(ReadEnd::Stopped);
            }
            if taken == 0 {
                if !out.flush() {
                    return Ok(ReadEnd::Stopped);
                }
                self.idle(queue)?;
            }
        }
    }

    /// Hands a message in the window to `out`; false when the consumer is gone.
    fn take(&mut self, record: Record<'_>, out: &mut Batcher) -> bool {
        match self.accept(&record) {
            Some(event) => out.push(Ok(event)),
            None => true,
        }
    }

    fn broker_back(&mut self) {
        if self.broker_lost {
            self.broker_lost = false;
            eprintln!("evt: the broker is back; following again");
        }
    }

    /// A fatal error ends the read; losing the broker while following is said once.
    fn error(&mut self, e: &KafkaError) -> anyhow::Result<()> {
        if let Some(err) = fatal(e) {
            return Err(err);
        }
        let down = matches!(
            e.rdkafka_error_code(),
            Some(RDKafkaErrorCode::AllBrokersDown | RDKafkaErrorCode::BrokerTransportFailure)
        );
        if down && !self.bounded && !self.broker_lost {
            self.broker_lost = true;
            eprintln!("evt: lost the broker ({e}); retrying until it is back (Ctrl-C to stop)");
        }
        Ok(())
    }

    fn past_deadline(&self) -> bool {
        self.options
            .deadline_ms
            .is_some_and(|d| chrono::Utc::now().timestamp_millis() >= d)
    }

    /// Decides whether a message belongs to the window; marks its partition done at the end.
    fn accept(&mut self, message: &Record<'_>) -> Option<Event> {
        let name = message.topic();
        let (topic, lanes) = self.topics.iter_mut().find(|(t, _)| t.as_bytes() == name)?;
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
        let event = to_event(message, topic, self.options.headers);
        match (self.options.deadline_ms, event.timestamp) {
            (Some(deadline), Some(ts)) if ts >= deadline => None,
            _ => Some(event),
        }
    }

    /// End of partition `p` of `topic`: read up to the log's end, so up to the window's.
    fn end_of_partition(&mut self, topic: &[u8], p: i32) {
        if !self.bounded {
            return;
        }
        let Ok(slot) = usize::try_from(p) else { return };
        let Some((_, lanes)) = self.topics.iter_mut().find(|(t, _)| t.as_bytes() == topic) else {
            return;
        };
        if let Some(lane) = lanes.get_mut(slot).filter(|l| l.active) {
            lane.active = false;
            self.active -= 1;
        }
    }

    /// Nothing arrived for a poll interval: watch for stalls and new partitions.
    fn idle(&mut self, queue: &Queue) -> anyhow::Result<()> {
        let stall = self.options.stall_timeout;
        if self.bounded && self.last_progress.elapsed() > stall {
            return Err(stalled(self.last_progress, "reading the window"));
        }
        if self.options.discover_partitions && self.last_discovery.elapsed() > DISCOVERY_INTERVAL {
            self.last_discovery = Instant::now();
            self.discover(queue)?;
        }
        Ok(())
    }

    /// Assigns partitions that were added to a followed topic, from their beginning.
    fn discover(&mut self, queue: &Queue) -> anyhow::Result<()> {
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
                take_partition(queue, topic, id)?;
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
    queue: Queue,
    /// Events taken from the queue and not merged yet.
    pending: VecDeque<Event>,
    /// Nothing more to take from the queue.
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
                let queue = Queue::partition(consumer, &plan.topic, plan.partition, LANE_BATCH)
                    .ok_or_else(|| {
                        EvtError::broker(format!(
                            "cannot open a queue for {}/{}",
                            plan.topic, plan.partition
                        ))
                    })?;
                Ok(MergeLane {
                    plan,
                    queue,
                    pending: VecDeque::with_capacity(LANE_BATCH),
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
        // Each lane's first pending event is its head; the heap orders the heads. Events stay
        // in their lane until they go out, so each is moved as little as possible.
        let mut heap: BinaryHeap<HeapKey> = BinaryHeap::with_capacity(self.lanes.len());
        for i in 0..self.lanes.len() {
            match self.fill(i, consumer, options, out)? {
                Filled::Ready => heap.extend(self.head(i)),
                Filled::Finished => {}
                Filled::Stopped => return Ok(ReadEnd::Stopped),
            }
        }
        while let Some(mut top) = heap.peek_mut() {
            let Reverse((_, i, _)) = *top;
            let Some(event) = self.lanes[i].pending.pop_front() else {
                PeekMut::pop(top);
                continue;
            };
            if !out.push(Ok(event)) {
                return Ok(ReadEnd::Stopped);
            }
            // The lane's next event takes its place: one sift instead of a pop and a push.
            match self.fill(i, consumer, options, out)? {
                Filled::Ready => match self.head(i) {
                    Some(next) => *top = next,
                    None => drop(PeekMut::pop(top)),
                },
                Filled::Finished => drop(PeekMut::pop(top)),
                Filled::Stopped => return Ok(ReadEnd::Stopped),
            }
        }
        Ok(if out.flush() {
            ReadEnd::Completed
        } else {
            ReadEnd::Stopped
        })
    }

    /// The heap key of lane `i`'s head event.
    fn head(&self, i: usize) -> Option<HeapKey> {
        let event = self.lanes[i].pending.front()?;
        Some(Reverse((
            event.timestamp.unwrap_or(i64::MIN),
            i,
            event.offset.unwrap_or(0),
        )))
    }

    /// Makes sure lane `i` has a pending event, waiting for the broker as long as the lane
    /// is unfinished.
    fn fill(
        &mut self,
        i: usize,
        consumer: &BaseConsumer,
        options: &ReadOptions,
        out: &mut Batcher,
    ) -> anyhow::Result<Filled> {
        let lane = &mut self.lanes[i];
        if !lane.pending.is_empty() {
            return Ok(Filled::Ready);
        }
        let end = lane
            .plan
            .end
            .expect("time merge runs on bounded plans only");
        let mut since: Option<Instant> = None;
        let mut wait = Duration::ZERO;
        loop {
            if lane.done {
                return Ok(Filled::Finished);
            }
            if options.stop.is_set() {
                return Ok(Filled::Stopped);
            }
            let (topic, pending, done) = (&lane.plan.topic, &mut lane.pending, &mut lane.done);
            let headers = options.headers;
            let taken = lane.queue.consume(wait, |record| {
                match record.error() {
                    None => {
                        let offset = record.offset();
                        if offset >= end {
                            *done = true;
                        } else {
                            *done = offset + 1 >= end;
                            pending.push_back(to_event(&record, topic, headers));
                        }
                    }
                    Some(KafkaError::PartitionEOF(_)) => *done = true,
                    Some(e) => {
                        if let Some(err) = fatal(&e) {
                            return Err(err);
                        }
                    }
                }
                // Whatever follows the window's end is not wanted.
                Ok(!*done)
            })?;
            if !lane.pending.is_empty() {
                return Ok(Filled::Ready);
            }
            if taken > 0 {
                continue;
            }
            // About to wait: print what we have, and serve the main queue's events.
            if !out.flush() {
                return Ok(Filled::Stopped);
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

/// What filling a lane gave.
enum Filled {
    /// The lane has a pending event.
    Ready,
    /// The lane reached its window's end.
    Finished,
    Stopped,
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
