//! The replay copier as a sink: sends each event to the target with its provenance header,
//! paces, tracks every confirmation in the ledger and keeps the checkpoint fresh, so an
//! interrupted replay knows exactly where to continue.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::broker::{Delivery, Failure, Tag, Writer};
use crate::error::{EvtError, SizeLimit};
use crate::event::{Event, Origin, Unreadable};
use crate::replay::{Ledger, Pacer};
use crate::sink::{Flow, Sink};
use crate::stop::Stop;

pub use crate::event::PROVENANCE;
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// The longest single wait while pacing, so Ctrl-C is noticed.
const PACE_SLICE: Duration = Duration::from_millis(100);

/// How target partitions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioner {
    /// The source partition (the target needs at least as many partitions).
    Same,
    /// The key's hash, as the Java client does.
    Key,
}

/// Where the events come from, as the ledger counts them.
pub enum Lanes {
    /// A topic: one lane per source partition, offsets as the source has them.
    Topic {
        source_topic: String,
        lanes: HashMap<i32, usize>,
        checkpoint: PathBuf,
    },
    /// A file: one lane, events numbered in order; `partitions` of the target.
    File { partitions: i32, next: i64 },
}

/// What the copy writes where.
#[derive(Debug, Clone)]
pub struct Settings {
    pub target_topic: String,
    /// Add the `evt-source` header.
    pub provenance: bool,
    pub partitioner: Partitioner,
    /// `--skip-bad`: records the target will never accept (too large, or unreadable lines)
    /// are reported, skipped and counted; otherwise the first one stops the copy.
    pub skip_bad: bool,
}

pub struct Copier {
    settings: Settings,
    /// Events that reached the copier, and those the window or the filters left out.
    pub read: u64,
    pub passed_over: u64,
    /// Records `--skip-bad` skipped.
    pub skipped: u64,
    /// The record the target will never accept that stopped the copy (without `--skip-bad`).
    pub refused: Option<anyhow::Error>,
    writer: Box<dyn Writer>,
    pub ledger: Ledger,
    lanes: Lanes,
    pacer: Pacer,
    stop: Stop,
    started: Instant,
    last_checkpoint: Instant,
}

impl Copier {
    pub fn new(
        writer: Box<dyn Writer>,
        settings: Settings,
        pacer: Pacer,
        ledger: Ledger,
        lanes: Lanes,
        stop: &Stop,
    ) -> Copier {
        Copier {
            settings,
            read: 0,
            passed_over: 0,
            skipped: 0,
            refused: None,
            writer,
            ledger,
            lanes,
            pacer,
            stop: stop.clone(),
            started: Instant::now(),
            last_checkpoint: Instant::now(),
        }
    }

    /// The source topic, when the copy reads one (only topic copies have checkpoints).
    pub fn source_topic(&self) -> Option<&str> {
        match &self.lanes {
            Lanes::Topic { source_topic, .. } => Some(source_topic),
            Lanes::File { .. } => None,
        }
    }

    /// A delivery failed, or a record was refused: the copy stops.
    pub fn failed(&self) -> bool {
        !self.ledger.failures.is_empty() || self.refused.is_some()
    }

    /// Where the record of a ledger lane and offset came from, for messages.
    fn origin_of(&self, lane: usize, offset: i64) -> String {
        match &self.lanes {
            Lanes::Topic { source_topic, .. } => {
                format!(
                    "{source_topic}/{}@{offset}",
                    self.ledger.lanes[lane].partition
                )
            }
            Lanes::File { .. } => format!("#{} of the file", offset + 1),
        }
    }

    /// A record the target will never accept: skipped with `--skip-bad`, else the copy stops.
    fn refuse(&mut self, error: EvtError) -> Flow {
        if self.settings.skip_bad {
            if let Some(note) = error.skipped_note() {
                eprintln!("evt: {note}");
            }
            self.skipped += 1;
            Flow::Continue
        } else {
            self.refused.get_or_insert(error.into());
            Flow::Stop
        }
    }

