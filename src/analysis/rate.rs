//! Events over time in bounded memory: a [`Timeline`] of counts per slot, whose slots widen
//! as the window grows, cut into buckets of a width a person reads (5 s, 2 min, 1 h); and the
//! [`Gaps`] between events, longest kept.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Slot widths, each a multiple of the one before: counts merge exactly when slots widen.
const SLOTS: [i64; 13] = [
    SECOND,
    5 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    7 * DAY,
];

/// Bucket widths a person reads at a glance.
const WIDTHS: [i64; 21] = [
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    20 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
];

/// Slots kept before they widen: a day at one-second slots would be 86,400; this keeps
/// a few hundred KB at most whatever the window.
pub const MAX_SLOTS: usize = 20_000;

/// One bucket of the rate: where it starts, how wide it is, its events, and how much of it
/// lies inside the window (the first and last buckets are partial).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub start_ms: i64,
    pub width_ms: i64,
    pub events: u64,
    pub covered_ms: i64,
}

impl Bucket {
    /// Events per minute over the part of the bucket inside the window.
    pub fn per_minute(&self) -> f64 {
        self.events as f64 * MINUTE as f64 / self.covered_ms.max(1) as f64
    }
}

/// Counts per slot of time.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    slot: usize,
    counts: BTreeMap<i64, u64>,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

impl Timeline {
    pub fn add(&mut self, ts: i64) {
        self.first_ms = Some(self.first_ms.map_or(ts, |f| f.min(ts)));
        self.last_ms = Some(self.last_ms.map_or(ts, |l| l.max(ts)));
        *self
            .counts
            .entry(ts.div_euclid(SLOTS[self.slot]))
            .or_default() += 1;
        if self.counts.len() > MAX_SLOTS && self.slot + 1 < SLOTS.len() {
            self.widen();
        }
    }

    /// The next slot width, until the counts fit again.
    fn widen(&mut self) {
        while self.counts.len() > MAX_SLOTS && self.slot + 1 < SLOTS.len() {
            let factor = SLOTS[self.slot + 1] / SLOTS[self.slot];
            self.slot += 1;
            let mut wider = BTreeMap::new();
            for (slot, n) in std::mem::take(&mut self.counts) {
                *wider.entry(slot.div_euclid(factor)).or_default() += n;
            }
            self.counts = wider;
        }
    }

    /// About `buckets` buckets over the window, of the smallest readable width that gives
    /// no more, aligned to whole multiples of it (a 5-minute bucket starts at :00, :05 …);
    /// empty buckets included.
    pub fn buckets(&self, buckets: i64) -> Vec<Bucket> {
        let (Some(first), Some(last)) = (self.first_ms, self.last_ms) else {
            return Vec::new();
        };
        let slot = SLOTS[self.slot];
        let target = (last - first + buckets.max(1)) / buckets.max(1);
        let width = WIDTHS
            .iter()
            .copied()
            .find(|w| *w >= target && w % slot == 0)
            .unwrap_or_else(|| slot * ((target + slot - 1) / slot).max(1));
        let start = first.div_euclid(width) * width;
        let count = (last.div_euclid(width) * width - start) / width + 1;
        let mut out: Vec<Bucket> = (0..count)
            .map(|i| {
                let start_ms = start + i * width;
                let end = start_ms + width;
                Bucket {
                    start_ms,
                    width_ms: width,
                    events: 0,
                    covered_ms: end.min(last + 1) - start_ms.max(first),
                }
            })
            .collect();
        for (s, n) in &self.counts {
            let i = (s * slot - start).div_euclid(width);
            if let Some(b) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                b.events += n;
            }
        }
        out
    }
}

/// The busiest and the quietest bucket by events per minute, among the buckets at least half
/// inside the window (a sliver at either end says little); all of them if none is.
pub fn extremes(buckets: &[Bucket]) -> Option<(Bucket, Bucket)> {
    let whole: Vec<&Bucket> = buckets
        .iter()
        .filter(|b| b.covered_ms * 2 >= b.width_ms)
        .collect();
    let pool: Vec<&Bucket> = if whole.is_empty() {
        buckets.iter().collect()
    } else {
        whole
    };
    let rate = |b: &&&Bucket| b.per_minute();
    let busiest = pool.iter().max_by(|a, b| rate(a).total_cmp(&rate(b)))?;
    let quietest = pool.iter().min_by(|a, b| rate(a).total_cmp(&rate(b)))?;
    Some((**busiest, **quietest))
}

