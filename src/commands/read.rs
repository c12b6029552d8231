//! `evt read`: a bounded window, in one timeline or partition by partition, then exit.

use std::time::Instant;

use super::{finished, plan_window, stream};
use crate::broker::reader::{ReadOptions, Stop};
use crate::cli::Order;
use crate::config::{Connection, ReadJob};
use crate::error::ExitStatus;
use crate::output;

pub fn run(connection: &Connection, job: ReadJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let (consumer, plan) = plan_window(connection, &job.window, true)?;
    if job.explain {
        print!("{}", output::explain(&plan));
        return Ok(ExitStatus::Success);
    }
    let options = ReadOptions {
        merge_by_time: job.order == Order::Time,
        stop: stop.clone(),
        discover_partitions: false,
        deadline_ms: None,
        stall_timeout: connection.timeout * 3,
    };
    let (printed, _) = stream(consumer, connection, plan, options, &job.output, job.count)?;
    if connection.verbose > 0 {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "evt: {} events in {secs:.2}s ({:.0} events/s)",
            printed.events,
            printed.events as f64 / secs.max(1e-9)
        );
    }
    Ok(finished(stop, ExitStatus::Interrupted))
}
