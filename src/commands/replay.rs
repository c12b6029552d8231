//! `evt replay SOURCE --to TARGET`: copy a window into a sandbox, faithfully and safely.
//!
//! Guards first (never the source topic on the same cluster, never a readonly profile, never a
//! non-empty target without --append), then the plan, then the copy through the pipeline into
//! the [`Copier`], which tracks every record until the target confirms it, so an interrupted
//! replay knows exactly where to continue.

use std::collections::HashMap;

use super::produce::readonly_error;
use crate::broker::{self, Broker, Connection, Plan};
use crate::config::ReplayJob;
use crate::error::{EvtError, ExitStatus};
use crate::pipeline::{self, thousands, Ended};
use crate::replay::{
    apply_checkpoint, parse_provenance, Checkpoint, DryRun, DryRunRow, Ledger, Pace, Pacer,
};
use crate::report::render;
use crate::sink::replay::{Copier, Lanes, Partitioner, Settings, PROVENANCE};
use crate::source::{Mode, SourceArg};
use crate::stop::Stop;

pub fn run(source: &Connection, job: ReplayJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if job.target.readonly {
        return Err(readonly_error(&job.target));
    }
    // Until the copy starts, evt only asks the brokers: Ctrl-C may end it at once.
    let _waiting = stop.abandonable();
    let target = broker::connect(&job.target)?;
    match job.request.sources.first().cloned() {
        Some(SourceArg::Topic(topic)) => replay_topic(source, &*target, job, &topic, stop),
        Some(SourceArg::File(_)) => replay_file(&*target, job, stop),
        None => Err(EvtError::usage("replay needs a SOURCE")),
    }
}

/// What the target looks like before the replay.
struct Target {
    /// `None`: the topic does not exist yet.
    partitions: Option<i32>,
    events: i64,
}

fn inspect_target(target: &dyn Broker, job: &ReplayJob) -> anyhow::Result<Target> {
    Ok(match target.describe(&job.target_topic)? {
        None => Target {
            partitions: None,
            events: 0,
        },
        Some(found) => Target {
            partitions: Some(i32::try_from(found.partitions.len()).unwrap_or(i32::MAX)),
            events: found.events(),
        },
    })
}

fn check_target(job: &ReplayJob, target: &Target, source_partitions: i32) -> anyhow::Result<()> {
    if target.events > 0 && !job.append && job.resume.is_none() {
        return Err(EvtError::usage(format!(
            "target '{}' already holds {} event(s); add --append to write into it anyway, or replay into an empty topic",
            job.target_topic, target.events
        )));
    }
    if let (Some(have), Partitioner::Same) = (target.partitions, job.partitioner) {
        if have < source_partitions {
            return Err(EvtError::usage(format!(
                "target '{}' has {have} partition(s) but the source has {source_partitions}; add --partitioner key \
                 to re-hash by key, or replay into a topic with {source_partitions} partitions",
                job.target_topic
            )));
        }
    }
    Ok(())
}

fn replay_topic(
    connection: &Connection,
    target: &dyn Broker,
    mut job: ReplayJob,
    source_topic: &str,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    if job.same_cluster && source_topic == job.target_topic {
        return Err(EvtError::usage(format!(
            "refusing to replay '{source_topic}' into itself on the same cluster; choose a sandbox topic with --to"
        )));
    }
    let resume = job.resume.as_deref().map(Checkpoint::load).transpose()?;
    let source = broker::connect(connection)?;
    let mut plan = job.request.plan(&*source)?;
    if let Some(cp) = &resume {
        apply_checkpoint(&mut plan, cp, source_topic, &job.target_topic)?;
    }
    let source_partitions = partition_count(&plan);
    let before = inspect_target(target, &job)?;
    check_target(&job, &before, source_partitions)?;
    // A family with a fixed partition count (a RabbitMQ stream: 1) takes every source
    // partition into its one when the events are re-partitioned by key.
    let partitions = match target.fixed_partitions() {
        Some(fixed) if job.partitioner != Partitioner::Same => fixed,
        _ => source_partitions,
    };
    if let Some(style) = job.dry_run {
        let mut report = dry_run(&*source, &job, &plan, &before)?;
        // The truth about the target: asked, not assumed.
        let creatable = match before.partitions {
            None => target.check_create(&job.target_topic, partitions),
            Some(_) => Ok(()),
        };
        report.create_problem = creatable.as_ref().err().map(|_| "see below".to_string());
        print!("{}", render(&report, style));
        // Exit 3 with the reason, as the real run would.
        return creatable.map(|()| ExitStatus::Success);
    }
    if before.partitions.is_none() {
        target.create_topic(&job.target_topic, partitions)?;
        eprintln!(
            "evt: created '{}' with {partitions} partition(s)",
            job.target_topic
        );
    } else if resume.is_some() && job.provenance && job.partitioner == Partitioner::Same {
        skip_already_written(target, &job, source_topic, &mut plan)?;
    }
    let lanes: HashMap<i32, usize> = plan
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| (p.partition, i))
        .collect();
    let mut ledger = Ledger::new(
        plan.partitions
            .iter()
            .map(|p| (p.partition, p.start, p.end.unwrap_or(p.start))),
    );
    ledger.run = resume
        .as_ref()
        .map(|cp| cp.run.clone())
        .filter(|run| !run.is_empty())
        .unwrap_or_else(crate::replay::new_run);
    let lanes = Lanes::Topic {
        source_topic: source_topic.to_string(),
        lanes,
        checkpoint: job.checkpoint.clone(),
    };
    // Paced replays keep the original order across partitions; so do replays by key, where
    // events of several source partitions meet in one target partition (a stream).
    job.request.mode = Mode::Bounded {
        by_time: job.pace != Pace::Fast || job.partitioner == Partitioner::Key,
    };
    let mut reading = job.request.open(Some(&*source), Some(plan), stop)?;
    copy(target, &mut job, &mut *reading, ledger, lanes, stop)
}

