//! `evt produce` as a sink: each event into the topic (its own partition where it names one),
//! every delivery confirmed before the end; bad input (a malformed line, a record too large
//! for the producer or the broker) stops the run after what came before is delivered, or is
//! skipped with `--skip-bad`.

use std::sync::Arc;
use std::time::Duration;

use crate::broker::{Delivery, Failure, Tag, Writer};
use crate::error::{EvtError, SizeLimit};
use crate::event::{Event, Origin, Unreadable};
use crate::sink::{Flow, Sink};
use crate::stop::Stop;

pub struct Producer {
    topic: String,
    partitions: i32,
    skip_bad: bool,
    writer: Box<dyn Writer>,
    pub sent: u64,
    pub confirmed: u64,
    pub bad: u64,
    /// Records `--skip-bad` skipped because of their size.
    pub too_large: u64,
    /// Records the broker refused as too large (sent, never written).
    refused_by_broker: u64,
    pub failures: Vec<String>,
    /// The bad input that stopped the run.
    pub stopped_at: Option<Origin>,
    /// The record too large to write that stopped the run.
    pub refused: Option<anyhow::Error>,
    /// The files events came from: a delivery's tag names its file by index here and its
    /// line (or array element) by offset, so a refusal names its origin.
    files: Vec<(Arc<str>, bool)>,
    stop: Stop,
}

impl Producer {
    pub fn new(
        writer: Box<dyn Writer>,
        topic: &str,
        partitions: i32,
        skip_bad: bool,
        stop: &Stop,
    ) -> Producer {
        Producer {
            stop: stop.clone(),
            topic: topic.to_string(),
            partitions,
            skip_bad,
            writer,
            sent: 0,
            confirmed: 0,
            bad: 0,
            too_large: 0,
            refused_by_broker: 0,
            failures: Vec::new(),
            stopped_at: None,
            refused: None,
            files: Vec::new(),
        }
    }

    fn tally(&mut self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            match d.outcome {
                Ok(()) => self.confirmed += 1,
                Err(Failure::TooLarge { bytes }) => {
                    self.refused_by_broker += 1;
                    let error = EvtError::TooLarge {
                        origin: self.origin_of(d.tag),
                        bytes,
                        limit: SizeLimit::Broker,
                    };
                    self.refuse(error);
                }
                Err(Failure::Other(e)) => self.failures.push(e),
            }
        }
    }

    /// A record that will never be written: skipped with `--skip-bad`, else the run stops.
    fn refuse(&mut self, error: EvtError) -> Flow {
        if self.skip_bad {
            if let Some(note) = error.skipped_note() {
                eprintln!("evt: {note}");
            }
            self.too_large += 1;
            Flow::Continue
        } else {
            self.refused.get_or_insert(error.into());
            Flow::Stop
        }
    }

    /// The tag of an event: its file (by index) and its line or element.
    fn tag(&mut self, origin: &Origin) -> Tag {
        let (file, item, offset) = match origin {
            Origin::Line { file, line } => (file, false, *line),
            Origin::Item { file, index } => (file, true, *index),
            _ => {
                return Tag {
                    lane: usize::MAX,
                    offset: self.sent as i64,
                }
            }
        };
        let lane = match self
            .files
            .iter()
            .position(|(f, i)| *i == item && (Arc::ptr_eq(f, file) || f == file))
        {
            Some(lane) => lane,
            None => {
                self.files.push((file.clone(), item));
                self.files.len() - 1
            }
        };
        Tag {
            lane,
            offset: i64::try_from(offset).unwrap_or(i64::MAX),
        }
    }

    fn origin_of(&self, tag: Tag) -> String {
        let offset = u64::try_from(tag.offset).unwrap_or(0);
        match self.files.get(tag.lane) {
            Some((file, false)) => Origin::Line {
                file: file.clone(),
                line: offset,
            }
            .to_string(),
            Some((file, true)) => Origin::Item {
                file: file.clone(),
                index: offset,
            }
            .to_string(),
            None => format!("#{}", offset + 1),
        }
    }

    /// Sent but neither confirmed nor failed.
    pub fn unconfirmed(&self) -> u64 {
        self.sent - self.confirmed - self.failures.len() as u64 - self.refused_by_broker
    }
}

