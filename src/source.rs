//! Sources of events. A topic window is read on its own thread and arrives as batches on a
//! bounded channel, so a slow printer slows the reader instead of growing memory.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use rdkafka::consumer::BaseConsumer;

use crate::broker::plan::Plan;
use crate::broker::reader::{self, Batch, ReadEnd, ReadOptions, Stop};
use crate::config::Connection;

/// Batches in flight between the reader and the printer (each up to 512 events).
const CHANNEL_BATCHES: usize = 16;

/// A topic window being read in the background.
pub struct TopicSource {
    reader: JoinHandle<anyhow::Result<ReadEnd>>,
    stop: Stop,
}

impl TopicSource {
    /// Starts reading `plan`; events arrive on the returned receiver.
    pub fn open(
        consumer: Arc<BaseConsumer>,
        connection: &Connection,
        plan: Plan,
        options: ReadOptions,
    ) -> (TopicSource, Receiver<Batch>) {
        let (tx, batches) = sync_channel(CHANNEL_BATCHES);
        let stop = options.stop.clone();
        let connection = connection.clone();
        let reader = std::thread::Builder::new()
            .name("evt-reader".into())
            .spawn(move || reader::read(consumer, &connection, &plan, &options, tx))
            .expect("the OS can start a thread");
        (TopicSource { reader, stop }, batches)
    }

    /// Stops the reader (if still running) and returns how it ended.
    pub fn close(self) -> anyhow::Result<ReadEnd> {
        self.stop.enough.store(true, Ordering::Relaxed);
        self.reader
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the reader thread panicked")))
    }
}
