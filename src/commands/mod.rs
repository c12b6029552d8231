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

/// The exit status of a bounded command whose stream ended without an error.
fn bounded_status(outcome: &Outcome) -> ExitStatus {
    match outcome.ended {
        Ended::Interrupted => ExitStatus::Interrupted,
        Ended::Completed | Ended::Enough => ExitStatus::Success,
    }
}
