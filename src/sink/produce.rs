//! `evt produce` as a sink: each event into the topic (its own partition where it names one),
//! every delivery confirmed before the end; bad input stops the run, or is skipped.

use std::time::Duration;

use crate::broker::{Delivery, Tag, Writer};
use crate::event::{Event, Origin, Unreadable};
use crate::sink::{Flow, Sink};

pub struct Producer {
    topic: String,
    partitions: i32,
    skip_bad: bool,
    writer: Box<dyn Writer>,
    pub sent: u64,
    pub confirmed: u64,
    pub bad: u64,
    pub failures: Vec<String>,
    /// The bad input that stopped the run.
    pub stopped_at: Option<Origin>,
}

impl Producer {
    pub fn new(writer: Box<dyn Writer>, topic: &str, partitions: i32, skip_bad: bool) -> Producer {
        Producer {
            topic: topic.to_string(),
            partitions,
            skip_bad,
            writer,
            sent: 0,
            confirmed: 0,
            bad: 0,
            failures: Vec::new(),
            stopped_at: None,
        }
    }

    fn tally(&mut self, deliveries: Vec<Delivery>) {
        for d in deliveries {
            match d.outcome {
                Ok(()) => self.confirmed += 1,
                Err(e) => self.failures.push(e),
            }
        }
    }

    /// Sent but neither confirmed nor failed.
    pub fn unconfirmed(&self) -> u64 {
        self.sent - self.confirmed - self.failures.len() as u64
    }
}

impl Sink for Producer {
    fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
        if let Some(p) = event.partition.filter(|p| *p >= self.partitions) {
            return self.unreadable(Unreadable {
                origin: event.origin,
                reason: format!(
                    "partition {p} does not exist in '{}' (it has {}); remove \"partition\" to let the key decide",
                    self.topic, self.partitions
                ),
            });
        }
        let tag = Tag {
            lane: 0,
            offset: self.sent as i64,
        };
        self.writer
            .send(&self.topic, event.partition, &event, None, tag)?;
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
        Ok(Flow::Continue)
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        let deliveries = self.writer.flush();
        self.tally(deliveries);
        Ok(())
    }
}
