//! One file per subcommand; the shared steps they compose live here.

pub mod generate;
pub mod playground;
pub mod produce;
pub mod read;
pub mod replay;
pub mod tail;
pub mod validate;

use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;

use crate::broker::plan::Plan;
use crate::broker::reader::{ReadEnd, ReadOptions, Stop};
use crate::broker::{self, metadata, partitioner};
use crate::config::{Connection, Output, Selection, Window};
use crate::error::ExitStatus;
use crate::filter::{Filter, FilterStats};
use crate::output::{self, Printed};
use crate::source::TopicSource;

/// Connects, checks topics and partitions, and resolves the window into a plan.
pub fn plan_window(
    connection: &Connection,
    window: &Window,
    selection: &Selection,
    bounded: bool,
) -> anyhow::Result<(Arc<BaseConsumer>, Plan)> {
    let consumer = Arc::new(broker::consumer(connection)?);
    let cluster = metadata::fetch(&consumer, connection)?;
    let topics = metadata::topics(&cluster, &window.topics)?
        .into_iter()
        .map(|t| {
            let partitions = match key_partitions(&t, window, selection) {
                Some(partitions) => {
                    if connection.verbose > 0 {
                        eprintln!(
                            "evt: --key lives in partition(s) {:?} of {} ({} in all); reading only those (--no-prune reads all)",
                            partitions,
                            t.name,
                            t.partitions.len()
                        );
                    }
                    partitions
                }
                None => metadata::select_partitions(&t, &window.partitions)?,
            };
            Ok((t, partitions))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan = broker::plan::resolve(&consumer, connection, &topics, window, bounded)?;
    if connection.verbose > 0 {
        eprint!("{}", output::explain(&plan));
    }
    Ok((consumer, plan))
}

/// With `--key` and no `-p`, the partitions the default partitioner maps the keys to.
fn key_partitions(
    topic: &metadata::TopicInfo,
    window: &Window,
    selection: &Selection,
) -> Option<Vec<i32>> {
    let keys = &selection.criteria.keys;
    if keys.is_empty() || !selection.prune_by_key || !window.partitions.is_empty() {
        return None;
    }
    let count = i32::try_from(topic.partitions.len()).ok()?;
    let mut partitions: Vec<i32> = keys
        .iter()
        .map(|k| partitioner::partition_for(k, count))
        .collect();
    partitions.sort_unstable();
    partitions.dedup();
    Some(partitions)
}

/// Reads the plan and prints it: the pipeline every reading command shares.
pub fn stream(
    consumer: Arc<BaseConsumer>,
    connection: &Connection,
    plan: Plan,
    options: ReadOptions,
    output: &Output,
    selection: &Selection,
    count: Option<u64>,
) -> anyhow::Result<Streamed> {
    let started = Instant::now();
    let stop = options.stop.clone();
    let mut filter = Filter::optional(&selection.criteria)?;
    let mut inline = match &selection.validation {
        None => None,
        Some(v) => Some(output::InlineValidation {
            schemas: crate::validate::Schemas::load(
                &v.schema,
                v.schema_by.as_deref(),
                crate::validate::MissingSchema::Ignore,
            )?,
            only_invalid: v.only_invalid,
        }),
    };
    let (source, batches) = TopicSource::open(consumer, connection, plan, options);
    let printer = output::printer(output);
    let stdout = std::io::stdout().lock();
    let printed = output::drain(
        batches,
        filter.as_mut(),
        inline.as_mut(),
        printer,
        count,
        &stop.enough,
        stdout,
    );
    let ended = source.close();
    let printed = printed?;
    let stats = filter.map(|f| f.stats);
    let elapsed = started.elapsed();
    let ended = if printed.pipe_closed || count.is_some_and(|n| printed.events >= n) {
        ReadEnd::Stopped
    } else {
        ended?
    };
    Ok(Streamed {
        printed,
        ended,
        stats,
        elapsed,
    })
}

/// The exit status once a stream has ended without an error.
pub fn finished(stop: &Stop, interrupted_status: ExitStatus) -> ExitStatus {
    if stop.interrupted() {
        interrupted_status
    } else {
        ExitStatus::Success
    }
}

/// How a stream went.
pub struct Streamed {
    pub printed: Printed,
    pub ended: ReadEnd,
    /// Present when filters ran.
    pub stats: Option<FilterStats>,
    pub elapsed: Duration,
}

impl Streamed {
    /// `evt: scanned 1,000,000 events, matched 10,000, printed 10,000 in 0.84 s (…/s)`
    pub fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let (scanned, detail) = match self.stats {
            Some(s) => {
                let mut detail = format!(", matched {}", thousands(s.matched));
                if s.not_json > 0 {
                    detail.push_str(&format!(", non-JSON skipped {}", thousands(s.not_json)));
                }
                if s.jq_errors > 0 {
                    detail.push_str(&format!(", jq errors {}", thousands(s.jq_errors)));
                }
                (s.scanned, detail)
            }
            None => (self.printed.events, String::new()),
        };
        format!(
            "evt: scanned {} events{detail}, printed {} in {secs:.2} s ({} events/s)",
            thousands(scanned),
            thousands(self.printed.events),
            thousands((scanned as f64 / secs) as u64)
        )
    }
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
