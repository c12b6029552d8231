//! `evt replay SOURCE --to TARGET`: copy a window into a sandbox, faithfully and safely.
//!
//! Guards first (never the source topic on the same cluster, never a readonly profile, never a
//! non-empty target without --append), then the plan, then the copy: every record is tracked
//! until the target confirms it, so an interrupted replay knows exactly where to continue.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;
use indicatif::{ProgressBar, ProgressStyle};

use super::{plan_window, thousands};
use crate::broker::plan::Plan;
use crate::broker::probe::Probe;
use crate::broker::produce::{Delivery, Tag, TrackedWriter};
use crate::broker::reader::{ReadOptions, Stop};
use crate::broker::{self, admin, metadata};
use crate::cli::Partitioner;
use crate::config::{Connection, ReplayJob, ReplaySource, Selection, Window};
use crate::error::{EvtError, ExitStatus};
use crate::event::{format_timestamp, Event};
use crate::filter::Filter;
use crate::position::Position;
use crate::replay::{Checkpoint, Ledger, Pace, Pacer};
use crate::source::{LineSource, TopicSource};

/// The header that says where a replayed record came from.
pub const PROVENANCE: &str = "evt-source";
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub fn run(source: &Connection, job: &ReplayJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if job.target.readonly {
        return Err(super::produce::readonly_error(&job.target));
    }
    if job.selection.criteria.transform.is_some() {
        return Err(EvtError::usage("--jq reshapes what is printed; replay copies events as they are (use --where to choose them)"));
    }
    match &job.source {
        ReplaySource::Topic(window) => replay_topic(source, job, window, stop),
        ReplaySource::File(path) => replay_file(job, path, stop),
    }
}

/// What the target looks like before the replay.
struct Target {
    /// `None`: the topic does not exist yet.
    partitions: Option<i32>,
    events: i64,
}

fn inspect_target(job: &ReplayJob) -> anyhow::Result<Target> {
    let consumer = broker::consumer(&job.target)?;
    let cluster = metadata::fetch(&consumer, &job.target)?;
    let Some(found) = cluster
        .topics()
        .iter()
        .find(|t| t.name() == job.target_topic)
    else {
        return Ok(Target {
            partitions: None,
            events: 0,
        });
    };
    let partitions = i32::try_from(found.partitions().len()).unwrap_or(i32::MAX);
    let window = Window {
        topics: vec![job.target_topic.clone()],
        partitions: vec![],
        from: Position::Beginning,
        until: None,
    };
    let (_, plan) = plan_window(&quiet(&job.target), &window, &Selection::default(), true)?;
    Ok(Target {
        partitions: Some(partitions),
        events: plan.total().unwrap_or(0),
    })
}

/// The connection without `-v` notes (for evt's own internal reads).
fn quiet(connection: &Connection) -> Connection {
    Connection {
        verbose: 0,
        ..connection.clone()
    }
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
    source: &Connection,
    job: &ReplayJob,
    window: &Window,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    let source_topic = &window.topics[0];
    if job.same_cluster && *source_topic == job.target_topic {
        return Err(EvtError::usage(format!(
            "refusing to replay '{source_topic}' into itself on the same cluster; choose a sandbox topic with --to"
        )));
    }
    let resume = job.resume.as_deref().map(Checkpoint::load).transpose()?;
    let (consumer, mut plan) = plan_window(source, window, &job.selection, true)?;
    if let Some(cp) = &resume {
        apply_checkpoint(&mut plan, cp, source_topic, &job.target_topic)?;
    }
    let source_partitions = i32::try_from(metadata_partitions(&plan)).unwrap_or(i32::MAX);
    let target = inspect_target(job)?;
    check_target(job, &target, source_partitions)?;
    if job.dry_run {
        print!("{}", dry_run_table(source, job, &plan, &target)?);
        return Ok(ExitStatus::Success);
    }
    if target.partitions.is_none() {
        admin::create_topic(&job.target, &job.target_topic, source_partitions)?;
        eprintln!(
            "evt: created '{}' with {source_partitions} partition(s)",
            job.target_topic
        );
    } else if resume.is_some() && job.provenance && job.partitioner == Partitioner::Same {
        skip_already_written(job, source_topic, &mut plan)?;
    }

    let lanes: HashMap<i32, usize> = plan
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| (p.partition, i))
        .collect();
    let ledger = Ledger::new(
        plan.partitions
            .iter()
            .map(|p| (p.partition, p.start, p.end.unwrap_or(p.start))),
    );
    let total = u64::try_from(plan.total().unwrap_or(0)).unwrap_or(0);
    let options = ReadOptions {
        merge_by_time: job.pace != Pace::Fast,
        ..ReadOptions::bounded(stop, source.timeout)
    };
    let mut copier = Copier::new(job, source_topic, ledger, total)?;
    let (reader, batches) = TopicSource::open(consumer, source, plan, options);
    for batch in batches.iter() {
        for event in batch {
            if stop.interrupted() || copier.failed() {
                break;
            }
            let lane = lanes[&event.partition];
            copier.copy(lane, event, true)?;
        }
        if stop.interrupted() || copier.failed() {
            break;
        }
    }
    stop.enough
        .store(true, std::sync::atomic::Ordering::Relaxed);
    drop(batches);
    let read = reader.close();
    copier.finish(stop, read.err())
}

