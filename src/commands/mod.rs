//! One file per subcommand; the shared steps they compose live here.

pub mod generate;
pub mod playground;
pub mod read;
pub mod tail;

use std::sync::Arc;

use rdkafka::consumer::BaseConsumer;

use crate::broker::plan::Plan;
use crate::broker::reader::{ReadEnd, ReadOptions, Stop};
use crate::broker::{self, metadata};
use crate::config::{Connection, Output, Window};
use crate::error::ExitStatus;
use crate::output::{self, Printed};
use crate::source::TopicSource;

/// Connects, checks topics and partitions, and resolves the window into a plan.
pub fn plan_window(
    connection: &Connection,
    window: &Window,
    bounded: bool,
) -> anyhow::Result<(Arc<BaseConsumer>, Plan)> {
    let consumer = Arc::new(broker::consumer(connection)?);
    let cluster = metadata::fetch(&consumer, connection)?;
    let topics = metadata::topics(&cluster, &window.topics)?
        .into_iter()
        .map(|t| {
            let partitions = metadata::select_partitions(&t, &window.partitions)?;
            Ok((t, partitions))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan = broker::plan::resolve(&consumer, connection, &topics, window, bounded)?;
    if connection.verbose > 0 {
        eprint!("{}", output::explain(&plan));
    }
    Ok((consumer, plan))
}

/// Reads the plan and prints it: the pipeline every reading command shares.
pub fn stream(
    consumer: Arc<BaseConsumer>,
    connection: &Connection,
    plan: Plan,
    options: ReadOptions,
    output: &Output,
    count: Option<u64>,
) -> anyhow::Result<(Printed, ReadEnd)> {
    let stop = options.stop.clone();
    let (source, batches) = TopicSource::open(consumer, connection, plan, options);
    let printer = output::printer(output);
    let printed = output::drain(
        batches,
        printer,
        count,
        &stop.enough,
        std::io::stdout().lock(),
    );
    let ended = source.close();
    let printed = printed?;
    if printed.pipe_closed || count.is_some_and(|n| printed.events >= n) {
        return Ok((printed, ReadEnd::Stopped));
    }
    Ok((printed, ended?))
}

/// The exit status once a stream has ended without an error.
pub fn finished(stop: &Stop, interrupted_status: ExitStatus) -> ExitStatus {
    if stop.interrupted() {
        interrupted_status
    } else {
        ExitStatus::Success
    }
}
