//! Writing events to a topic: one producer, delivery confirmed before `flush` returns.

use std::time::Duration;

use rdkafka::message::{Header as KafkaHeader, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::broker::{Delivery, Failure, Tag, Writer as WriteEvents};
use crate::error::{EvtError, SizeLimit};
use crate::event::Event;
use crate::stop::Stop;

/// A simple writer for seeding (the playground, tests, examples): events go to their own
/// topic, and `flush` fails when any was not delivered. Built on [`TrackedWriter`].
pub struct Writer {
    inner: TrackedWriter,
    sent: std::cell::Cell<u64>,
    failed: std::cell::Cell<u64>,
}

impl Writer {
    /// `properties` come last and override the defaults (e.g. `compression.type`).
    pub fn new(brokers: &str, properties: &[(&str, &str)]) -> anyhow::Result<Writer> {
        let properties: Vec<(String, String)> = properties
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let inner = TrackedWriter::new(brokers, &properties, Duration::from_secs(10))?;
        Ok(Writer {
            inner,
            sent: std::cell::Cell::new(0),
            failed: std::cell::Cell::new(0),
        })
    }

    /// Queues one event for its own topic and partition (the partitioner chooses by key when
    /// it names none).
    pub fn send(&self, event: &Event) -> anyhow::Result<()> {
        let topic = event
            .topic
            .as_deref()
            .ok_or_else(|| EvtError::usage("an event to seed names no topic"))?;
        self.inner.send(
            topic,
            event.partition,
            event,
            None,
            Tag {
                lane: 0,
                offset: -1,
            },
        )?;
        self.sent.set(self.sent.get() + 1);
        if self.sent.get() % 1024 == 0 {
            self.poll();
        }
        Ok(())
    }

    /// Serves delivery reports without blocking.
    pub fn poll(&self) {
        self.count(self.inner.poll(Duration::ZERO));
    }

    fn count(&self, deliveries: Vec<Delivery>) {
        let failed = deliveries.iter().filter(|d| d.outcome.is_err()).count() as u64;
        self.failed.set(self.failed.get() + failed);
    }

    /// Waits until every queued event is delivered; an error when any was not.
    pub fn flush(&self, _timeout: Duration) -> anyhow::Result<()> {
        self.count(self.inner.flush(&Stop::default()));
        match (self.failed.get(), self.inner.in_flight()) {
            (0, 0) => Ok(()),
            (failed, waiting) => Err(EvtError::broker(format!(
                "{} event(s) were not delivered",
                failed + waiting as u64
            ))),
        }
    }
}

/// Collects delivery reports as librdkafka hands them over (on `poll`/`flush`).
#[derive(Default)]
pub struct Tracker {
    delivered: std::sync::Mutex<Vec<Delivery>>,
}

impl rdkafka::ClientContext for Tracker {}

impl rdkafka::producer::ProducerContext for Tracker {
    type DeliveryOpaque = Box<Tag>;

    fn delivery(&self, result: &rdkafka::producer::DeliveryResult<'_>, tag: Box<Tag>) {
        let outcome = match result {
            Ok(_) => Ok(()),
            Err((
                rdkafka::error::KafkaError::MessageProduction(
                    RDKafkaErrorCode::MessageSizeTooLarge,
                ),
                message,
            )) => Err(Failure::TooLarge {
                bytes: message_size(message),
            }),
            Err((e, _)) => Err(Failure::Other(e.to_string())),
        };
        if let Ok(mut delivered) = self.delivered.lock() {
            delivered.push(Delivery { tag: *tag, outcome });
        }
    }
}

/// An idempotent producer whose every record is confirmed (or failed) individually, so a
/// writer knows exactly what reached the broker.
pub struct TrackedWriter {
    producer: BaseProducer<Tracker>,
    timeout: Duration,
    /// The producer's `message.max.bytes`: larger records are refused before sending.
    max_message_bytes: u64,
    /// Ctrl-C ends a wait for room in the queue, and shortens the final flush.
    pub stop: Stop,
}

/// librdkafka's default `message.max.bytes`.
const DEFAULT_MAX_MESSAGE_BYTES: u64 = 1_000_000;

/// The bytes of a record's key, value and headers (names and values).
fn event_size(event: &Event, extra: Option<(&str, &[u8])>) -> u64 {
    let headers: usize = event
        .headers
        .iter()
        .map(|h| h.name.len() + h.value.as_ref().map_or(0, Vec::len))
        .sum();
    let extra = extra.map_or(0, |(k, v)| k.len() + v.len());
    (event.key.as_ref().map_or(0, Vec::len)
        + event.value.as_ref().map_or(0, Vec::len)
        + headers
        + extra) as u64
}

/// The same count for a record the broker answered.
fn message_size(message: &rdkafka::message::BorrowedMessage<'_>) -> u64 {
    let headers: usize = message.headers().map_or(0, |hs| {
        hs.iter()
            .map(|h| h.key.len() + h.value.map_or(0, <[u8]>::len))
            .sum()
    });
    (message.key_len() + message.payload_len() + headers) as u64
}

impl TrackedWriter {
    /// Idempotent, acks=all; `properties` (the user's) come last.
    pub fn new(
        brokers: &str,
        properties: &[(String, String)],
        timeout: Duration,
    ) -> anyhow::Result<TrackedWriter> {
        let mut config = ClientConfig::new();
        let delivery_ms = (timeout.as_millis() * 3).max(5_000).to_string();
        config
            .set("bootstrap.servers", brokers)
            .set("client.id", "evt")
            // The Java client's key partitioner: keys land where other clients put them.
            .set("partitioner", "murmur2_random")
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("batch.num.messages", "10000")
            // Enough to keep the broker busy; small enough that a reader faster than the
            // target holds at most ~100k records in memory.
            .set("queue.buffering.max.messages", "100000")
            .set("message.timeout.ms", &delivery_ms)
            .set(
                "socket.connection.setup.timeout.ms",
                timeout.as_millis().max(1000).to_string(),
            )
            .set("log.connection.close", "false")
            .set_log_level(rdkafka::config::RDKafkaLogLevel::Emerg);
        let mut max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES;
        crate::broker::redact::remember(properties);
        for (k, v) in properties {
            config.set(k, v);
            if k == "message.max.bytes" {
                max_message_bytes = v.trim().parse().unwrap_or(max_message_bytes);
            }
        }
        let producer = config
            .create_with_context(Tracker::default())
            .map_err(|e| super::client_error("a producer", e, properties))?;
        Ok(TrackedWriter {
            producer,
            timeout,
            max_message_bytes,
            stop: Stop::default(),
        })
    }

    fn take(&self) -> Vec<Delivery> {
        self.producer
            .context()
            .delivered
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }
}

impl WriteEvents for TrackedWriter {
    /// Queues one event for `topic` (`partition` `None`: the partitioner chooses by key),
    /// waiting for room when librdkafka's queue is full.
    fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        event: &Event,
        extra: Option<(&str, &[u8])>,
        tag: Tag,
    ) -> anyhow::Result<()> {
        let mut headers = OwnedHeaders::new_with_capacity(event.headers.len() + 1);
        for h in &event.headers {
            headers = headers.insert(KafkaHeader {
                key: &h.name,
                value: h.value.as_deref(),
            });
        }
        if let Some((key, value)) = extra {
            headers = headers.insert(KafkaHeader {
                key,
                value: Some(value),
            });
        }
        let mut record: BaseRecord<'_, [u8], [u8], Box<Tag>> =
            BaseRecord::with_opaque_to(topic, Box::new(tag)).headers(headers);
        if let Some(p) = partition {
            record = record.partition(p);
        }
        if let Some(ts) = event.timestamp {
            record = record.timestamp(ts);
        }
        if let Some(k) = &event.key {
            record = record.key(k.as_slice());
        }
        if let Some(v) = &event.value {
            record = record.payload(v.as_slice());
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((
                    rdkafka::error::KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull),
                    back,
                )) => {
                    if self.stop.interrupted() {
                        return Err(EvtError::broker(
                            "interrupted while waiting for room in the producer queue",
                        ));
                    }
                    record = back;
                    self.producer.poll(Duration::from_millis(5));
                }
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        RDKafkaErrorCode::MessageSizeTooLarge,
                    ),
                    _,
                )) => {
                    return Err(EvtError::TooLarge {
                        origin: event.origin.to_string(),
                        bytes: event_size(event, extra),
                        limit: SizeLimit::Producer(self.max_message_bytes),
                    }
                    .into())
                }
                Err((e, _)) => {
                    return Err(EvtError::broker(format!(
                        "cannot produce to '{topic}': {e}"
                    )))
                }
            }
        }
    }

    /// Serves delivery reports (waiting up to `wait`) and returns those that arrived.
    fn poll(&self, wait: Duration) -> Vec<Delivery> {
        self.producer.poll(wait);
        self.take()
    }

    /// Waits for every queued record's report (up to three delivery timeouts) and returns the
    /// reports that arrived meanwhile.
    fn flush(&self, stop: &Stop) -> Vec<Delivery> {
        let now = std::time::Instant::now;
        let mut deadline = now() + self.timeout * 3;
        let mut heard = false;
        let mut delivered = Vec::new();
        while self.producer.in_flight_count() > 0 && now() < deadline {
            if !heard && stop.interrupted() {
                heard = true;
                deadline = deadline.min(now() + self.timeout);
            }
            delivered.extend(self.poll(Duration::from_millis(50)));
        }
        delivered.extend(self.take());
        delivered
    }

    /// Records sent but not yet confirmed or failed.
    fn in_flight(&self) -> usize {
        usize::try_from(self.producer.in_flight_count()).unwrap_or(0)
    }
}
