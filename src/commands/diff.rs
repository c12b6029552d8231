//! `evt diff LEFT RIGHT`: open both sides, run each through the pipeline on its own thread
//! into a [`SideSink`], pair and compare what arrives (pulling from whichever side is behind,
//! so both advance together), then show the summary and the differences.

use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::{Scope, ScopedJoinHandle};

use indicatif::ProgressBar;

use super::Opened;
use crate::analysis::diff::{Differ, OverBudget, Side};
use crate::broker::Connection;
use crate::config::diff::{DiffInput, DiffJob};
use crate::error::{EvtError, ExitStatus};
use crate::filter::Filter;
use crate::limits::COMMAND_STACK;
use crate::pipeline::{self, thousands, Outcome};
use crate::report::diff::{self as show, DiffSummary};
use crate::sink::diff::{Paired, SideSink};
use crate::source::Source;
use crate::stop::Stop;

/// Batches in flight per side: a side that runs ahead waits here.
const IN_FLIGHT: usize = 8;

pub fn run(connection: &Connection, job: DiffJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let waiting = stop.abandonable();
    let left = open(connection, &job.left, stop)?;
    let right = open(connection, &job.right, stop)?;
    drop(waiting);
    let expected = left.source.expected().zip(right.source.expected());
    let progress = pipeline::progress_bar(true, expected.map(|(l, r)| l + r));
    let mut differ = Differ::new(job.rules.clone(), job.budget);
    let paired = std::thread::scope(|s| {
        let (left_tx, left_rx) = sync_channel(IN_FLIGHT);
        let (right_tx, right_rx) = sync_channel(IN_FLIGHT);
        let sides = [
            read_side(s, "left", left.source, &job, &job.left, left_tx, stop)?,
            read_side(s, "right", right.source, &job, &job.right, right_tx, stop)?,
        ];
        pair_up([left_rx, right_rx], sides, &mut differ, &progress)
    });
    progress.finish_and_clear();
    let outcomes = paired?;
    if stop.interrupted() {
        eprintln!("evt: interrupted: the comparison is incomplete");
        return Ok(ExitStatus::Interrupted);
    }
    // Lines that were not events are reported as they are met; the rest (timestamps out of
    // order, outside the window) is detail.
    if connection.verbose > 0 {
        for (input, outcome) in [&job.left, &job.right].iter().zip(&outcomes) {
            for note in outcome.notes() {
                eprintln!("evt: {}: {note}", input.label);
            }
        }
    }
    let (counts, differences) = differ.finish();
    let mut summary = DiffSummary {
        left: job.left.label.clone(),
        right: job.right.label.clone(),
        counts,
        shown: 0,
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    match show::write(
        &mut stdout,
        &mut summary,
        &differences,
        &job.pairing,
        &job.view,
    ) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if counts.identical() {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    })
}

/// One side, opened on its own cluster when it names one.
fn open(connection: &Connection, input: &DiffInput, stop: &Stop) -> anyhow::Result<Opened> {
    super::open(
        input.cluster.as_ref().unwrap_or(connection),
        &input.request,
        stop,
    )
}

/// Runs one side through the pipeline on its own thread (filters are compiled there).
fn read_side<'s>(
    scope: &'s Scope<'s, '_>,
    name: &str,
    mut source: Box<dyn Source>,
    job: &'s DiffJob,
    input: &'s DiffInput,
    to_differ: std::sync::mpsc::SyncSender<Paired>,
    stop: &'s Stop,
) -> anyhow::Result<ScopedJoinHandle<'s, anyhow::Result<Outcome>>> {
    let options = pipeline::Options {
        time: input.request.window.time_bounds(),
        ..pipeline::Options::default()
    };
    std::thread::Builder::new()
        .name(format!("evt-diff-{name}"))
        .stack_size(COMMAND_STACK)
        .spawn_scoped(scope, move || {
            let mut filter = match &job.criteria {
                Some(c) => Filter::optional(c)?,
                None => None,
            };
            let mut sink = SideSink::new(job.pairing.clone(), to_differ);
            pipeline::run(&mut *source, filter.as_mut(), &mut sink, &options, stop)
        })
        .map_err(|e| EvtError::usage(format!("cannot start a thread: {e}")))
}

/// Pairs what both sides send until both have ended, one event at a time from whichever
/// side is behind: when the sides agree on the order, an event waits for its partner for one
/// step at most. A side that fails ends the diff with its error (the other side stops when
/// its channel closes).
fn pair_up(
    from: [Receiver<Paired>; 2],
    sides: [ScopedJoinHandle<'_, anyhow::Result<Outcome>>; 2],
    differ: &mut Differ,
    progress: &ProgressBar,
) -> anyhow::Result<[Outcome; 2]> {
    let mut sides = sides.map(Some);
    let mut batches: [std::vec::IntoIter<_>; 2] = [Vec::new().into_iter(), Vec::new().into_iter()];
    let mut pushed = [0u64; 2];
    let mut ended: [Option<Outcome>; 2] = [None, None];
    loop {
        let i = match (ended[0].is_none(), ended[1].is_none()) {
            (true, true) => usize::from(pushed[1] < pushed[0]),
            (true, false) => 0,
            (false, true) => 1,
            (false, false) => break,
        };
        if let Some((id, event)) = batches[i].next() {
            pushed[i] += 1;
            let side = if i == 0 { Side::Left } else { Side::Right };
            differ.push(side, id, event).map_err(over_budget)?;
            continue;
        }
        match from[i].recv() {
            Ok(batch) => {
                progress.inc(batch.len() as u64);
                batches[i] = batch.into_iter();
            }
            Err(_) => {
                // The side's thread has ended (its sink, holding the sender, is gone).
                let handle = sides[i].take().expect("a side ends once");
                let outcome = handle.join().map_err(|_| {
                    anyhow::anyhow!(
                        "reading a side of the diff failed unexpectedly (a bug: please report it)"
                    )
                })??;
                ended[i] = Some(outcome);
            }
        }
    }
    let [Some(left), Some(right)] = ended else {
        unreachable!("the loop ends when both sides have ended")
    };
    Ok([left, right])
}

/// The message for a diff that would hold more than `--max-memory`.
fn over_budget(over: OverBudget) -> anyhow::Error {
    EvtError::usage(format!(
        "diff stopped: it would hold more than --max-memory ({}) of events, with {} event(s) waiting for their partner (the sides arrive in different orders, or one has many events the other lacks). Raise --max-memory (e.g. --max-memory {}G), narrow the window (--from/--until, -p), or choose fewer events (--key, --where)",
        bytes(over.budget),
        thousands(over.pending),
        (over.budget.saturating_mul(4) >> 30).max(1),
    ))
}

/// 1536 → "1.5 KiB", 1073741824 → "1 GiB".
fn bytes(n: u64) -> String {
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (size, unit) in units {
        if n >= size {
            let value = n as f64 / size as f64;
            return if value.fract() == 0.0 {
                format!("{value:.0} {unit}")
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(super::bytes(1 << 30), "1 GiB");
        assert_eq!(super::bytes(1536), "1.5 KiB");
        assert_eq!(super::bytes(64 << 10), "64 KiB");
        assert_eq!(super::bytes(100), "100 bytes");
    }
}
