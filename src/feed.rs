//! A feed: batches made on a thread of their own and handed over on a bounded channel, so a
//! slow consumer slows the producer instead of growing memory. Topic readers and file
//! readers are both feeds.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::event::Batch;
use crate::stop::Stop;

/// Batches in flight between a feed and its consumer (each up to [`BATCH`] items).
pub const CHANNEL_BATCHES: usize = 16;
/// Items per batch.
pub const BATCH: usize = 512;

/// How a feed ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedEnd {
    /// It produced everything it had.
    Completed,
    /// The stop flag was set or the consumer went away.
    Stopped,
}

/// What waiting on a feed gave.
#[derive(Debug)]
pub enum Next {
    Batch(Batch),
    /// Nothing ready within the wait; the feed goes on.
    Idle,
    /// The feed has ended; [`Feed::close`] says how.
    Ended,
}

/// How long a stopped producer may take to end before it is left behind.
const LET_GO: Duration = Duration::from_secs(1);

/// A producer thread and the receiving end of its channel.
pub struct Feed {
    batches: Option<Receiver<Batch>>,
    thread: Option<JoinHandle<anyhow::Result<FeedEnd>>>,
    stop: Stop,
}

impl Feed {
    /// Runs `produce` on a new thread; it sends batches until done, stopped or failed.
    /// `stop` is the feed's own: closing the feed sets it.
    pub fn spawn(
        name: &str,
        stop: Stop,
        produce: impl FnOnce(SyncSender<Batch>) -> anyhow::Result<FeedEnd> + Send + 'static,
    ) -> anyhow::Result<Feed> {
        let (tx, batches) = std::sync::mpsc::sync_channel(CHANNEL_BATCHES);
        let thread = std::thread::Builder::new()
            .name(name.into())
            // Room to parse deeply nested input (`limits::THREAD_STACK`).
            .stack_size(crate::limits::THREAD_STACK)
            .spawn(move || produce(tx))
            .map_err(|e| {
                crate::error::EvtError::usage(format!(
                    "cannot start a reader thread: {e} (is a memory or process limit too low?)"
                ))
            })?;
        Ok(Feed {
            batches: Some(batches),
            thread: Some(thread),
            stop,
        })
    }

    /// The next batch, waiting up to `wait`.
    pub fn next(&self, wait: Duration) -> Next {
        let Some(batches) = &self.batches else {
            return Next::Ended;
        };
        if wait.is_zero() {
            return match batches.try_recv() {
                Ok(b) => Next::Batch(b),
                Err(TryRecvError::Empty) => Next::Idle,
                Err(TryRecvError::Disconnected) => Next::Ended,
            };
        }
        match batches.recv_timeout(wait) {
            Ok(b) => Next::Batch(b),
            Err(RecvTimeoutError::Timeout) => Next::Idle,
            Err(RecvTimeoutError::Disconnected) => Next::Ended,
        }
    }

    /// Stops the producer (if still running) and says how it ended. A producer that does
    /// not end within [`LET_GO`] of being stopped (one blocked reading a terminal or a pipe
    /// that stays open) is left behind: it holds nothing that needs closing.
    pub fn close(&mut self) -> anyhow::Result<FeedEnd> {
        let finished = self.thread.as_ref().is_none_or(|t| t.is_finished());
        self.stop.enough();
        // A producer blocked on a full channel sees it closed and ends.
        self.batches = None;
        let Some(thread) = self.thread.take() else {
            return Ok(FeedEnd::Stopped);
        };
        if !finished {
            let let_go = std::time::Instant::now() + LET_GO;
            while !thread.is_finished() {
                if std::time::Instant::now() > let_go {
                    return Ok(FeedEnd::Stopped);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        thread
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread panicked")))
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.close().ok();
        }
    }
}

/// Collects items and sends them in batches; a closed channel means "stop".
pub struct Batcher {
    pub batch: Batch,
    sink: SyncSender<Batch>,
}

impl Batcher {
    pub fn new(sink: SyncSender<Batch>) -> Batcher {
        Batcher {
            batch: Vec::with_capacity(BATCH),
            sink,
        }
    }

    /// Returns false when the consumer is gone.
    pub fn push(&mut self, item: crate::event::Item) -> bool {
        self.batch.push(item);
        self.batch.len() < BATCH || self.flush()
    }

    pub fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.sink.send(full).is_ok()
    }
}
