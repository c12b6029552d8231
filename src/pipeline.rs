//! The one loop every command runs: read batches from a [`Source`], apply the time window and
//! the filters, hand what passes to a [`Sink`], count, show progress, and stop on Ctrl-C, on
//! `--count`, or when the sink has enough.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::event::{Event, Origin};
use crate::feed::Next;
use crate::filter::{Filter, FilterStats, Passed};
use crate::position::TimeBounds;
use crate::report::Report;
pub use crate::safe::thousands;
use crate::sink::{Flow, Sink};
use crate::source::Source;
use crate::stop::Stop;

/// How long to wait for a source before checking for a stop again.
const POLL: Duration = Duration::from_millis(100);

/// What the loop does besides moving events.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Stop after this many events (or `--jq` results) reached the sink.
    pub count: Option<u64>,
    /// Events outside these timestamps are skipped and counted.
    pub time: TimeBounds,
    /// Show a progress bar on stderr (a terminal only) when the source knows its size.
    pub progress: bool,
}

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The source had nothing more.
    Completed,
    /// `--count` was reached or the sink wanted no more.
    Enough,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

/// What the loop saw.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ended: Ended,
    /// Events read from the sources.
    pub read: u64,
    /// Events (or `--jq` results) handed to the sink.
    pub emitted: u64,
    /// Input that was not an event.
    pub unreadable: u64,
    /// Events in the resolved offset range whose timestamp lies outside the time window.
    pub outside_window: u64,
    /// Per partition, events whose timestamp is earlier than their predecessor's.
    pub out_of_order: Vec<(Arc<str>, i32, u64)>,
    /// Present when filters ran.
    pub filter: Option<FilterStats>,
    pub elapsed: Duration,
}

/// Runs `source` through `filter` into `sink` until one of them ends or `stop` is set.
pub fn run(
    source: &mut dyn Source,
    mut filter: Option<&mut Filter>,
    sink: &mut dyn Sink,
    options: &Options,
    stop: &Stop,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    crate::jq::watch(stop);
    let mut state = Loop {
        options,
        ended: Ended::Completed,
        read: 0,
        emitted: 0,
        unreadable: 0,
        outside_window: 0,
        order: OrderWatch::default(),
    };
    let progress = progress_bar(options.progress, source.expected());
    let moved = state.drain(source, filter.as_deref_mut(), sink, stop, &progress);
    progress.finish_and_clear();
    let finished = sink.finish();
    let closed = source.close();
    moved?;
    finished?;
    // A source that fails after the sink had enough (or after Ctrl-C) changes nothing.
    if state.ended == Ended::Completed {
        closed?;
    }
    Ok(Outcome {
        ended: state.ended,
        read: state.read,
        emitted: state.emitted,
        unreadable: state.unreadable,
        outside_window: state.outside_window,
        out_of_order: state.order.backwards(),
        filter: filter.map(|f| f.stats),
        elapsed: started.elapsed(),
    })
}

struct Loop<'a> {
    options: &'a Options,
    ended: Ended,
    read: u64,
    emitted: u64,
    unreadable: u64,
    outside_window: u64,
    order: OrderWatch,
}