/// Runs the pipeline into the copier and reports how far it got.
fn copy(
    target: &dyn Broker,
    job: &mut ReplayJob,
    source: &mut dyn crate::source::Source,
    ledger: Ledger,
    lanes: Lanes,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    let settings = Settings {
        target_topic: job.target_topic.clone(),
        provenance: job.provenance,
        partitioner: job.partitioner,
        skip_bad: job.skip_bad,
    };
    let writer = target.writer(stop)?;
    writer.replay_run(&ledger.run);
    let mut copier = Copier::new(writer, settings, Pacer::new(job.pace), ledger, lanes, stop);
    let options = pipeline::Options {
        time: job.request.window.time_bounds(),
        progress: true,
        ..pipeline::Options::default()
    };
    stop.settle();
    let ran = pipeline::run(source, job.filter.as_mut(), &mut copier, &options, stop);
    let interrupted = matches!(&ran, Ok(o) if o.ended == Ended::Interrupted) || stop.interrupted();
    finish(job, copier, ran.err(), interrupted)
}

/// Says what was written; on an incomplete copy, saves the checkpoint and says how to resume.
fn finish(
    job: &ReplayJob,
    mut copier: Copier,
    read_error: Option<anyhow::Error>,
    interrupted: bool,
) -> anyhow::Result<ExitStatus> {
    let secs = copier.elapsed().as_secs_f64().max(1e-9);
    let written = copier.ledger.written();
    let skipped = if copier.skipped > 0 {
        format!(", skipped {} (--skip-bad)", thousands(copier.skipped))
    } else {
        String::new()
    };
    eprintln!(
        "evt: replay into '{}': read {}, written {}, filtered out {}{skipped} in {secs:.2} s ({} events/s)",
        job.target_topic,
        thousands(copier.read),
        thousands(written),
        thousands(copier.passed_over),
        crate::safe::rate(written, secs)
    );
    if copier.ledger.complete() && read_error.is_none() {
        if job.checkpoint.exists() {
            std::fs::remove_file(&job.checkpoint).ok();
        }
        return Ok(ExitStatus::Success);
    }
    if let Some(source_topic) = copier.source_topic() {
        let checkpoint = copier.ledger.checkpoint(source_topic, &job.target_topic);
        checkpoint.save(&job.checkpoint)?;
        let stopped: Vec<String> = checkpoint
            .partitions
            .iter()
            .filter(|p| p.next_offset < p.end_offset)
            .map(|p| format!("{source_topic}/{} at offset {}", p.partition, p.next_offset))
            .collect();
        eprintln!(
            "evt: stopped with {} event(s) left: {}\nevt: continue with: evt replay {source_topic} --to {} --resume {}",
            checkpoint.remaining(),
            stopped.join(", "),
            job.target_topic,
            job.checkpoint.display()
        );
    }
    if let Some(first) = copier.ledger.failures.first() {
        return Err(EvtError::broker(format!(
            "{} event(s) were not delivered to '{}' (first: {first}); nothing after the last confirmed offsets counts as written",
            copier.ledger.failures.len(),
            job.target_topic
        )));
    }
    if let Some(refused) = copier.refused.take() {
        return Err(refused);
    }
    if let Some(e) = read_error {
        return Err(e);
    }
    if interrupted {
        return Ok(ExitStatus::Interrupted);
    }
    Err(EvtError::broker(format!(
        "{} event(s) had no delivery confirmation within the timeout; the target broker may be down",
        copier.ledger.in_flight()
    )))
}

