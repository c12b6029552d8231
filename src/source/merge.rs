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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Origin, Unreadable};
    use std::sync::Arc;

    /// A source that hands over its items in batches of two.
    struct Items(Vec<Item>);

    impl Source for Items {
        fn next(&mut self, _wait: Duration) -> Next {
            if self.0.is_empty() {
                return Next::Ended;
            }
            let n = self.0.len().min(2);
            Next::Batch(self.0.drain(..n).collect())
        }
        fn close(&mut self) -> anyhow::Result<()> {
            Ok(())
        }
    }

    fn line(file: &str, line: u64, ts: Option<i64>) -> Item {
        Ok(Event {
            timestamp: ts,
            ..Event::new(Origin::Line {
                file: Arc::from(file),
                line,
            })
        })
    }

    fn drain(mut source: impl Source) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match source.next(Duration::ZERO) {
                Next::Batch(b) => seen.extend(b.into_iter().map(|i| match i {
                    Ok(e) => e.origin.to_string(),
                    Err(bad) => format!("bad {}", bad.origin),
                })),
                Next::Ended => return seen,
                Next::Idle => panic!("these sources never idle"),
            }
        }
    }

    #[test]
    fn merge_orders_by_timestamp_and_keeps_untimed_items_in_place() {
        let bad = Err(Unreadable {
            origin: Origin::Line {
                file: Arc::from("a"),
                line: 3,
            },
            reason: "not JSON".into(),
        });
        let a = Items(vec![
            line("a", 1, Some(10)),
            line("a", 2, Some(30)),
            bad,
            line("a", 4, None),
            line("a", 5, Some(50)),
        ]);
        let b = Items(vec![line("b", 1, Some(20)), line("b", 2, Some(40))]);
        let merged = drain(Merge::new(vec![Box::new(a), Box::new(b)]));
        assert_eq!(
            merged,
            ["a:1", "b:1", "a:2", "bad a:3", "a:4", "b:2", "a:5"]
        );
    }

    #[test]
    fn chain_reads_sources_one_after_the_other() {
        let a = Items(vec![line("a", 1, Some(50))]);
        let b = Items(vec![line("b", 1, Some(10))]);
        assert_eq!(
            drain(Chain::new(vec![Box::new(a), Box::new(b)])),
            ["a:1", "b:1"]
        );
    }
}