/// Continues where the checkpoint says, for the partitions it names.
fn apply_checkpoint(
    plan: &mut Plan,
    cp: &Checkpoint,
    source: &str,
    target: &str,
) -> anyhow::Result<()> {
    if cp.source != source || cp.target != target {
        return Err(EvtError::usage(format!(
            "the checkpoint is for {} → {}, not {source} → {target}",
            cp.source, cp.target
        )));
    }
    plan.partitions
        .retain(|p| cp.partitions.iter().any(|c| c.partition == p.partition));
    for p in &mut plan.partitions {
        let c = cp
            .partitions
            .iter()
            .find(|c| c.partition == p.partition)
            .expect("retained above");
        p.start = c.next_offset.max(p.low);
        p.end = Some(c.end_offset.max(p.start));
    }
    Ok(())
}

/// After a crash the checkpoint may lag behind the target: the provenance header of each
/// target partition's last record says how far the copy really got.
fn skip_already_written(
    job: &ReplayJob,
    source_topic: &str,
    plan: &mut Plan,
) -> anyhow::Result<()> {
    let window = Window {
        topics: vec![job.target_topic.clone()],
        partitions: vec![],
        from: Position::Beginning,
        until: None,
    };
    let (_, target_plan) = plan_window(&quiet(&job.target), &window, &Selection::default(), true)?;
    let last: HashMap<i32, i64> = target_plan
        .partitions
        .iter()
        .filter(|p| p.high > p.low)
        .map(|p| (p.partition, p.high - 1))
        .collect();
    if last.is_empty() {
        return Ok(());
    }
    let mut probe = Probe::new(&job.target)?;
    for (_, header) in probe.headers_at(&job.target_topic, &last, PROVENANCE)? {
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

/// `orders/2/1532` → ("orders", 2, 1532).
fn parse_provenance(value: &[u8]) -> Option<(String, i32, i64)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut parts = text.rsplitn(3, '/');
    let offset = parts.next()?.parse().ok()?;
    let partition = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), partition, offset))
}

fn metadata_partitions(plan: &Plan) -> usize {
    plan.partitions
        .iter()
        .map(|p| usize::try_from(p.partition + 1).unwrap_or(0))
        .max()
        .unwrap_or(0)
}

/// `--dry-run`: per partition the offsets, count, first and last time, and where it goes.
fn dry_run_table(
    source: &Connection,
    job: &ReplayJob,
    plan: &Plan,
    target: &Target,
) -> anyhow::Result<String> {
    let live: Vec<_> = plan.partitions.iter().filter(|p| !p.is_empty()).collect();
    let (mut first, mut last) = (HashMap::new(), HashMap::new());
    if let Some(topic) = live.first().map(|p| p.topic.clone()) {
        let mut probe = Probe::new(source)?;
        let starts: HashMap<i32, i64> = live.iter().map(|p| (p.partition, p.start)).collect();
        let ends: HashMap<i32, i64> = live
            .iter()
            .map(|p| (p.partition, p.end.unwrap_or(p.start) - 1))
            .collect();
        for (p, ts) in probe_times(&mut probe, &topic, &starts)? {
            first.insert(p, ts);
        }
        for (p, ts) in probe_times(&mut probe, &topic, &ends)? {
            last.insert(p, ts);
        }
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "partition",
        "start",
        "end",
        "count",
        "first time",
        "last time",
        "target partition",
    ]);
    let time = |m: &HashMap<i32, Option<i64>>, p: i32| {
        m.get(&p)
            .copied()
            .flatten()
            .and_then(format_timestamp)
            .unwrap_or_else(|| "-".into())
    };
    for p in &plan.partitions {
        let goes_to = match job.partitioner {
            Partitioner::Same => p.partition.to_string(),
            Partitioner::Key => "by key".to_string(),
        };
        table.add_row([
            p.partition.to_string(),
            p.start.to_string(),
            p.end.map_or("-".into(), |e| e.to_string()),
            p.count().map_or("-".into(), |c| c.to_string()),
            time(&first, p.partition),
            time(&last, p.partition),
            goes_to,
        ]);
    }
    let target_note = match target.partitions {
        Some(n) => format!(
            "'{}' ({n} partitions, {} events now)",
            job.target_topic, target.events
        ),
        None => format!(
            "'{}' (will be created with {} partitions)",
            job.target_topic,
            metadata_partitions(plan)
        ),
    };
    Ok(format!(
        "{table}\nplan: {} events from '{}' into {target_note}{}; nothing was written (--dry-run)\n",
        plan.total().unwrap_or(0),
        plan.partitions.first().map_or("", |p| &p.topic),
        if job.provenance { ", with evt-source headers" } else { "" }
    ))
}

