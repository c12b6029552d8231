//! `evt read` (a bounded window of topics and files, then exit) and `evt tail` (follow topics
//! live until Ctrl-C, `--until` or `--count`).

use super::{bounded_status, broker_for};
use crate::broker::{Connection, Plan};
use crate::config::ReadJob;
use crate::error::ExitStatus;
use crate::pipeline::{self, Ended};
use crate::position::Position;
use crate::report::{render, Style};
use crate::sink::print::{printer, PrintSink};
use crate::source::Mode;
use crate::stop::Stop;

pub fn run(connection: &Connection, mut job: ReadJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let follow = matches!(job.request.mode, Mode::Follow { .. });
    if follow {
        follow_until_the_clock(&mut job);
    }
    let waiting = stop.abandonable();
    let broker = broker_for(connection, &job.request)?;
    let plan = broker.as_deref().map(|b| job.request.plan(b)).transpose()?;
    if let Some(style) = job.explain {
        print!("{}", render(&plan.unwrap_or_default(), style));
        return Ok(ExitStatus::Success);
    }
    let partitions = plan.as_ref().map_or(0, |p: &Plan| p.partitions.len());
    let mut source = job.request.open(broker.as_deref(), plan, stop)?;
    let stdout = std::io::stdout().lock();
    let mut sink = PrintSink::new(printer(&job.output), job.inline.take(), stdout);
    let options = pipeline::Options {
        count: job.count,
        time: job.request.window.time_bounds(),
        // A long read into a file or a pipe shows its progress on the terminal.
        progress: !follow && !job.output.terminal,
    };
    drop(waiting);
    // Said once Ctrl-C no longer abandons the connection: from here it ends the tail cleanly.
    if follow && connection.verbose > 0 {
        eprintln!(
            "evt: following {partitions} partition(s) of {}; Ctrl-C to stop",
            job.request.topics().join(", ")
        );
    }
    let outcome = pipeline::run(&mut *source, job.filter.as_mut(), &mut sink, &options, stop)?;
    let summary =
        connection.verbose > 0 || outcome.notable() || (!follow && outcome.filter.is_some());
    if summary {
        eprint!("{}", render(&outcome, Style::Table));
    }
    Ok(match (follow, outcome.ended) {
        (true, Ended::Interrupted) => ExitStatus::Success,
        _ => bounded_status(&outcome),
    })
}

/// A tail's `--until` in the future is a deadline on the clock, not an offset to resolve now.
fn follow_until_the_clock(job: &mut ReadJob) {
    let now = chrono::Utc::now().timestamp_millis();
    if let Some(Position::Time(ms)) = job.request.window.until {
        if ms > now {
            job.request.window.until = None;
            job.request.mode = Mode::Follow {
                deadline_ms: Some(ms),
            };
        }
    }
}
