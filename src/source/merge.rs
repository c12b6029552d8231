//! Several sources as one: a timeline merged by timestamp, or one after the other.

use std::collections::VecDeque;
use std::time::Duration;

use super::Source;
use crate::event::{Batch, Item};
use crate::feed::{Next, BATCH};

/// One source of a merge, with the items it has handed over but not yet merged.
struct Lane {
    source: Box<dyn Source>,
    buffer: VecDeque<Item>,
    ended: bool,
    /// The last timestamp seen: items without one keep their place after it.
    last_ts: i64,
}

impl Lane {
    fn head_key(&self) -> Option<i64> {
        self.buffer.front().map(|item| match item {
            Ok(e) => e.timestamp.unwrap_or(self.last_ts),
            Err(_) => self.last_ts,
        })
    }
}

/// A k-way merge of sources by event timestamp (ties: the order the sources were given).
/// Memory: one batch per source.
pub struct Merge {
    lanes: Vec<Lane>,
}

impl Merge {
    pub fn new(sources: Vec<Box<dyn Source>>) -> Merge {
        Merge {
            lanes: sources
                .into_iter()
                .map(|source| Lane {
                    source,
                    buffer: VecDeque::new(),
                    ended: false,
                    last_ts: i64::MIN,
                })
                .collect(),
        }
    }

    /// Makes sure every unfinished lane has a head; false when one has nothing ready.
    fn fill(&mut self, wait: Duration) -> bool {
        for lane in &mut self.lanes {
            while lane.buffer.is_empty() && !lane.ended {
                match lane.source.next(wait) {
                    Next::Batch(b) => lane.buffer.extend(b),
                    Next::Ended => lane.ended = true,
                    Next::Idle => return false,
                }
            }
        }
        true
    }
}

impl Source for Merge {
    fn next(&mut self, wait: Duration) -> Next {
        let mut out: Batch = Vec::with_capacity(BATCH);
        while out.len() < BATCH {
            if !self.fill(if out.is_empty() { wait } else { Duration::ZERO }) {
                break;
            }
            let next = self
                .lanes
                .iter()
                .enumerate()
                .filter_map(|(i, l)| l.head_key().map(|k| (k, i)))
                .min();
            let Some((key, i)) = next else { break };
            let lane = &mut self.lanes[i];
            lane.last_ts = key;
            out.push(lane.buffer.pop_front().expect("the lane has a head"));
        }
        if !out.is_empty() {
            Next::Batch(out)
        } else if self.lanes.iter().all(|l| l.ended && l.buffer.is_empty()) {
            Next::Ended
        } else {
            Next::Idle
        }
    }

    fn close(&mut self) -> anyhow::Result<()> {
        close_all(self.lanes.iter_mut().map(|l| &mut l.source))
    }

    fn expected(&self) -> Option<u64> {
        self.lanes.iter().map(|l| l.source.expected()).sum()
    }
}

/// Sources read one after the other, each in its own order.
pub struct Chain {
    sources: Vec<Box<dyn Source>>,
    current: usize,
}

impl Chain {
    pub fn new(sources: Vec<Box<dyn Source>>) -> Chain {
        Chain {
            sources,
            current: 0,
        }
    }
}

impl Source for Chain {
    fn next(&mut self, wait: Duration) -> Next {
        while let Some(source) = self.sources.get_mut(self.current) {
            match source.next(wait) {
                Next::Ended => self.current += 1,
                other => return other,
            }
        }
        Next::Ended
    }

    fn close(&mut self) -> anyhow::Result<()> {
        close_all(self.sources.iter_mut())
    }

    fn expected(&self) -> Option<u64> {
        self.sources.iter().map(|s| s.expected()).sum()
    }
}

/// Closes every source; the first failure is the answer.
fn close_all<'a>(sources: impl Iterator<Item = &'a mut Box<dyn Source>>) -> anyhow::Result<()> {
    let mut first = Ok(());
    for source in sources {
        let closed = source.close();
        if first.is_ok() {
            first = closed;
        }
    }
    first
}