impl Sink for Producer {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        if self.refused.is_some() {
            return Ok(Flow::Stop);
        }
        if let Some(p) = event.partition.filter(|p| *p >= self.partitions) {
            return self.unreadable(Unreadable {
                origin: event.origin,
                reason: format!(
                    "partition {p} does not exist in '{}' (it has {}); remove \"partition\" to let the key decide",
                    self.topic, self.partitions
                ),
            });
        }
        let tag = self.tag(&event.origin);
        let sent = self
            .writer
            .send(&self.topic, event.partition, &event, None, tag);
        if sent.is_err() && self.stop.interrupted() {
            return Ok(Flow::Stop);
        }
        if let Err(too_large) = crate::error::too_large(sent)? {
            return Ok(self.refuse(too_large));
        }
        self.sent += 1;
        if self.sent % 1024 == 0 {
            let deliveries = self.writer.poll(Duration::ZERO);
            self.tally(deliveries);
        }
        Ok(Flow::Continue)
    }

    fn unreadable(&mut self, bad: Unreadable) -> anyhow::Result<Flow> {
        eprintln!("evt: {}: {}", bad.origin, bad.reason);
        self.bad += 1;
        if self.skip_bad {
            return Ok(Flow::Continue);
        }
        self.stopped_at = Some(bad.origin);
        Ok(Flow::Stop)
    }

    fn idle(&mut self) -> anyhow::Result<Flow> {
        let deliveries = self.writer.poll(Duration::ZERO);
        self.tally(deliveries);
        Ok(if self.refused.is_some() {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        let deliveries = self.writer.flush(&self.stop);
        self.tally(deliveries);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{exit_status_of, ExitStatus};
    use crate::sink::fake::FakeWriter;

    /// Lines 1..=5 of `f.jsonl`; line 3 holds a 100-byte value, the rest 1 byte.
    fn lines() -> Vec<Event> {
        let file: Arc<str> = Arc::from("f.jsonl");
        (1..=5)
            .map(|line| {
                let mut e = Event::new(Origin::Line {
                    file: file.clone(),
                    line,
                });
                e.value = Some(vec![b'x'; if line == 3 { 100 } else { 1 }]);
                e
            })
            .collect()
    }

    fn produce(writer: FakeWriter, skip_bad: bool) -> Producer {
        let mut sink = Producer::new(Box::new(writer), "t", 1, skip_bad, &Stop::default());
        for e in lines() {
            if sink.event(e).unwrap() == Flow::Stop {
                break;
            }
        }
        sink.finish().unwrap();
        sink
    }

    #[test]
    fn a_record_too_large_to_send_stops_after_the_ones_before_it() {
        let mut sink = produce(FakeWriter::new(10, usize::MAX), false);
        assert_eq!((sink.sent, sink.confirmed, sink.unconfirmed()), (2, 2, 0));
        let refused = sink.refused.take().expect("line 3 stops the run");
        assert_eq!(exit_status_of(&refused), ExitStatus::Usage);
        assert!(refused
            .to_string()
            .starts_with("record f.jsonl:3 is 100 bytes"));
    }

    #[test]
    fn a_record_the_broker_refuses_is_named_by_its_line() {
        let mut sink = produce(FakeWriter::new(usize::MAX, 10), false);
        let refused = sink
            .refused
            .take()
            .expect("the broker's refusal fails the run");
        assert!(
            refused
                .to_string()
                .starts_with("record f.jsonl:3 is 100 bytes, refused by the broker"),
            "{refused}"
        );
        assert_eq!(exit_status_of(&refused), ExitStatus::Usage);
        assert_eq!(sink.unconfirmed(), 0, "the refusal is an answer");
    }

    #[test]
    fn skip_bad_skips_records_too_large_and_counts_them() {
        for writer in [
            FakeWriter::new(10, usize::MAX),
            FakeWriter::new(usize::MAX, 10),
        ] {
            let sink = produce(writer, true);
            assert!(sink.refused.is_none());
            assert_eq!(
                (sink.confirmed, sink.too_large, sink.unconfirmed()),
                (4, 1, 0)
            );
        }
    }
}