    /// The ledger lane and source offset of an event.
    fn place(&mut self, origin: &Origin) -> (usize, i64) {
        match (&mut self.lanes, origin) {
            (
                Lanes::Topic { lanes, .. },
                Origin::Record {
                    partition, offset, ..
                },
            ) => (lanes.get(partition).copied().unwrap_or(0), *offset),
            (Lanes::File { next, .. }, _) => {
                *next += 1;
                (0, *next - 1)
            }
            (Lanes::Topic { .. }, _) => (0, 0),
        }
    }

    /// Waits until `due` (since the start), serving deliveries; false when interrupted.
    fn pace(&mut self, due: Duration) -> bool {
        while let Some(wait) = due.checked_sub(self.started.elapsed()) {
            if self.stop.interrupted() {
                return false;
            }
            let deliveries = self.writer.poll(wait.min(PACE_SLICE));
            self.settle(deliveries);
        }
        true
    }

    fn settle(&mut self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            let (lane, offset) = (d.tag.lane, d.tag.offset);
            match d.outcome {
                Ok(()) => self.ledger.delivered(lane, offset, Ok(())),
                Err(Failure::TooLarge { bytes }) => {
                    let error = EvtError::TooLarge {
                        origin: self.origin_of(lane, offset),
                        bytes,
                        limit: SizeLimit::Broker,
                    };
                    // Refused for good: skipped, or kept unconfirmed so a resume starts there.
                    if self.refuse(error) == Flow::Continue {
                        self.ledger.dropped(lane, offset);
                    }
                }
                Err(Failure::Other(e)) => self.ledger.delivered(lane, offset, Err(e)),
            }
        }
        if let Lanes::Topic {
            source_topic,
            checkpoint,
            ..
        } = &self.lanes
        {
            if self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                self.last_checkpoint = Instant::now();
                // Best effort while running; the final save reports errors.
                self.ledger
                    .checkpoint(source_topic, &self.settings.target_topic)
                    .save(checkpoint)
                    .ok();
            }
        }
    }

    /// Seconds since the copy started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Sink for Copier {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        if self.failed() {
            return Ok(Flow::Stop);
        }
        self.read += 1;
        let (lane, offset) = self.place(&event.origin);
        let due = self.pacer.due(event.timestamp);
        if !self.pace(due) {
            return Ok(Flow::Stop);
        }
        let partition = match (&self.lanes, self.settings.partitioner, event.partition) {
            (_, Partitioner::Key, _) | (_, _, None) => None,
            (Lanes::File { partitions, .. }, _, Some(p)) if p >= *partitions => None,
            (_, _, Some(p)) => Some(p),
        };
        let origin = match (&event.topic, event.partition, event.offset) {
            (Some(t), Some(p), Some(o)) if self.settings.provenance => Some(format!("{t}/{p}/{o}")),
            _ => None,
        };
        let extra = origin.as_deref().map(|o| (PROVENANCE, o.as_bytes()));
        let tag = Tag { lane, offset };
        let sent = self
            .writer
            .send(&self.settings.target_topic, partition, &event, extra, tag);
        if sent.is_err() && self.stop.interrupted() {
            // Never sent: a resume starts here.
            return Ok(Flow::Stop);
        }
        if let Err(too_large) = crate::error::too_large(sent)? {
            // Never sent: skipped counts it as done; otherwise a resume starts here.
            let flow = self.refuse(too_large);
            if flow == Flow::Continue {
                self.ledger.skipped(lane, offset);
            }
            return Ok(flow);
        }
        self.ledger.sent(lane, offset);
        if self.read % 1024 == 0 {
            let deliveries = self.writer.poll(Duration::ZERO);
            self.settle(deliveries);
        }
        Ok(Flow::Continue)
    }

    fn passed_over(&mut self, origin: &Origin) {
        self.read += 1;
        self.passed_over += 1;
        let (lane, offset) = self.place(origin);
        self.ledger.skipped(lane, offset);
    }

    fn unreadable(&mut self, bad: Unreadable) -> anyhow::Result<Flow> {
        if !self.settings.skip_bad {
            return Err(EvtError::BadInput {
                origin: bad.origin.to_string(),
                reason: bad.reason,
            }
            .into());
        }
        eprintln!("evt: {}: {}; skipped (--skip-bad)", bad.origin, bad.reason);
        self.read += 1;
        self.skipped += 1;
        let (lane, offset) = self.place(&bad.origin);
        self.ledger.skipped(lane, offset);
        Ok(Flow::Continue)
    }

    fn idle(&mut self) -> anyhow::Result<Flow> {
        let deliveries = self.writer.poll(Duration::ZERO);
        self.settle(deliveries);
        Ok(if self.failed() {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        let deliveries = self.writer.flush(&self.stop);
        self.settle(deliveries);
        if let Lanes::File { next, .. } = self.lanes {
            self.ledger.lanes[0].end = next;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::error::{exit_status_of, ExitStatus};
    use crate::replay::Pace;
    use crate::sink::fake::FakeWriter;

    /// Offsets 0..5 of `src/0`; offset 2 holds a 100-byte value, the rest 1 byte.
    fn records() -> Vec<Event> {
        let topic: Arc<str> = Arc::from("src");
        (0..5)
            .map(|offset| {
                let mut e = Event::new(Origin::Record {
                    topic: topic.clone(),
                    partition: 0,
                    offset,
                });
                (e.topic, e.partition, e.offset) = (Some(topic.clone()), Some(0), Some(offset));
                e.value = Some(vec![b'x'; if offset == 2 { 100 } else { 1 }]);
                e
            })
            .collect()
    }

    fn copy(writer: FakeWriter, skip_bad: bool) -> Copier {
        let settings = Settings {
            target_topic: "sandbox".into(),
            provenance: true,
            partitioner: Partitioner::Same,
            skip_bad,
        };
        let lanes = Lanes::Topic {
            source_topic: "src".into(),
            lanes: HashMap::from([(0, 0)]),
            checkpoint: PathBuf::from("/nonexistent/cp.json"),
        };
        let mut copier = Copier::new(
            Box::new(writer),
            settings,
            Pacer::new(Pace::Fast),
            Ledger::new([(0, 0, 5)]),
            lanes,
            &Stop::default(),
        );
        for e in records() {
            if copier.event(e).unwrap() == Flow::Stop {
                break;
            }
        }
        copier.finish().unwrap();
        copier
    }

    fn next_offset(copier: &Copier) -> i64 {
        copier.ledger.checkpoint("src", "sandbox").partitions[0].next_offset
    }

    #[test]
    fn a_record_too_large_to_send_stops_the_copy_with_the_checkpoint_at_it() {
        let mut copier = copy(FakeWriter::new(10, usize::MAX), false);
        assert_eq!(
            copier.ledger.written(),
            2,
            "everything before it is written"
        );
        assert_eq!(next_offset(&copier), 2, "a resume starts at it");
        assert!(!copier.ledger.complete());
        let refused = copier.refused.take().expect("offset 2 stops the copy");
        assert!(refused
            .to_string()
            .starts_with("record src/0@2 is 100 bytes"));
        assert_eq!(exit_status_of(&refused), ExitStatus::Usage);
    }

    #[test]
    fn a_record_the_broker_refuses_stays_unconfirmed() {
        let mut copier = copy(FakeWriter::new(usize::MAX, 10), false);
        assert_eq!(next_offset(&copier), 2, "a resume starts at it");
        let refused = copier.refused.take().expect("the refusal fails the copy");
        assert!(
            refused
                .to_string()
                .starts_with("record src/0@2 is 100 bytes, refused by the broker"),
            "{refused}"
        );
    }

    #[test]
    fn skip_bad_skips_records_too_large_and_completes() {
        for writer in [
            FakeWriter::new(10, usize::MAX),
            FakeWriter::new(usize::MAX, 10),
        ] {
            let copier = copy(writer, true);
            assert!(copier.refused.is_none());
            assert_eq!((copier.ledger.written(), copier.skipped), (4, 1));
            assert!(
                copier.ledger.complete(),
                "the skipped record counts as done"
            );
        }
    }
}