fn probe_times(
    probe: &mut Probe,
    topic: &str,
    wanted: &HashMap<i32, i64>,
) -> anyhow::Result<Vec<(i32, Option<i64>)>> {
    let found = probe.records_at(topic, wanted)?;
    Ok(found
        .into_iter()
        .map(|(p, r)| (p, r.map(|(_, ts)| ts)))
        .collect())
}

fn replay_file(job: &ReplayJob, path: &std::path::Path, stop: &Stop) -> anyhow::Result<ExitStatus> {
    if job.resume.is_some() {
        return Err(EvtError::usage(
            "--resume continues topic replays; for a file, replay the lines not yet written",
        ));
    }
    let files = if path.as_os_str() == "-" {
        vec![]
    } else {
        vec![path.to_path_buf()]
    };
    let target = inspect_target(job)?;
    check_target(job, &target, 0)?;
    let Some(partitions) = target.partitions else {
        return Err(EvtError::usage(format!(
            "target '{}' does not exist; create it first (a file does not say how many partitions it needs)",
            job.target_topic
        )));
    };
    let mut lines = LineSource::new(&files, false);
    let mut copier = Copier::new(job, "", Ledger::new([(0, 0, i64::MAX)]), 0)?;
    let mut line = 0i64;
    while let Some(item) = lines.next_event() {
        if stop.interrupted() || copier.failed() {
            break;
        }
        let (place, event) = item?;
        let mut event = event.map_err(|why| EvtError::usage(format!("{place}: {why}")))?;
        if job.partitioner == Partitioner::Key || event.partition >= partitions {
            event.partition = -1;
        }
        let provenance = !event.topic.is_empty() && event.offset >= 0;
        if !provenance {
            event.topic = Arc::from(place.to_string());
        }
        event.offset = line;
        line += 1;
        copier.copy(0, event, provenance)?;
    }
    copier.ledger.lanes[0].end = line;
    copier.finish(stop, None)
}

/// Sends events, tracks their confirmations, paces, shows progress, keeps the checkpoint.
struct Copier<'a> {
    job: &'a ReplayJob,
    source_topic: String,
    writer: TrackedWriter,
    ledger: Ledger,
    pacer: Pacer,
    filter: Option<Filter>,
    progress: ProgressBar,
    started: Instant,
    last_checkpoint: Instant,
    read: u64,
    filtered_out: u64,
}

