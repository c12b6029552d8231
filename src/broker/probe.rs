//! Finding an offset by time on brokers that cannot answer offset-for-timestamp lookups
//! (librdkafka's mock cluster answers none): bisect offsets by reading one record's timestamp
//! per step, O(log n) fetches.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::config::Connection;
use crate::error::EvtError;

/// Reads single records to learn their timestamps.
pub struct Probe {
    consumer: BaseConsumer,
    timeout: Duration,
    pub fetches: u32,
}

impl Probe {
    pub fn new(connection: &Connection) -> anyhow::Result<Probe> {
        let consumer = super::consumer_with(connection, &[("max.partition.fetch.bytes", "65536")])?;
        Ok(Probe {
            consumer,
            timeout: connection.timeout,
            fetches: 0,
        })
    }

    /// The first record at or after `offset`: its offset and timestamp.
    pub fn record_at(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> anyhow::Result<Option<(i64, i64)>> {
        self.fetches += 1;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .map_err(|e| EvtError::broker(format!("cannot probe {topic}/{partition}: {e}")))?;
        self.consumer
            .assign(&tpl)
            .map_err(|e| EvtError::broker(format!("cannot probe {topic}/{partition}: {e}")))?;
        let deadline = Instant::now() + self.timeout;
        while Instant::now() < deadline {
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) if m.offset() >= offset => {
                    return Ok(m.timestamp().to_millis().map(|ts| (m.offset(), ts)));
                }
                Some(Err(KafkaError::PartitionEOF(_))) => return Ok(None),
                _ => {}
            }
        }
        Err(EvtError::broker(format!(
            "no record from {topic}/{partition} at offset {offset} within {:?} while searching by time",
            self.timeout
        )))
    }

    /// The first offset in `low..high` whose record is at or after `time`, assuming timestamps
    /// grow with offsets; `None` when even the last record is older.
    pub fn bisect(
        &mut self,
        topic: &str,
        partition: i32,
        low: i64,
        high: i64,
        time: i64,
    ) -> anyhow::Result<Option<i64>> {
        if high <= low {
            return Ok(None);
        }
        match self.record_at(topic, partition, high - 1)? {
            Some((_, ts)) if ts >= time => {}
            _ => return Ok(None),
        }
        let (mut lo, mut hi) = (low, high - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.record_at(topic, partition, mid)? {
                Some((_, ts)) if ts >= time => hi = mid,
                Some((found, _)) => lo = (found + 1).max(mid + 1),
                None => hi = mid,
            }
        }
        Ok(Some(lo))
    }
}