/// Quiet stretches between consecutive events longer than a threshold: how many, and the
/// longest [`Gaps::KEPT`] of them.
#[derive(Debug, Clone, Default)]
pub struct Gaps {
    pub count: u64,
    longest: BinaryHeap<Reverse<(i64, i64)>>,
}

impl Gaps {
    pub const KEPT: usize = 100;

    pub fn add(&mut self, from_ms: i64, to_ms: i64) {
        self.count += 1;
        self.longest.push(Reverse((to_ms - from_ms, from_ms)));
        if self.longest.len() > Gaps::KEPT {
            self.longest.pop();
        }
    }

    /// (from, to) of the longest gaps, longest first (the earlier of equal ones first).
    pub fn longest(&self) -> Vec<(i64, i64)> {
        let mut all: Vec<(i64, i64)> = self
            .longest
            .iter()
            .map(|Reverse((len, from))| (*from, from + len))
            .collect();
        all.sort_by_key(|(from, to)| (Reverse(to - from), *from));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_readable_widths_aligned_to_them() {
        let mut t = Timeline::default();
        // 10:00:07 … 10:59:58 in an hour: 60 buckets → 1 minute each, from 10:00.
        let ten = 10 * HOUR;
        for s in [7, 65, 66, 3_598] {
            t.add(ten + s * SECOND);
        }
        let b = t.buckets(60);
        assert_eq!(b.len(), 60);
        assert_eq!((b[0].start_ms, b[0].width_ms), (ten, MINUTE));
        assert_eq!(b[0].covered_ms, 53 * SECOND);
        assert_eq!(
            (
                b[1].events,
                b[59].events,
                b.iter().map(|b| b.events).sum::<u64>()
            ),
            (2, 1, 4)
        );
        // Two minutes of window: seconds, not a whole minute per bucket.
        let mut t = Timeline::default();
        t.add(ten);
        t.add(ten + 2 * MINUTE - 1);
        let b = t.buckets(60);
        assert_eq!(b[0].width_ms, 2 * SECOND);
        assert_eq!(b.len(), 60);
    }

    #[test]
    fn slots_widen_and_keep_every_event() {
        let mut t = Timeline::default();
        // Three days, one event every 7 s: more than MAX_SLOTS seconds.
        let n = 3 * DAY / (7 * SECOND);
        for i in 0..n {
            t.add(i * 7 * SECOND);
        }
        assert!(t.counts.len() <= MAX_SLOTS);
        let b = t.buckets(60);
        assert_eq!(b.iter().map(|b| b.events).sum::<u64>(), n as u64);
        assert_eq!(b[0].width_ms, 2 * HOUR);
    }

    #[test]
    fn the_quietest_bucket_is_by_rate_and_not_a_sliver() {
        let mut t = Timeline::default();
        // Ten events a minute for 10 minutes, one in minute 4, and one at the very end
        // (a sliver of a bucket with a single event).
        for m in 0..10 {
            let n = if m == 4 { 1 } else { 10 };
            for i in 0..n {
                t.add(m * MINUTE + i * 5 * SECOND);
            }
        }
        t.add(10 * MINUTE);
        let b = t.buckets(11);
        assert_eq!(b.len(), 11);
        let (busiest, quietest) = extremes(&b).unwrap();
        assert_eq!(quietest.start_ms, 4 * MINUTE);
        assert_eq!(busiest.events, 10);
    }

    #[test]
    fn gaps_keep_the_longest_first() {
        let mut g = Gaps::default();
        for i in 0..1_000 {
            g.add(i * 100, i * 100 + 40 + i % 7);
        }
        g.add(500_000, 560_000);
        assert_eq!(g.count, 1_001);
        let longest = g.longest();
        assert_eq!(longest.len(), Gaps::KEPT);
        assert_eq!(longest[0], (500_000, 560_000));
        assert_eq!(longest[1].1 - longest[1].0, 46);
    }
}
