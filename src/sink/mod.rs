//! Where events go: one small trait, one implementation per job. The printer of each
//! `--format` ([`print`]), the replay copier ([`replay`]), the writer of `produce`
//! ([`produce`]) and the validation reporter ([`validate`]). The pipeline feeds every one of
//! them the same way; none knows where events come from.

pub mod print;
pub mod produce;
pub mod replay;
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
