//! Taking many messages at a time from a librdkafka queue (`rd_kafka_consume_batch_queue`).
//!
//! rdkafka's `poll` goes through librdkafka's event API one message at a time: a queue lock,
//! an event, an `Arc` and clock reads per message, which cost more CPU than everything else
//! evt does with an event. Taking a batch pays that once per batch.
//!
//! Only partition queues are read this way. The consumer's own queue also carries
//! librdkafka's global errors (all brokers down, transport failures), which the batch API
//! would turn into log lines; evt keeps serving that queue through rdkafka's `poll`.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::bindings as rdsys;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;

use crate::event::{Header, TimestampType};

/// A librdkafka queue that evt reads in batches.
pub struct Queue {
    ptr: NonNull<rdsys::rd_kafka_queue_t>,
    /// Taken messages, reused from batch to batch.
    taken: Vec<*mut rdsys::rd_kafka_message_t>,
    /// librdkafka wants queues destroyed before their client: the queue keeps it alive.
    _consumer: Arc<BaseConsumer>,
}

impl Queue {
    /// A new, empty queue for partitions to be [forwarded](Queue::take_partition) to.
    pub fn new(consumer: &Arc<BaseConsumer>, batch: usize) -> Option<Queue> {
        // SAFETY: the client pointer is valid while `consumer` lives, and the queue keeps it.
        let ptr = unsafe { rdsys::rd_kafka_queue_new(consumer.client().native_ptr()) };
        Some(Queue {
            ptr: NonNull::new(ptr)?,
            taken: Vec::with_capacity(batch.max(1)),
            _consumer: consumer.clone(),
        })
    }

    /// The queue of one partition on its own, no longer forwarded to the consumer's queue
    /// (what rdkafka's `split_partition_queue` does). Call it before the partition is
    /// assigned, or its first messages land on the consumer's queue.
    pub fn partition(
        consumer: &Arc<BaseConsumer>,
        topic: &str,
        partition: i32,
        batch: usize,
    ) -> Option<Queue> {
        let ptr = partition_queue(consumer, topic, partition)?;
        // SAFETY: `ptr` is a live queue handle; forwarding to NULL detaches it.
        unsafe { rdsys::rd_kafka_queue_forward(ptr.as_ptr(), ptr::null_mut()) };
        Some(Queue {
            ptr,
            taken: Vec::with_capacity(batch.max(1)),
            _consumer: consumer.clone(),
        })
    }

    /// Sends the messages and errors of a partition to this queue instead of the consumer's.
    /// Call it before the partition is assigned. False if librdkafka has no such partition.
    pub fn take_partition(&self, topic: &str, partition: i32) -> bool {
        let Some(source) = partition_queue(&self._consumer, topic, partition) else {
            return false;
        };
        // SAFETY: both handles are live. An application forward survives assignment, and
        // holds its own reference to this queue, so the partition handle can go at once.
        unsafe {
            rdsys::rd_kafka_queue_forward(source.as_ptr(), self.ptr.as_ptr());
            rdsys::rd_kafka_queue_destroy(source.as_ptr());
        }
        true
    }

    /// Waits up to `wait` for messages and hands each, in queue order, to `each`, which
    /// returns `Ok(false)` to drop the rest of the batch. Returns how many were taken.
    ///
    /// librdkafka's batch call waits until the batch is full or the time is up, so waiting
    /// is done for one message only: the first message is handed over as soon as it comes
    /// (`evt tail` shows events as they arrive), with whatever else is already queued.
    pub fn consume<E>(
        &mut self,
        wait: Duration,
        mut each: impl FnMut(Record<'_>) -> Result<bool, E>,
    ) -> Result<usize, E> {
        let capacity = self.taken.capacity();
        let mut n = self.take(0, Duration::ZERO, capacity);
        if n == 0 && !wait.is_zero() {
            n = self.take(0, wait, 1);
            if n == 1 {
                n += self.take(1, Duration::ZERO, capacity - 1);
            }
        }
        // SAFETY: librdkafka wrote `n` message pointers from the start of `taken`.
        unsafe { self.taken.set_len(n) };
        let batch = Taken(&mut self.taken);
        for &message in batch.0.iter() {
            // SAFETY: a taken message stays valid until `Taken` destroys it.
            let record = Record(unsafe { &*message });
            if !each(record)? {
                break;
            }
        }
        Ok(n)
    }

    /// Takes up to `max` messages into `taken[at..]`, waiting up to `wait` for them.
    fn take(&mut self, at: usize, wait: Duration, max: usize) -> usize {
        let room = self.taken.capacity().saturating_sub(at).min(max);
        if room == 0 {
            return 0;
        }
        let timeout = c_int::try_from(wait.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the queue is live and `taken` has room for `room` pointers after `at`,
        // which librdkafka fills from there and counts in its return value.
        let n = unsafe {
            rdsys::rd_kafka_consume_batch_queue(
                self.ptr.as_ptr(),
                timeout,
                self.taken.as_mut_ptr().add(at),
                room,
            )
        };
        // -1 is an invalid argument (never with these queues): nothing was taken.
        usize::try_from(n).unwrap_or(0).min(room)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: the handle is ours and used no more; the consumer is still alive.
        unsafe { rdsys::rd_kafka_queue_destroy(self.ptr.as_ptr()) };
    }
}

fn partition_queue(
    consumer: &BaseConsumer,
    topic: &str,
    partition: i32,
) -> Option<NonNull<rdsys::rd_kafka_queue_t>> {
    let topic = CString::new(topic).ok()?;
    // SAFETY: the client is live and `topic` a NUL-terminated string; librdkafka creates
    // the partition's state if it has none yet, and returns NULL only for producers.
    NonNull::new(unsafe {
        rdsys::rd_kafka_queue_get_partition(
            consumer.client().native_ptr(),
            topic.as_ptr(),
            partition,
        )
    })
}

/// Messages taken from a queue; destroyed however the batch ends (early stop, error, panic).
struct Taken<'a>(&'a mut Vec<*mut rdsys::rd_kafka_message_t>);

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        for message in self.0.drain(..) {
            // SAFETY: each pointer came from rd_kafka_consume_batch_queue and is destroyed
            // once: `drain` removes it.
            unsafe { rdsys::rd_kafka_message_destroy(message) };
        }
    }
}

