//! The bookkeeping of a replay, pure and unit-tested: which source offsets are confirmed on
//! the target (the ledger), when the next event may go (the pacer), the checkpoint that
//! `--resume` continues from, the provenance header, and the dry-run report.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::broker::Plan;
use crate::event::format_timestamp;
use crate::report::Report;

use crate::error::EvtError;

/// Per source partition: what was sent, what the target confirmed.
#[derive(Debug, Clone)]
pub struct LaneLedger {
    pub partition: i32,
    /// Sent, not yet confirmed.
    in_flight: BTreeSet<i64>,
    /// The offset after the last one sent (or the window start).
    next_unsent: i64,
    pub end: i64,
    pub written: u64,
}

/// Confirmations for every lane of a replay.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub lanes: Vec<LaneLedger>,
    pub failures: Vec<String>,
    /// This replay run's name, kept by its checkpoint so that a resume is the same run.
    pub run: String,
}

impl Ledger {
    /// One lane per source partition, with its window `start..end`.
    pub fn new(lanes: impl IntoIterator<Item = (i32, i64, i64)>) -> Ledger {
        Ledger {
            lanes: lanes
                .into_iter()
                .map(|(partition, start, end)| LaneLedger {
                    partition,
                    in_flight: BTreeSet::new(),
                    next_unsent: start,
                    end,
                    written: 0,
                })
                .collect(),
            failures: Vec::new(),
            run: String::new(),
        }
    }

    pub fn sent(&mut self, lane: usize, offset: i64) {
        let l = &mut self.lanes[lane];
        l.in_flight.insert(offset);
        l.next_unsent = l.next_unsent.max(offset + 1);
    }

    /// Offsets filtered out count as done: resuming must not read them again.
    pub fn skipped(&mut self, lane: usize, offset: i64) {
        let l = &mut self.lanes[lane];
        l.next_unsent = l.next_unsent.max(offset + 1);
    }

    /// A sent record that will never be written (`--skip-bad` skips it): done, not written.
    pub fn dropped(&mut self, lane: usize, offset: i64) {
        self.lanes[lane].in_flight.remove(&offset);
    }

    pub fn delivered(&mut self, lane: usize, offset: i64, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => {
                let l = &mut self.lanes[lane];
                if l.in_flight.remove(&offset) {
                    l.written += 1;
                }
            }
            Err(e) => {
                let partition = self.lanes[lane].partition;
                self.failures
                    .push(format!("partition {partition} offset {offset}: {e}"));
            }
        }
    }

    /// The first offset of this lane not known to be on the target: everything before it is.
    pub fn resume_from(&self, lane: usize) -> i64 {
        let l = &self.lanes[lane];
        l.in_flight.first().copied().unwrap_or(l.next_unsent)
    }

    pub fn written(&self) -> u64 {
        self.lanes.iter().map(|l| l.written).sum()
    }

    pub fn in_flight(&self) -> usize {
        self.lanes.iter().map(|l| l.in_flight.len()).sum()
    }

    /// True when every lane is confirmed up to its window end.
    pub fn complete(&self) -> bool {
        self.failures.is_empty()
            && (0..self.lanes.len()).all(|i| self.resume_from(i) >= self.lanes[i].end)
    }

    pub fn checkpoint(&self, source: &str, target: &str) -> Checkpoint {
        Checkpoint {
            version: 1,
            source: source.to_string(),
            target: target.to_string(),
            run: self.run.clone(),
            partitions: (0..self.lanes.len())
                .map(|i| CheckpointPartition {
                    partition: self.lanes[i].partition,
                    next_offset: self.resume_from(i),
                    end_offset: self.lanes[i].end,
                })
                .collect(),
        }
    }
}

/// A name for a new replay run, unique enough on one machine: the time and the process.
pub fn new_run() -> String {
    format!(
        "{:x}-{:x}",
        chrono::Utc::now().timestamp_millis(),
        std::process::id()
    )
}

/// Where a replay stopped: per source partition, the next offset to copy and the window end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub version: u32,
    pub source: String,
    pub target: String,
    /// The run's name (see [`new_run`]); empty in checkpoints of older evts.
    #[serde(default)]
    pub run: String,
    pub partitions: Vec<CheckpointPartition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointPartition {
    pub partition: i32,
    pub next_offset: i64,
    pub end_offset: i64,
}

