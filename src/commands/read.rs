//! `evt read`: a bounded window, in one timeline or partition by partition, then exit.

use super::{finished, plan_window, stream};
use crate::broker::reader::{ReadOptions, Stop};
use crate::cli::Order;
use crate::config::{Connection, ReadJob};
use crate::error::ExitStatus;
use crate::output;

pub fn run(connection: &Connection, job: ReadJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let (consumer, plan) = plan_window(connection, &job.window, &job.selection, true)?;
    if job.explain {
        print!("{}", output::explain(&plan));
        return Ok(ExitStatus::Success);
    }
    let options = ReadOptions {
        merge_by_time: job.order == Order::Time,
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
    if connection.verbose > 0 || streamed.stats.is_some() {
        eprintln!("{}", streamed.summary());
    }
    Ok(finished(stop, ExitStatus::Interrupted))
}