/// One taken message (or partition error), borrowed from librdkafka.
#[derive(Clone, Copy)]
pub struct Record<'a>(&'a rdsys::rd_kafka_message_t);

impl<'a> Record<'a> {
    /// A message borrowed from rdkafka (the consumer queue's rare messages).
    pub fn of(message: &'a rdkafka::message::BorrowedMessage<'_>) -> Record<'a> {
        // SAFETY: the pointer is valid as long as the borrowed message.
        Record(unsafe { &*message.ptr() })
    }

    /// The partition's error this record carries instead of a message.
    pub fn error(&self) -> Option<KafkaError> {
        match self.0.err {
            rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => None,
            rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF => {
                Some(KafkaError::PartitionEOF(self.0.partition))
            }
            // As rdkafka reports it, so `fatal` reads both alike.
            code => Some(KafkaError::MessageConsumption(code.into())),
        }
    }

    /// The topic's name, as bytes: compared with known names, never shown.
    pub fn topic(&self) -> &'a [u8] {
        if self.0.rkt.is_null() {
            return b"";
        }
        // SAFETY: the message holds a reference to its topic, whose name is a NUL-terminated
        // string that lives as long as the topic.
        unsafe {
            let name = rdsys::rd_kafka_topic_name(self.0.rkt);
            if name.is_null() {
                return b"";
            }
            CStr::from_ptr(name).to_bytes()
        }
    }

    pub fn partition(&self) -> i32 {
        self.0.partition
    }

    /// For an end of partition, the offset it ended at.
    pub fn offset(&self) -> i64 {
        self.0.offset
    }

    pub fn key(&self) -> Option<&'a [u8]> {
        // SAFETY: librdkafka keeps `key_len` bytes at `key` while the message lives.
        unsafe { bytes(self.0.key, self.0.key_len) }
    }

    pub fn payload(&self) -> Option<&'a [u8]> {
        // SAFETY: as for the key.
        unsafe { bytes(self.0.payload, self.0.len) }
    }

    pub fn timestamp(&self) -> (Option<i64>, TimestampType) {
        let mut kind = rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: a live message and a valid out-pointer.
        let ms = unsafe { rdsys::rd_kafka_message_timestamp(self.0, &mut kind) };
        match kind {
            _ if ms == -1 => (None, TimestampType::Create),
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_CREATE_TIME => {
                (Some(ms), TimestampType::Create)
            }
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME => {
                (Some(ms), TimestampType::LogAppend)
            }
            rdsys::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE => {
                (None, TimestampType::Create)
            }
        }
    }

    /// The headers, in order, duplicates kept. Names that are not UTF-8 are made so
    /// (lossily) rather than failing the read.
    pub fn headers(&self) -> Vec<Header> {
        let mut headers: *mut rdsys::rd_kafka_headers_t = ptr::null_mut();
        // SAFETY: a live message and a valid out-pointer; the headers belong to the message.
        let found = unsafe { rdsys::rd_kafka_message_headers(self.0, &mut headers) };
        if found != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || headers.is_null() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for idx in 0.. {
            let mut name: *const c_char = ptr::null();
            let mut value: *const c_void = ptr::null();
            let mut size = 0usize;
            // SAFETY: `headers` lives as long as the message; out-pointers are valid.
            let err = unsafe {
                rdsys::rd_kafka_header_get_all(headers, idx, &mut name, &mut value, &mut size)
            };
            if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
                break;
            }
            // SAFETY: header names are NUL-terminated; values are `size` bytes or NULL.
            let (name, value) = unsafe { (CStr::from_ptr(name), bytes(value.cast_mut(), size)) };
            out.push(Header {
                name: name.to_string_lossy().into_owned(),
                value: value.map(<[u8]>::to_vec),
            });
        }
        out
    }
}

/// `len` bytes at `data`, or `None` for a NULL pointer (a null key or a tombstone).
///
/// # Safety
/// A non-NULL `data` must point at `len` readable bytes that outlive `'a`.
unsafe fn bytes<'a>(data: *mut c_void, len: usize) -> Option<&'a [u8]> {
    if data.is_null() {
        return None;
    }
    // SAFETY: promised by the caller.
    Some(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}
