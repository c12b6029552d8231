//! One file per subcommand. Each reads like a sentence: resolve the window, open the source,
//! filter, send to the sink, report.

pub mod diff;
pub mod generate;
pub mod inspect;
pub mod playground;
pub mod produce;
pub mod read;
pub mod replay;
pub mod stats;
pub mod trace;
pub mod validate;

use crate::broker::{self, Broker, Connection};
use crate::error::ExitStatus;
use crate::pipeline::{Ended, Outcome};
use crate::source::Request;
use crate::source::Source;
use crate::stop::Stop;

/// A broker when some source is a topic; files need none (and no connection is tried).
fn broker_for(
    connection: &Connection,
    request: &Request,
) -> anyhow::Result<Option<Box<dyn Broker>>> {
    request
        .needs_broker()
        .then(|| broker::connect(connection))
        .transpose()
}

/// A request's source, opened; the broker (when a topic needs one) lives as long as it.
struct Opened {
    _broker: Option<Box<dyn Broker>>,
    source: Box<dyn Source>,
}

/// Connects when a source is a topic, resolves the window, and opens the source.
fn open(connection: &Connection, request: &Request, stop: &Stop) -> anyhow::Result<Opened> {
    let broker = broker_for(connection, request)?;
    let plan = broker.as_deref().map(|b| request.plan(b)).transpose()?;
    let source = request.open(broker.as_deref(), plan, stop)?;
    Ok(Opened {
        _broker: broker,
        source,
    })
}

/// A bounded report over a request: open it (Ctrl-C may end the wait for the broker at
/// once), then run the pipeline into `sink` with the window's time bounds and a progress
/// bar on a terminal. For the commands that gather and report at the end (validate,
/// stats, trace).
fn gather(
    connection: &Connection,
    request: &Request,
    filter: Option<&mut crate::filter::Filter>,
    sink: &mut dyn crate::sink::Sink,
    stop: &Stop,
) -> anyhow::Result<Outcome> {
    let waiting = stop.abandonable();
    let mut opened = open(connection, request, stop)?;
    let options = crate::pipeline::Options {
        time: request.window.time_bounds(),
        progress: true,
        ..crate::pipeline::Options::default()
    };
    drop(waiting);
    crate::pipeline::run(&mut *opened.source, filter, sink, &options, stop)
}

/// The exit status of a bounded command whose stream ended without an error.
fn bounded_status(outcome: &Outcome) -> ExitStatus {
    match outcome.ended {
        Ended::Interrupted => ExitStatus::Interrupted,
        Ended::Completed | Ended::Enough => ExitStatus::Success,
    }
}
