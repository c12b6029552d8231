//! `evt tail`: follow topics live from the end (or the last N per partition) until Ctrl-C,
//! `--until` or `--count`; partitions added while following are picked up.

use super::{finished, plan_window, stream};
use crate::broker::reader::{ReadOptions, Stop};
use crate::config::{Connection, TailJob};
use crate::error::ExitStatus;
use crate::output;
use crate::position::Position;

pub fn run(connection: &Connection, mut job: TailJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    // A time still in the future is a deadline on the clock, not an offset to resolve now.
    let now = chrono::Utc::now().timestamp_millis();
    let deadline_ms = match job.window.until {
        Some(Position::Time(ms)) if ms > now => {
            job.window.until = None;
            Some(ms)
        }
        _ => None,
    };
    let (consumer, plan) = plan_window(connection, &job.window, &job.selection, false)?;
    if job.explain {
        print!("{}", output::explain(&plan));
        return Ok(ExitStatus::Success);
    }
    if connection.verbose > 0 {
        eprintln!(
            "evt: following {} partition(s) of {}; Ctrl-C to stop",
            plan.partitions.len(),
            job.window.topics.join(", ")
        );
    }
    let options = ReadOptions {
        discover_partitions: job.window.partitions.is_empty(),
        deadline_ms,
        ..ReadOptions::bounded(stop, connection.timeout)
    };
    let streamed = stream(
        consumer,
        connection,
        plan,
        options,
        &job.output,
        &job.selection,
        job.count,
    )?;
    if connection.verbose > 0 {
        eprintln!("{}", streamed.summary());
    }
    Ok(finished(stop, ExitStatus::Success))
}