impl Checkpoint {
    /// Writes atomically (temporary file, then rename): a crash never leaves half a checkpoint.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a checkpoint serialises");
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text + "\n")
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                EvtError::usage(format!(
                    "cannot write the checkpoint {}: {e}",
                    path.display()
                ))
            })
    }

    pub fn load(path: &Path) -> anyhow::Result<Checkpoint> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            EvtError::usage(format!(
                "cannot read the checkpoint {}: {e}",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            EvtError::usage(format!(
                "{} is not an evt replay checkpoint: {e}",
                path.display()
            ))
        })
    }

    pub fn remaining(&self) -> i64 {
        self.partitions
            .iter()
            .map(|p| (p.end_offset - p.next_offset).max(0))
            .sum()
    }
}

/// How fast events go to the target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// As fast as possible.
    Fast,
    /// A fixed number of events per second.
    Rate(f64),
    /// The original gaps between events, divided by `factor`, each at most `max_gap`.
    Scaled { factor: f64, max_gap: Duration },
}

/// Turns a pace into "how long after the start may this event go".
#[derive(Debug, Clone)]
pub struct Pacer {
    pace: Pace,
    count: u64,
    previous_ts: Option<i64>,
    due: Duration,
}

impl Pacer {
    pub fn new(pace: Pace) -> Pacer {
        Pacer {
            pace,
            count: 0,
            previous_ts: None,
            due: Duration::ZERO,
        }
    }

    /// The moment (since the replay started) the next event, with timestamp `ts`, is due.
    pub fn due(&mut self, ts: Option<i64>) -> Duration {
        self.count += 1;
        match self.pace {
            Pace::Fast => Duration::ZERO,
            Pace::Rate(per_second) => {
                Duration::from_secs_f64((self.count - 1) as f64 / per_second.max(1e-9))
            }
            Pace::Scaled { factor, max_gap } => {
                if let (Some(prev), Some(ts)) = (self.previous_ts, ts) {
                    let gap =
                        Duration::from_millis(u64::try_from(ts - prev).unwrap_or(0)).min(max_gap);
                    self.due += gap.div_f64(factor.max(1e-9));
                }
                if ts.is_some() {
                    self.previous_ts = ts;
                }
                self.due
            }
        }
    }
}

/// `1x`, `10x`, `0.5x` (or a bare number): the factor of `--pace`.
pub fn parse_pace(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches(['x', 'X']);
    match number.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 => Ok(f),
        _ => Err(format!("'{text}' is not a pace; try 1x, 10x or 0.5x")),
    }
}

