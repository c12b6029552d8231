//! The replay copier as a sink: sends each event to the target with its provenance header,
//! paces, tracks every confirmation in the ledger and keeps the checkpoint fresh, so an
//! interrupted replay knows exactly where to continue.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::broker::{Delivery, Tag, Writer};
use crate::error::EvtError;
use crate::event::{Event, Origin, Unreadable};
use crate::replay::{Ledger, Pacer};
use crate::sink::{Flow, Sink};
use crate::stop::Stop;

/// The header that says where a replayed record came from.
pub const PROVENANCE: &str = "evt-source";
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// The longest single wait while pacing, so Ctrl-C is noticed.
const PACE_SLICE: Duration = Duration::from_millis(100);

/// How target partitions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioner {
    /// The source partition (the target needs at least as many partitions).
    Same,
    /// The key's hash, as the Java client does.
    Key,
}

/// Where the events come from, as the ledger counts them.
pub enum Lanes {
    /// A topic: one lane per source partition, offsets as the source has them.
    Topic {
        source_topic: String,
        lanes: HashMap<i32, usize>,
        checkpoint: PathBuf,
    },
    /// A file: one lane, events numbered in order; `partitions` of the target.
    File { partitions: i32, next: i64 },
}

/// What the copy writes where.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target_topic: String,
    /// Add the `evt-source` header.
    pub provenance: bool,
    pub partitioner: Partitioner,
}

pub struct Copier {
    settings: Settings,
    /// Events that reached the copier, and those the window or the filters left out.
    pub read: u64,
    pub passed_over: u64,
    writer: Box<dyn Writer>,
    pub ledger: Ledger,
    lanes: Lanes,
    pacer: Pacer,
    stop: Stop,
    started: Instant,
    last_checkpoint: Instant,
}

impl Copier {
    pub fn new(
        writer: Box<dyn Writer>,
        settings: Settings,
        pacer: Pacer,
        ledger: Ledger,
        lanes: Lanes,
        stop: &Stop,
    ) -> Copier {
        Copier {
            settings,
            read: 0,
            passed_over: 0,
            writer,
            ledger,
            lanes,
            pacer,
            stop: stop.clone(),
            started: Instant::now(),
            last_checkpoint: Instant::now(),
        }
    }

    /// The source topic, when the copy reads one (only topic copies have checkpoints).
    pub fn source_topic(&self) -> Option<&str> {
        match &self.lanes {
            Lanes::Topic { source_topic, .. } => Some(source_topic),
            Lanes::File { .. } => None,
        }
    }

    pub fn failed(&self) -> bool {
        !self.ledger.failures.is_empty()
    }

    /// The ledger lane and source offset of an event.
    fn place(&mut self, origin: &Origin) -> (usize, i64) {
        match (&mut self.lanes, origin) {
            (
                Lanes::Topic { lanes, .. },
                Origin::Record {
                    partition, offset, ..
                },
            ) => (lanes.get(partition).copied().unwrap_or(0), *offset),
            (Lanes::File { next, .. }, _) => {
                *next += 1;
                (0, *next - 1)
            }
            (Lanes::Topic { .. }, _) => (0, 0),
        }
    }

    /// Waits until `due` (since the start), serving deliveries; false when interrupted.
    fn pace(&mut self, due: Duration) -> bool {
        while let Some(wait) = due.checked_sub(self.started.elapsed()) {
            if self.stop.interrupted() {
                return false;
            }
            let deliveries = self.writer.poll(wait.min(PACE_SLICE));
            self.settle(deliveries);
        }
        true
    }

    fn settle(&mut self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            self.ledger.delivered(d.tag.lane, d.tag.offset, d.outcome);
        }
        if let Lanes::Topic {
            source_topic,
            checkpoint,
            ..
        } = &self.lanes
        {
            if self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                self.last_checkpoint = Instant::now();
                // Best effort while running; the final save reports errors.
                self.ledger
                    .checkpoint(source_topic, &self.settings.target_topic)
                    .save(checkpoint)
                    .ok();
            }
        }
    }

    /// Seconds since the copy started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Sink for Copier {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        if self.failed() {
            return Ok(Flow::Stop);
        }
        self.read += 1;
        let (lane, offset) = self.place(&event.origin);
        let due = self.pacer.due(event.timestamp);
        if !self.pace(due) {
            return Ok(Flow::Stop);
        }
        let partition = match (&self.lanes, self.settings.partitioner, event.partition) {
            (_, Partitioner::Key, _) | (_, _, None) => None,
            (Lanes::File { partitions, .. }, _, Some(p)) if p >= *partitions => None,
            (_, _, Some(p)) => Some(p),
        };
        let origin = match (&event.topic, event.partition, event.offset) {
            (Some(t), Some(p), Some(o)) if self.settings.provenance => Some(format!("{t}/{p}/{o}")),
            _ => None,
        };
        let extra = origin.as_deref().map(|o| (PROVENANCE, o.as_bytes()));
        let tag = Tag { lane, offset };
        self.writer
            .send(&self.settings.target_topic, partition, &event, extra, tag)?;
        self.ledger.sent(lane, offset);
        if self.read % 1024 == 0 {
            let deliveries = self.writer.poll(Duration::ZERO);
            self.settle(deliveries);
        }
        Ok(Flow::Continue)
    }

    fn passed_over(&mut self, origin: &Origin) {
        self.read += 1;
        self.passed_over += 1;
        let (lane, offset) = self.place(origin);
        self.ledger.skipped(lane, offset);
    }

    fn unreadable(&mut self, bad: Unreadable) -> anyhow::Result<Flow> {
        Err(EvtError::BadInput {
            origin: bad.origin.to_string(),
            reason: bad.reason,
        }
        .into())
    }

    fn idle(&mut self) -> anyhow::Result<Flow> {
        let deliveries = self.writer.poll(Duration::ZERO);
        self.settle(deliveries);
        Ok(if self.failed() {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        let deliveries = self.writer.flush();
        self.settle(deliveries);
        if let Lanes::File { next, .. } = self.lanes {
            self.ledger.lanes[0].end = next;
        }
        Ok(())
    }
}
