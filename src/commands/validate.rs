//! `evt validate [SOURCE…] --schema PATH`: check files and topic windows against JSON
//! Schemas, report every violation where it happened, exit 1 when any was found.

use crate::broker::Connection;
use crate::config::ValidateJob;
use crate::error::ExitStatus;
use crate::pipeline::Ended;
use crate::sink::validate::ValidateSink;
use crate::stop::Stop;

pub fn run(
    connection: &Connection,
    mut job: ValidateJob,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink = ValidateSink::new(
        job.schemas,
        job.format,
        job.missing,
        job.max_errors,
        job.color,
        out,
    );
    let outcome = super::gather(
        connection,
        &job.request,
        job.filter.as_mut(),
        &mut sink,
        stop,
    )?;
    Ok(if outcome.ended == Ended::Interrupted {
        ExitStatus::Interrupted
    } else if sink.invalid() > 0 {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}
