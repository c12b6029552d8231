//! One side of `evt diff`: each event that passes the filters leaves with its pairing id,
//! in batches, over a bounded channel to the differ. A full channel slows this side's
//! reading; a closed one (the differ stopped) stops it.

use std::sync::mpsc::SyncSender;

use super::{Flow, Sink};
use crate::analysis::diff::{Id, Pairing};
use crate::event::Event;

/// Events per channel message: one channel operation per batch, not per event.
const BATCH: usize = 512;

/// Events with their ids, in arrival order.
pub type Paired = Vec<(Id, Event)>;

pub struct SideSink {
    pairing: Pairing,
    to_differ: SyncSender<Paired>,
    batch: Paired,
}

impl SideSink {
    pub fn new(pairing: Pairing, to_differ: SyncSender<Paired>) -> SideSink {
        SideSink {
            pairing,
            to_differ,
            batch: Vec::with_capacity(BATCH),
        }
    }

    fn send(&mut self) -> Flow {
        if self.batch.is_empty() {
            return Flow::Continue;
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        match self.to_differ.send(batch) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    }
}

impl Sink for SideSink {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        self.batch.push((self.pairing.id(&event), event));
        Ok(if self.batch.len() >= BATCH {
            self.send()
        } else {
            Flow::Continue
        })
    }

    /// Nothing arrives for a moment (a slow topic): what is held goes to the differ now.
    fn idle(&mut self) -> anyhow::Result<Flow> {
        Ok(self.send())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.send();
        Ok(())
    }
}