impl Loop<'_> {
    fn drain(
        &mut self,
        source: &mut dyn Source,
        mut filter: Option<&mut Filter>,
        sink: &mut dyn Sink,
        stop: &Stop,
        progress: &ProgressBar,
    ) -> anyhow::Result<()> {
        loop {
            if stop.interrupted() {
                self.ended = Ended::Interrupted;
                return Ok(());
            }
            let next = match source.next(Duration::ZERO) {
                Next::Idle => {
                    if sink.idle()? == Flow::Stop {
                        self.ended = Ended::Enough;
                        return Ok(());
                    }
                    source.next(POLL)
                }
                other => other,
            };
            let batch = match next {
                Next::Batch(batch) => batch,
                Next::Idle => continue,
                // A source stops early on Ctrl-C too: then the stream did not complete.
                Next::Ended if stop.interrupted() => {
                    self.ended = Ended::Interrupted;
                    return Ok(());
                }
                Next::Ended => return Ok(()),
            };
            progress.inc(batch.len() as u64);
            for item in batch {
                if stop.interrupted() {
                    self.ended = Ended::Interrupted;
                    return Ok(());
                }
                let flow = match item {
                    Ok(event) => self.event(event, filter.as_deref_mut(), sink)?,
                    Err(bad) => {
                        self.unreadable += 1;
                        sink.unreadable(bad)?
                    }
                };
                if flow == Flow::Stop {
                    if self.ended == Ended::Completed {
                        self.ended = Ended::Enough;
                    }
                    return Ok(());
                }
            }
        }
    }

    fn event(
        &mut self,
        event: Event,
        filter: Option<&mut Filter>,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<Flow> {
        self.read += 1;
        self.order.observe(&event);
        if !self.options.time.contains(event.timestamp) {
            self.outside_window += 1;
            sink.passed_over(&event.origin);
            return Ok(Flow::Continue);
        }
        let Some(filter) = filter else {
            return self.emit(|s| s.event(event), sink);
        };
        let mut flow = Ok(Flow::Continue);
        let matched = filter.stats.matched;
        let origin = event.origin.clone();
        filter.apply(event, &mut |passed| {
            flow = match passed {
                Passed::Event(e) => self.emit(|s| s.event(e), sink),
                Passed::Json(e, json) => self.emit(|s| s.json(e, json), sink),
            };
            matches!(flow, Ok(Flow::Continue))
        });
        if filter.stats.matched == matched {
            sink.passed_over(&origin);
        }
        for bad in filter.poisoned.drain(..) {
            eprintln!("evt: {}: {}", bad.origin, bad.reason);
        }
        flow
    }

    fn emit(
        &mut self,
        deliver: impl FnOnce(&mut dyn Sink) -> anyhow::Result<Flow>,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<Flow> {
        if self.options.count.is_some_and(|n| self.emitted >= n) {
            return Ok(Flow::Stop);
        }
        let flow = deliver(sink)?;
        if flow == Flow::Skipped {
            return Ok(Flow::Continue);
        }
        self.emitted += 1;
        if self.options.count.is_some_and(|n| self.emitted >= n) {
            self.ended = Ended::Enough;
            return Ok(Flow::Stop);
        }
        Ok(flow)
    }
}

pub(crate) fn progress_bar(wanted: bool, expected: Option<u64>) -> ProgressBar {
    let (true, Some(total)) = (wanted, expected) else {
        return ProgressBar::hidden();
    };
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {human_pos}/{human_len} events  {rate}  ETA {average_eta}",
        )
        .expect("a valid template")
        // The average since the start, as the final summary says it (indicatif's own
        // estimate follows the last seconds and jumps with pacing and bursts).
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let secs = state.elapsed().as_secs_f64();
                write!(w, "{} events/s", crate::safe::rate(state.pos(), secs)).ok();
            },
        )
        .with_key(
            "average_eta",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let (done, secs) = (state.pos(), state.elapsed().as_secs_f64());
                let left = state.len().unwrap_or(done).saturating_sub(done);
                let eta = if done == 0 || secs <= 0.0 {
                    "?".to_string()
                } else {
                    let s = (left as f64 * secs / done as f64).round() as u64;
                    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                };
                w.write_str(&eta).ok();
            },
        ),
    );
    bar
}

/// Timestamps that go backwards within a partition: per partition, the last timestamp and
/// how often a record was earlier than its predecessor.
#[derive(Default)]
struct OrderWatch {
    lanes: Vec<(Arc<str>, i32, i64, u64)>,
    last: usize,
}

impl OrderWatch {
    fn observe(&mut self, event: &Event) {
        let (
            Origin::Record {
                topic, partition, ..
            },
            Some(ts),
        ) = (&event.origin, event.timestamp)
        else {
            return;
        };
        let same = |l: &(Arc<str>, i32, i64, u64)| {
            l.1 == *partition && (Arc::ptr_eq(&l.0, topic) || l.0 == *topic)
        };
        let i = match self.lanes.get(self.last) {
            Some(l) if same(l) => self.last,
            _ => match self.lanes.iter().position(same) {
                Some(i) => i,
                None => {
                    self.lanes.push((topic.clone(), *partition, ts, 0));
                    self.lanes.len() - 1
                }
            },
        };
        self.last = i;
        let lane = &mut self.lanes[i];
        if ts < lane.2 {
            lane.3 += 1;
        }
        lane.2 = ts;
    }

    fn backwards(&self) -> Vec<(Arc<str>, i32, u64)> {
        let mut found: Vec<_> = self
            .lanes
            .iter()
            .filter(|l| l.3 > 0)
            .map(|l| (l.0.clone(), l.1, l.3))
            .collect();
        found.sort();
        found
    }
}

impl Outcome {
    /// True when the run saw something the user should hear about even without `-v`.
    pub fn notable(&self) -> bool {
        self.unreadable > 0
            || self.outside_window > 0
            || !self.out_of_order.is_empty()
            || self.filter.is_some_and(|f| f.poison > 0)
    }

    /// Notes on what the window and the input held besides plain events.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.outside_window > 0 {
            notes.push(format!(
                "{} event(s) in the offset range had timestamps outside the time window and were skipped (timestamps out of order in the log)",
                thousands(self.outside_window)
            ));
        }
        for (topic, partition, n) in &self.out_of_order {
            notes.push(format!(
                "{} event(s) earlier than their predecessor in {topic}/{partition}",
                thousands(*n)
            ));
        }
        if self.unreadable > 0 {
            notes.push(format!(
                "{} input(s) were not events (see above)",
                thousands(self.unreadable)
            ));
        }
        if let Some(poison) = self.filter.map(|f| f.poison).filter(|&n| n > 0) {
            notes.push(format!(
                "{} event(s) were skipped because jq could not safely look into them (see above)",
                thousands(poison)
            ));
        }
        notes
    }
}

