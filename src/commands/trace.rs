//! `evt trace ID [SOURCE…]`: read the window of every given topic (default: all but internal
//! ones) merged by time, keep the id's events, show them as one timeline and judge the flow.

use crate::analysis::trace::judge;
use crate::broker::{self, Connection, PartitionPlan, Plan};
use crate::config::TraceJob;
use crate::error::ExitStatus;
use crate::pipeline::Ended;
use crate::report::render;
use crate::report::trace::{steps, TraceReport};
use crate::sink::trace::{event_type, TraceSink, TraceWatch};
use crate::source::{Mode, SourceArg};
use crate::stop::Stop;

pub fn run(connection: &Connection, mut job: TraceJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if job.request.sources.is_empty() {
        // Listing waits on the broker: Ctrl-C may end it at once.
        let waiting = stop.abandonable();
        let cluster = broker::connect(connection)?;
        let mut names: Vec<String> = cluster
            .topics()?
            .into_iter()
            .filter(|t| !super::inspect::internal(&t.name) && t.problem.is_none())
            .map(|t| t.name)
            .collect();
        names.sort();
        job.request.sources = names.into_iter().map(SourceArg::Topic).collect();
        drop(waiting);
    }
    let mut sink = TraceSink::new(
        job.id.clone(),
        std::mem::take(&mut job.fields),
        job.header.take(),
        job.by_key_only,
    );
    if let Some(deadline) = job.follow {
        return follow(connection, job, sink, deadline, stop);
    }
    let outcome = super::gather(
        connection,
        &job.request,
        job.filter.as_mut(),
        &mut sink,
        stop,
    )?;
    let type_path = &job.type_path;
    let steps = steps(&sink.events, |e| event_type(type_path, e));
    let verdict = job.expect.as_ref().map(|expect| {
        let kinds: Vec<Option<String>> = steps.iter().map(|s| s.kind.clone()).collect();
        judge(expect, &kinds)
    });
    let broken = verdict.as_ref().is_some_and(|v| v.broken());
    let report = TraceReport {
        id: &job.id,
        steps,
        beyond: sink.beyond,
        outcome: verdict,
    };
    {
        use std::io::Write;
        let text = render(&report, job.style);
        match std::io::stdout().lock().write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    Ok(if outcome.ended == Ended::Interrupted {
        ExitStatus::Interrupted
    } else if broken {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

/// `--follow`: the window as a bounded read (merged by time), then live from where the window
/// ended on each partition, so no event falls between the two.
fn follow(
    connection: &Connection,
    mut job: TraceJob,
    sink: TraceSink,
    deadline_ms: Option<i64>,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let plan = job.request.plan(&*broker)?;
    let live = Plan {
        partitions: plan
            .partitions
            .iter()
            .map(|p| PartitionPlan {
                start: p.end.unwrap_or(p.high),
                end: None,
                ..p.clone()
            })
            .collect(),
    };
    let partitions = live.partitions.len();
    let mut source = job.request.open(Some(&*broker), Some(plan), stop)?;
    let mut options = crate::pipeline::Options {
        time: job.request.window.time_bounds(),
        progress: true,
        ..crate::pipeline::Options::default()
    };
    drop(waiting);
    let mut watch = TraceWatch::new(
        sink,
        job.type_path.clone(),
        job.expect.take(),
        job.style,
        std::io::stdout().lock(),
    );
    let window = crate::pipeline::run(
        &mut *source,
        job.filter.as_mut(),
        &mut watch.trace,
        &options,
        stop,
    )?;
    drop(source);
    match watch.window(&job.id) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitStatus::Success),
        other => other?,
    }
    if window.ended != Ended::Interrupted && !watch.done() {
        job.request.mode = Mode::Follow { deadline_ms };
        let mut source = job.request.open(Some(&*broker), Some(live), stop)?;
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!(
                "evt: watching {partitions} partition(s) live for {}; Ctrl-C to stop",
                job.id
            );
        }
        options.progress = false;
        crate::pipeline::run(
            &mut *source,
            job.filter.as_mut(),
            &mut watch,
            &options,
            stop,
        )?;
    }
    // Following until stopped is the normal end: the verdict so far decides.
    Ok(if watch.broken() {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}
