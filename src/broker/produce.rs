//! Writing events to a topic: one producer, delivery confirmed before `flush` returns.

use std::time::Duration;

use rdkafka::message::{Header as KafkaHeader, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::error::EvtError;
use crate::event::Event;

/// A producer with the Java client's key partitioner (murmur2), so keys land where other
/// clients would put them.
pub struct Writer {
    producer: BaseProducer,
}

impl Writer {
    /// `properties` come last and override the defaults (e.g. `compression.type`).
    pub fn new(brokers: &str, properties: &[(&str, &str)]) -> anyhow::Result<Writer> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("client.id", "evt")
            .set("partitioner", "murmur2_random")
            .set("linger.ms", "20")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "500000");
        for (k, v) in properties {
            config.set(*k, *v);
        }
        let producer = config
            .create()
            .map_err(|e| EvtError::usage(format!("cannot create a producer: {e}")))?;
        Ok(Writer { producer })
    }

    /// Queues one event; partition -1 lets the partitioner choose by key.
    pub fn send(&self, event: &Event) -> anyhow::Result<()> {
        let mut headers = OwnedHeaders::new_with_capacity(event.headers.len());
        for h in &event.headers {
            headers = headers.insert(KafkaHeader {
                key: &h.name,
                value: h.value.as_deref(),
            });
        }
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&event.topic).headers(headers);
        if event.partition >= 0 {
            record = record.partition(event.partition);
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
                    record = back;
                    self.producer.poll(Duration::from_millis(5));
                }
                Err((e, _)) => {
                    return Err(EvtError::broker(format!(
                        "cannot produce to '{}': {e}",
                        event.topic
                    )))
                }
            }
        }
    }

    /// Serves delivery reports without blocking.
    pub fn poll(&self) {
        self.producer.poll(Duration::ZERO);
    }

    /// Waits until every queued event is delivered (or fails after `timeout`).
    pub fn flush(&self, timeout: Duration) -> anyhow::Result<()> {
        self.producer.flush(timeout).map_err(|e| {
            EvtError::broker(format!(
                "not every event was delivered within {timeout:?}: {e}"
            ))
        })
    }
}
