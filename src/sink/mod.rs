//! Where events go: one small trait, one implementation per job. The printer of each
//! `--format` ([`print`]), the replay copier ([`replay`]), the writer of `produce`
//! ([`produce`]) and the validation reporter ([`validate`]). The pipeline feeds every one of
//! them the same way; none knows where events come from.

pub mod diff;
pub mod print;
pub mod produce;
pub mod replay;
pub mod stats;
pub mod trace;
pub mod validate;
pub mod violations;

use crate::event::{Event, Origin, Unreadable};

/// Whether the sink wants more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The sink passed this event over (`--only-invalid` and a valid event): not counted.
    Skipped,
    /// The sink has what it needs (`--max-errors` reached, stdout closed): stop reading.
    Stop,
}

/// A destination for the events that pass the filters.
pub trait Sink {
    /// One event.
    fn event(&mut self, event: Event) -> anyhow::Result<Flow>;

    /// One `--jq` result (plain JSON) computed from `event`.
    fn json(&mut self, event: &Event, json: Vec<u8>) -> anyhow::Result<Flow> {
        let _ = (event, json);
        Err(crate::error::EvtError::usage(
            "--jq reshapes what is printed; this command works on events as they are (use --where to choose them)",
        ))
    }

    /// An event the time window or the filters left out (replay marks it as done).
    fn passed_over(&mut self, _origin: &Origin) {}

    /// Input that is not an event: reported with its origin, and the stream goes on.
    fn unreadable(&mut self, bad: Unreadable) -> anyhow::Result<Flow> {
        eprintln!("evt: {}: {}", bad.origin, bad.reason);
        Ok(Flow::Continue)
    }

    /// The source has nothing ready: a moment to show what is held back.
    fn idle(&mut self) -> anyhow::Result<Flow> {
        Ok(Flow::Continue)
    }

    /// The stream has ended (completely or not): deliver what is held back.
    fn finish(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A writer for sink tests: records larger than `producer_limit` are refused on `send`, as
/// librdkafka does; those larger than `broker_limit` fail in their delivery report, as a
/// broker's refusal does; the rest are delivered.
#[cfg(test)]
pub(crate) mod fake {
    use std::sync::Mutex;
    use std::time::Duration;

    use crate::broker::{Delivery, Failure, Tag, Writer};
    use crate::error::{EvtError, SizeLimit};
    use crate::event::Event;

    pub struct FakeWriter {
        pub producer_limit: usize,
        pub broker_limit: usize,
        queued: Mutex<Vec<Delivery>>,
    }

    impl FakeWriter {
        pub fn new(producer_limit: usize, broker_limit: usize) -> FakeWriter {
            FakeWriter {
                producer_limit,
                broker_limit,
                queued: Mutex::new(Vec::new()),
            }
        }
    }

    impl Writer for FakeWriter {
        fn send(
            &self,
            _topic: &str,
            _partition: Option<i32>,
            event: &Event,
            _extra: Option<(&str, &[u8])>,
            tag: Tag,
        ) -> anyhow::Result<()> {
            let size = event.value.as_ref().map_or(0, Vec::len);
            if size > self.producer_limit {
                return Err(EvtError::TooLarge {
                    origin: event.origin.to_string(),
                    bytes: size as u64,
                    limit: SizeLimit::Producer(self.producer_limit as u64),
                }
                .into());
            }
            let outcome = if size > self.broker_limit {
                Err(Failure::TooLarge { bytes: size as u64 })
            } else {
                Ok(())
            };
            self.queued.lock().unwrap().push(Delivery { tag, outcome });
            Ok(())
        }

        fn poll(&self, _wait: Duration) -> Vec<Delivery> {
            std::mem::take(&mut *self.queued.lock().unwrap())
        }

        fn flush(&self, _stop: &crate::stop::Stop) -> Vec<Delivery> {
            self.poll(Duration::ZERO)
        }

        fn in_flight(&self) -> usize {
            self.queued.lock().unwrap().len()
        }
    }
}