fn replay_file(target: &dyn Broker, mut job: ReplayJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if job.resume.is_some() {
        return Err(EvtError::usage(
            "--resume continues topic replays; for a file, replay the lines not yet written",
        ));
    }
    let before = inspect_target(target, &job)?;
    check_target(&job, &before, 0)?;
    let Some(partitions) = before.partitions else {
        return Err(EvtError::usage(format!(
            "target '{}' does not exist; create it first (a file does not say how many partitions it needs)",
            job.target_topic
        )));
    };
    let mut source = job.request.open(None, None, stop)?;
    let lanes = Lanes::File {
        partitions,
        next: 0,
    };
    let ledger = Ledger::new([(0, 0, i64::MAX)]);
    copy(target, &mut job, &mut *source, ledger, lanes, stop)
}

/// After a crash the checkpoint may lag behind the target: the provenance header of each
/// target partition's last record says how far the copy really got.
fn skip_already_written(
    target: &dyn Broker,
    job: &ReplayJob,
    source_topic: &str,
    plan: &mut Plan,
) -> anyhow::Result<()> {
    let Some(found) = target.describe(&job.target_topic)? else {
        return Ok(());
    };
    let last: HashMap<i32, i64> = found
        .partitions
        .iter()
        .filter(|p| p.high > p.low)
        .map(|p| (p.partition, p.high - 1))
        .collect();
    if last.is_empty() {
        return Ok(());
    }
    for (_, header) in target.headers_at(&job.target_topic, &last, PROVENANCE)? {
        let Some((topic, partition, offset)) = header.as_deref().and_then(parse_provenance) else {
            continue;
        };
        if topic != source_topic {
            continue;
        }
        if let Some(p) = plan
            .partitions
            .iter_mut()
            .find(|p| p.partition == partition)
        {
            if offset + 1 > p.start {
                eprintln!("evt: {source_topic}/{partition}: the target already holds offset {offset}; continuing after it");
                p.start = offset + 1;
                p.end = p.end.map(|e| e.max(p.start));
            }
        }
    }
    Ok(())
}

/// The partitions the source has (the highest id in the plan, plus one).
fn partition_count(plan: &Plan) -> i32 {
    plan.partitions
        .iter()
        .map(|p| p.partition + 1)
        .max()
        .unwrap_or(0)
}

fn dry_run(
    source: &dyn Broker,
    job: &ReplayJob,
    plan: &Plan,
    target: &Target,
) -> anyhow::Result<DryRun> {
    let live: Vec<_> = plan.partitions.iter().filter(|p| !p.is_empty()).collect();
    let (mut first, mut last) = (HashMap::new(), HashMap::new());
    if let Some(topic) = live.first().map(|p| p.topic.clone()) {
        let starts: HashMap<i32, i64> = live.iter().map(|p| (p.partition, p.start)).collect();
        let ends: HashMap<i32, i64> = live
            .iter()
            .map(|p| (p.partition, p.end.unwrap_or(p.start) - 1))
            .collect();
        for (p, found) in source.records_at(&topic, &starts)? {
            first.insert(p, found.map(|(_, ts)| ts));
        }
        for (p, found) in source.records_at(&topic, &ends)? {
            last.insert(p, found.map(|(_, ts)| ts));
        }
    }
    let rows = plan
        .partitions
        .iter()
        .map(|p| DryRunRow {
            partition: p.partition,
            start: p.start,
            end: p.end,
            count: p.count(),
            first: first.get(&p.partition).copied().flatten(),
            last: last.get(&p.partition).copied().flatten(),
            goes_to: (job.partitioner == Partitioner::Same).then_some(p.partition),
        })
        .collect();
    Ok(DryRun {
        rows,
        source_topic: plan
            .partitions
            .first()
            .map_or_else(String::new, |p| p.topic.to_string()),
        target_topic: job.target_topic.clone(),
        target_partitions: target.partitions,
        target_events: target.events,
        create_partitions: partition_count(plan),
        create_problem: None,
        total: plan.total().unwrap_or(0),
        provenance: job.provenance,
    })
}