/// Continues where the checkpoint says, for the partitions it names.
pub fn apply_checkpoint(
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

pub use crate::event::parse_provenance;

/// `--dry-run`: per partition the offsets, count, first and last time, and where it goes.
pub struct DryRun {
    pub rows: Vec<DryRunRow>,
    pub source_topic: String,
    pub target_topic: String,
    /// The target's partitions now, or `None` when it will be created.
    pub target_partitions: Option<i32>,
    pub target_events: i64,
    pub create_partitions: i32,
    /// Why the target cannot be created, when the broker said so to a trial request.
    pub create_problem: Option<String>,
    pub total: i64,
    pub provenance: bool,
}

pub struct DryRunRow {
    pub partition: i32,
    pub start: i64,
    pub end: Option<i64>,
    pub count: Option<i64>,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub goes_to: Option<i32>,
}

impl Report for DryRun {
    fn table(&self) -> String {
        let time = |ms: Option<i64>| ms.and_then(format_timestamp).unwrap_or_else(|| "-".into());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.partition.to_string(),
                    r.start.to_string(),
                    r.end.map_or("-".into(), |e| e.to_string()),
                    r.count.map_or("-".into(), |c| c.to_string()),
                    time(r.first),
                    time(r.last),
                    r.goes_to.map_or("by key".into(), |p| p.to_string()),
                ]
            })
            .collect();
        let table = crate::report::table(
            &[
                "partition",
                "start",
                "end",
                "count",
                "first time",
                "last time",
                "target partition",
            ],
            rows,
            &[0, 1, 2, 3],
        );
        let target_note = match self.target_partitions {
            Some(n) => format!(
                "'{}' ({n} partitions, {} events now)",
                self.target_topic, self.target_events
            ),
            None => match &self.create_problem {
                None => format!(
                    "'{}' (will be created with {} partitions)",
                    self.target_topic, self.create_partitions
                ),
                Some(why) => format!(
                    "'{}' (does not exist, and cannot be created: {why})",
                    self.target_topic
                ),
            },
        };
        format!(
            "{table}\nplan: {} events from '{}' into {target_note}{}; nothing was written (--dry-run)\n",
            self.total,
            self.source_topic,
            if self.provenance {
                ", with evt-source headers"
            } else {
                ""
            }
        )
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "source": self.source_topic,
            "target": self.target_topic,
            "target_partitions": self.target_partitions,
            "target_events": self.target_events,
            "total": self.total,
            "provenance": self.provenance,
            "partitions": self.rows.iter().map(|r| json!({
                "partition": r.partition,
                "start": r.start,
                "end": r.end,
                "count": r.count,
                "first_time": r.first.and_then(format_timestamp),
                "last_time": r.last.and_then(format_timestamp),
                "target_partition": r.goes_to,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_point_is_the_first_unconfirmed_offset() {
        let mut ledger = Ledger::new([(0, 10, 20), (1, 0, 5)]);
        assert_eq!(ledger.resume_from(0), 10);
        for o in 10..15 {
            ledger.sent(0, o);
        }
        ledger.delivered(0, 10, Ok(()));
        ledger.delivered(0, 12, Ok(()));
        assert_eq!(ledger.resume_from(0), 11, "11 is not confirmed, 12 is");
        ledger.delivered(0, 11, Ok(()));
        ledger.delivered(0, 13, Ok(()));
        ledger.delivered(0, 14, Ok(()));
        assert_eq!(ledger.resume_from(0), 15);
        assert_eq!(ledger.written(), 5);
        ledger.skipped(1, 0);
        ledger.skipped(1, 4);
        assert_eq!(ledger.resume_from(1), 5);
        assert!(!ledger.complete(), "lane 0 ends at 20");
    }

    #[test]
    fn failures_keep_the_offset_unconfirmed() {
        let mut ledger = Ledger::new([(3, 0, 2)]);
        ledger.sent(0, 0);
        ledger.sent(0, 1);
        ledger.delivered(0, 0, Ok(()));
        ledger.delivered(0, 1, Err("timed out".into()));
        assert_eq!(ledger.resume_from(0), 1);
        assert!(!ledger.complete());
        assert_eq!(ledger.failures, ["partition 3 offset 1: timed out"]);
        let cp = ledger.checkpoint("orders", "sandbox");
        assert_eq!(
            cp.partitions,
            [CheckpointPartition {
                partition: 3,
                next_offset: 1,
                end_offset: 2
            }]
        );
        assert_eq!(cp.remaining(), 1);
    }

    #[test]
    fn checkpoints_round_trip_through_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        let cp = Ledger::new([(0, 4, 9)]).checkpoint("a", "b");
        cp.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), cp);
        std::fs::write(&path, "{").unwrap();
        assert!(Checkpoint::load(&path).is_err());
    }

    #[test]
    fn pacing() {
        let mut fast = Pacer::new(Pace::Fast);
        assert_eq!(fast.due(Some(0)), Duration::ZERO);
        let mut rate = Pacer::new(Pace::Rate(10.0));
        let dues: Vec<Duration> = (0..3).map(|_| rate.due(None)).collect();
        assert_eq!(
            dues,
            [
                Duration::ZERO,
                Duration::from_millis(100),
                Duration::from_millis(200)
            ]
        );
        let mut scaled = Pacer::new(Pace::Scaled {
            factor: 2.0,
            max_gap: Duration::from_secs(5),
        });
        let dues: Vec<Duration> = [1_000, 3_000, 2_000, 60_000]
            .iter()
            .map(|ts| scaled.due(Some(*ts)))
            .collect();
        // Gaps 2 s, -1 s (out of order: none), 58 s (capped at 5 s); all halved.
        assert_eq!(
            dues,
            [
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(1),
                Duration::from_millis(3500)
            ]
        );
    }

    #[test]
    fn pace_factors() {
        assert_eq!(parse_pace("1x"), Ok(1.0));
        assert_eq!(parse_pace("10x"), Ok(10.0));
        assert_eq!(parse_pace("0.5x"), Ok(0.5));
        assert!(parse_pace("0x").is_err());
        assert!(parse_pace("fast").is_err());
    }

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
