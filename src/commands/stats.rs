//! `evt stats SOURCE…`: one pass through the pipeline into the stats accumulator, then the
//! report; exit 1 when `--fail-on` names a fault that was found.

use crate::analysis::stats::Stats;
use crate::broker::Connection;
use crate::cli::FailOnArg;
use crate::config::StatsJob;
use crate::error::ExitStatus;
use crate::pipeline::Ended;
use crate::report::render;
use crate::report::stats::StatsReport;
use crate::sink::stats::StatsSink;
use crate::stop::Stop;

pub fn run(connection: &Connection, mut job: StatsJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let seq = job.seq.is_some();
    let mut sink = StatsSink::new(
        Stats::new(job.options.clone()),
        job.id.take(),
        job.seq.take(),
        job.schemas.take(),
    );
    let outcome = super::gather(
        connection,
        &job.request,
        job.filter.as_mut(),
        &mut sink,
        stop,
    )?;
    if outcome.ended == Ended::Interrupted {
        eprintln!("evt: interrupted: the statistics cover only what was read");
    }
    let stats = &sink.stats;
    let report = StatsReport {
        stats,
        seq,
        gap_ms: job.options.gap_ms,
        schemas: (!sink.validity.is_empty()).then_some(&sink.validity),
    };
    let text = render(&report, job.style);
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    if outcome.ended == Ended::Interrupted {
        return Ok(ExitStatus::Interrupted);
    }
    let found = job.fail_on.iter().any(|f| match f {
        FailOnArg::Duplicates => stats.duplicate_copies > 0,
        FailOnArg::OutOfOrder => stats.backwards.count > 0,
        FailOnArg::Sequence => stats.seq_gaps + stats.seq_regressions > 0,
        FailOnArg::Invalid => sink.validity.values().any(|(_, invalid)| *invalid > 0),
    });
    Ok(if found {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}
