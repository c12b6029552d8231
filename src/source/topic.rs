//! Topic sources: the window resolved on the broker, then read on the broker's own thread.

use std::time::Duration;

use super::{Mode, Request, Source};
use crate::broker::{self, partitioner, Broker, Plan, ReadOptions, Reader, TopicInfo};
use crate::feed::Next;
use crate::stop::Stop;

/// Checks topics and partitions, and resolves the window into a plan.
pub fn plan(broker: &dyn Broker, request: &Request, bounded: bool) -> anyhow::Result<Plan> {
    let topics = broker
        .find(&request.topics())?
        .into_iter()
        .map(|t| {
            let partitions = match key_partitions(&t, request) {
                Some(partitions) => {
                    if request.verbose > 0 {
                        eprintln!(
                            "evt: --key lives in partition(s) {:?} of {} ({} in all); reading only those (--no-prune reads all)",
                            partitions,
                            t.name,
                            t.partitions.len()
                        );
                    }
                    partitions
                }
                None => broker::select_partitions(&t, &request.window.partitions)?,
            };
            Ok((t, partitions))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan = broker.plan(&topics, &request.window, bounded)?;
    if request.verbose > 0 {
        eprint!(
            "{}",
            crate::report::render(&plan, crate::report::Style::Table)
        );
    }
    Ok(plan)
}

/// With `--key` and no `-p`, the partitions the default partitioner maps the keys to.
fn key_partitions(topic: &TopicInfo, request: &Request) -> Option<Vec<i32>> {
    if request.keys.is_empty() || !request.prune || !request.window.partitions.is_empty() {
        return None;
    }
    let count = i32::try_from(topic.partitions.len()).ok()?;
    let mut partitions: Vec<i32> = request
        .keys
        .iter()
        .map(|k| partitioner::partition_for(k, count))
        .collect();
    partitions.sort_unstable();
    partitions.dedup();
    Some(partitions)
}

/// A plan being read from the broker.
pub struct TopicSource {
    reader: Reader,
    expected: Option<u64>,
}

impl TopicSource {
    pub fn open(
        broker: &dyn Broker,
        plan: Plan,
        request: &Request,
        stop: &Stop,
    ) -> anyhow::Result<TopicSource> {
        let expected = plan.total().and_then(|t| u64::try_from(t).ok());
        let options = match request.mode {
            Mode::Bounded { by_time } => ReadOptions {
                merge_by_time: by_time,
                stop: stop.child(),
                discover_partitions: false,
                deadline_ms: None,
                stall_timeout: request.stall_timeout,
                headers: request.headers,
            },
            Mode::Follow { deadline_ms } => ReadOptions {
                merge_by_time: false,
                stop: stop.child(),
                discover_partitions: request.window.partitions.is_empty(),
                deadline_ms,
                stall_timeout: request.stall_timeout,
                headers: request.headers,
            },
        };
        Ok(TopicSource {
            reader: broker.read(plan, options)?,
            expected,
        })
    }
}

impl Source for TopicSource {
    fn next(&mut self, wait: Duration) -> Next {
        self.reader.next(wait)
    }

    fn close(&mut self) -> anyhow::Result<()> {
        self.reader.close().map(drop)
    }

    fn expected(&self) -> Option<u64> {
        self.expected
    }
}