impl Report for Outcome {
    /// `evt: scanned 1,000,000 events, matched 10,000, printed 10,000 in 0.84 s (…/s)`, then
    /// one line per note.
    fn table(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let mut detail = String::new();
        if let Some(s) = self.filter {
            detail = format!(", matched {}", thousands(s.matched));
            if s.not_json > 0 {
                detail.push_str(&format!(", non-JSON skipped {}", thousands(s.not_json)));
            }
            if s.jq_errors > 0 {
                detail.push_str(&format!(", jq errors {}", thousands(s.jq_errors)));
            }
        }
        let mut text = format!(
            "evt: scanned {} events{detail}, printed {} in {secs:.2} s ({} events/s)\n",
            thousands(self.read),
            thousands(self.emitted),
            crate::safe::rate(self.read, secs)
        );
        for note in self.notes() {
            text.push_str(&format!("evt: {note}\n"));
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "scanned": self.read,
            "matched": self.filter.map(|f| f.matched),
            "not_json": self.filter.map(|f| f.not_json),
            "jq_errors": self.filter.map(|f| f.jq_errors),
            "poison": self.filter.map(|f| f.poison),
            "printed": self.emitted,
            "unreadable": self.unreadable,
            "outside_window": self.outside_window,
            "out_of_order": self.out_of_order.iter().map(|(t, p, n)| json!({"topic": &**t, "partition": p, "count": n})).collect::<Vec<_>>(),
            "seconds": self.elapsed.as_secs_f64(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Batch, Unreadable};

    /// A source that hands over the given batches, then ends.
    struct Batches(Vec<Batch>);

    impl Source for Batches {
        fn next(&mut self, _wait: Duration) -> Next {
            if self.0.is_empty() {
                Next::Ended
            } else {
                Next::Batch(self.0.remove(0))
            }
        }
        fn close(&mut self) -> anyhow::Result<()> {
            Ok(())
        }
    }

    #[derive(Default)]
    struct Collect {
        events: Vec<Event>,
        bad: usize,
        finished: bool,
    }

    impl Sink for Collect {
        fn event(&mut self, event: Event) -> anyhow::Result<Flow> {
            self.events.push(event);
            Ok(Flow::Continue)
        }
        fn unreadable(&mut self, _bad: Unreadable) -> anyhow::Result<Flow> {
            self.bad += 1;
            Ok(Flow::Continue)
        }
        fn finish(&mut self) -> anyhow::Result<()> {
            self.finished = true;
            Ok(())
        }
    }

    fn record(partition: i32, offset: i64, ts: i64) -> Event {
        Event {
            timestamp: Some(ts),
            ..Event::new(Origin::Record {
                topic: Arc::from("t"),
                partition,
                offset,
            })
        }
    }

    fn run_all(batches: Vec<Batch>, options: &Options) -> (Outcome, Collect) {
        let mut sink = Collect::default();
        let outcome = run(
            &mut Batches(batches),
            None,
            &mut sink,
            options,
            &Stop::default(),
        )
        .unwrap();
        (outcome, sink)
    }

    #[test]
    fn every_event_reaches_the_sink_and_is_counted() {
        let bad = Unreadable {
            origin: Origin::Line {
                file: Arc::from("f"),
                line: 2,
            },
            reason: "no".into(),
        };
        let (outcome, sink) = run_all(
            vec![
                vec![Ok(record(0, 0, 1)), Err(bad)],
                vec![Ok(record(0, 1, 2))],
            ],
            &Options::default(),
        );
        assert_eq!(
            (outcome.read, outcome.emitted, outcome.unreadable),
            (2, 2, 1)
        );
        assert_eq!(sink.events.len(), 2);
        assert_eq!(sink.bad, 1);
        assert!(sink.finished);
        assert_eq!(outcome.ended, Ended::Completed);
    }

    #[test]
    fn count_stops_the_stream() {
        let events = (0..10).map(|o| Ok(record(0, o, o))).collect();
        let options = Options {
            count: Some(3),
            ..Options::default()
        };
        let (outcome, sink) = run_all(vec![events], &options);
        assert_eq!(sink.events.len(), 3);
        assert_eq!(outcome.ended, Ended::Enough);
    }

    #[test]
    fn events_outside_the_time_window_are_skipped_and_counted() {
        let events = [5, 50, 7, 10, 99, 12]
            .iter()
            .enumerate()
            .map(|(o, ts)| Ok(record(2, o as i64, *ts)))
            .collect();
        let options = Options {
            time: TimeBounds {
                from: Some(5),
                until: Some(20),
            },
            ..Options::default()
        };
        let (outcome, sink) = run_all(vec![events], &options);
        let kept: Vec<i64> = sink.events.iter().filter_map(|e| e.timestamp).collect();
        assert_eq!(kept, [5, 7, 10, 12]);
        assert_eq!(outcome.outside_window, 2);
        assert_eq!(outcome.out_of_order, vec![(Arc::from("t"), 2, 2)]);
        let summary = outcome.table();
        assert!(
            summary.contains("2 event(s) earlier than their predecessor in t/2")
                && summary.contains(
                    "2 event(s) in the offset range had timestamps outside the time window"
                ),
            "{summary}"
        );
    }
}