impl<'a> Copier<'a> {
    fn new(
        job: &'a ReplayJob,
        source_topic: &str,
        ledger: Ledger,
        total: u64,
    ) -> anyhow::Result<Copier<'a>> {
        let writer = TrackedWriter::new(
            &job.target.brokers,
            &job.target.properties,
            job.target.timeout,
        )?;
        let filter = Filter::optional(&job.selection.criteria)?;
        let progress =
            ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
        progress.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} events  {rate}  ETA {eta}")
                .expect("a valid template")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        write!(w, "{:.0} events/s", state.per_sec()).ok();
                    },
                ),
        );
        Ok(Copier {
            job,
            source_topic: source_topic.to_string(),
            writer,
            ledger,
            pacer: Pacer::new(job.pace),
            filter,
            progress,
            started: Instant::now(),
            last_checkpoint: Instant::now(),
            read: 0,
            filtered_out: 0,
        })
    }

    fn failed(&self) -> bool {
        !self.ledger.failures.is_empty()
    }

    /// Sends one source event (unless filtered out), with its provenance header.
    fn copy(&mut self, lane: usize, event: Event, provenance: bool) -> anyhow::Result<()> {
        self.read += 1;
        self.progress.inc(1);
        let offset = event.offset;
        let mut kept = None;
        match &mut self.filter {
            Some(f) => f.apply(event, &mut |e| kept = Some(e)),
            None => kept = Some(event),
        }
        let Some(mut event) = kept else {
            self.filtered_out += 1;
            self.ledger.skipped(lane, offset);
            return Ok(());
        };
        let due = self.pacer.due(event.timestamp);
        if let Some(wait) = due.checked_sub(self.started.elapsed()) {
            self.settle(self.writer.poll(wait));
        }
        let origin = format!("{}/{}/{}", event.topic, event.partition, event.offset);
        if self.job.partitioner == Partitioner::Key {
            event.partition = -1;
        }
        let extra = (self.job.provenance && provenance).then_some((PROVENANCE, origin.as_bytes()));
        self.writer
            .send(&self.job.target_topic, &event, extra, Tag { lane, offset })?;
        self.ledger.sent(lane, offset);
        if self.read % 1024 == 0 {
            self.settle(self.writer.poll(Duration::ZERO));
        }
        Ok(())
    }

    fn settle(&mut self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            self.ledger.delivered(d.tag.lane, d.tag.offset, d.outcome);
        }
        if !self.source_topic.is_empty() && self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            self.last_checkpoint = Instant::now();
            // Best effort while running; the final save below reports errors.
            self.ledger
                .checkpoint(&self.source_topic, &self.job.target_topic)
                .save(&self.job.checkpoint)
                .ok();
        }
    }

    /// Waits for every confirmation, then reports: done, or where it stopped and how to resume.
    fn finish(
        mut self,
        stop: &Stop,
        read_error: Option<anyhow::Error>,
    ) -> anyhow::Result<ExitStatus> {
        let deliveries = self.writer.flush();
        self.settle(deliveries);
        self.progress.finish_and_clear();
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let written = self.ledger.written();
        eprintln!(
            "evt: replay into '{}': read {}, written {}, filtered out {} in {secs:.2} s ({} events/s)",
            self.job.target_topic,
            thousands(self.read),
            thousands(written),
            thousands(self.filtered_out),
            thousands((written as f64 / secs) as u64)
        );
        if self.ledger.complete() {
            if self.job.checkpoint.exists() {
                std::fs::remove_file(&self.job.checkpoint).ok();
            }
            return Ok(ExitStatus::Success);
        }
        let topic_source = !self.source_topic.is_empty();
        if topic_source {
            let checkpoint = self
                .ledger
                .checkpoint(&self.source_topic, &self.job.target_topic);
            checkpoint.save(&self.job.checkpoint)?;
            let stopped: Vec<String> = checkpoint
                .partitions
                .iter()
                .filter(|p| p.next_offset < p.end_offset)
                .map(|p| {
                    format!(
                        "{}/{} at offset {}",
                        self.source_topic, p.partition, p.next_offset
                    )
                })
                .collect();
            eprintln!(
                "evt: stopped with {} event(s) left: {}\nevt: continue with: evt replay {} --to {} --resume {}",
                checkpoint.remaining(),
                stopped.join(", "),
                self.source_topic,
                self.job.target_topic,
                self.job.checkpoint.display()
            );
        }
        if let Some(first) = self.ledger.failures.first() {
            return Err(EvtError::broker(format!(
                "{} event(s) were not delivered to '{}' (first: {first}); nothing after the last confirmed offsets counts as written",
                self.ledger.failures.len(),
                self.job.target_topic
            )));
        }
        if let Some(e) = read_error {
            return Err(e);
        }
        if stop.interrupted() {
            return Ok(ExitStatus::Interrupted);
        }
        Err(EvtError::broker(format!(
            "{} event(s) had no delivery confirmation within the timeout; the target broker may be down",
            self.ledger.in_flight()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_provenance;

    #[test]
    fn provenance_parses_topics_with_slashes() {
        assert_eq!(
            parse_provenance(b"orders/2/1532"),
            Some(("orders".into(), 2, 1532))
        );
        assert_eq!(parse_provenance(b"a/b/3/4"), Some(("a/b".into(), 3, 4)));
        assert_eq!(parse_provenance(b"garbage"), None);
    }
}
