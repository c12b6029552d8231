//! `evt stats`: one pass over a stream, in bounded memory, into a report of what is in it and
//! what is wrong with it: counts per partition, the rate over time and its gaps, keys,
//! payload sizes, duplicates and ordering faults.
//!
//! Memory per part, whatever the stream's length:
//! - the rate: counters per slot of time, at most [`super::rate::MAX_SLOTS`] (slots widen from
//!   a second as the window grows); the longest [`Gaps::KEPT`] gaps and their count;
//! - keys: a set of 64-bit key hashes, exact up to [`EXACT_KEYS`] distinct keys, then a
//!   HyperLogLog estimate (2^14 registers, about 0.8% standard error); the top keys by lossy
//!   counting over at most [`TOP_CAPACITY`] counters (exact while there are fewer distinct
//!   keys; beyond, a key's count may miss what it had before it was tracked, and says by how
//!   much at most);
//! - sizes: an exact histogram below 64 KiB, power-of-two buckets above;
//! - duplicates: a map from the 64-bit hash of each id (`--id`) or of key and value to its
//!   first place (lane and offset, 16 bytes): 1,000,000 distinct ids take about 50 MB. Two
//!   different ids with equal hashes (odds about n²/2^65: one in 30 million for a million
//!   ids) would be reported as one; the report shows each duplicate's id, so such a case is
//!   visible;
//! - ordering: the last timestamp per partition, and with `--seq`, the last sequence number
//!   per key hash.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use super::rate::Timeline;
pub use super::rate::{Bucket, Gaps};
use crate::event::Event;

/// Distinct keys counted exactly before the estimate takes over.
pub const EXACT_KEYS: usize = 1_000_000;
/// Counters of the top-keys summary.
pub const TOP_CAPACITY: usize = 100_000;
/// Origins kept per finding (the first ones).
pub const EXAMPLES: usize = 5;

/// Maps keyed by a hash already computed: the key is its own hash.
#[derive(Default, Clone, Copy)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type ByHash<V> = HashMap<u64, V, std::hash::BuildHasherDefault<Prehashed>>;
type Fast = foldhash::fast::RandomState;

/// A stable hash (fixed seed: the same stream gives the same report).
fn hash<T: Hash + ?Sized>(value: &T) -> u64 {
    foldhash::quality::FixedState::with_seed(0x0005_eed0_fe17).hash_one(value)
}

/// HyperLogLog with 2^14 registers.
struct HyperLogLog {
    registers: Vec<u8>,
}

impl HyperLogLog {
    const BITS: u32 = 14;

    fn new() -> HyperLogLog {
        HyperLogLog {
            registers: vec![0; 1 << Self::BITS],
        }
    }

    fn add(&mut self, h: u64) {
        let index = (h >> (64 - Self::BITS)) as usize;
        let rest = (h << Self::BITS) | (1 << (Self::BITS - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        if rank > self.registers[index] {
            self.registers[index] = rank;
        }
    }

    fn estimate(&self) -> u64 {
        let m = self.registers.len() as f64;
        let sum: f64 = self.registers.iter().map(|&r| 2f64.powi(-(r as i32))).sum();
        let raw = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        if raw <= 2.5 * m && zeros > 0 {
            (m * (m / zeros as f64).ln()).round() as u64
        } else {
            raw.round() as u64
        }
    }
}

/// Distinct keys: exact, then estimated.
struct Cardinality {
    exact: Option<HashSet<u64, std::hash::BuildHasherDefault<Prehashed>>>,
    sketch: HyperLogLog,
}

impl Cardinality {
    fn add(&mut self, h: u64) {
        self.sketch.add(h);
        if let Some(set) = &mut self.exact {
            set.insert(h);
            if set.len() > EXACT_KEYS {
                self.exact = None;
            }
        }
    }

    /// The count, and whether it is exact.
    fn count(&self) -> (u64, bool) {
        match &self.exact {
            Some(set) => (set.len() as u64, true),
            None => (self.sketch.estimate(), false),
        }
    }
}

/// The most frequent keys (lossy counting): exact counts while fewer than
/// [`TOP_CAPACITY`] distinct keys are tracked; past that, the less frequent half is dropped
/// and the largest count dropped becomes the possible undercount of keys tracked afterwards.
/// Each key costs O(1) amortized (a prune every `TOP_CAPACITY / 2` new keys).
struct TopKeys {
    counters: HashMap<Vec<u8>, (u64, u64), Fast>,
    /// The largest count ever dropped.
    floor: u64,
}

impl TopKeys {
    fn add(&mut self, key: &[u8]) {
        if let Some(c) = self.counters.get_mut(key) {
            c.0 += 1;
            return;
        }
        self.counters.insert(key.to_vec(), (1, self.floor));
        if self.counters.len() > TOP_CAPACITY {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.counters.values().map(|c| c.0).collect();
        let keep = TOP_CAPACITY / 2;
        let cut = counts.len() - keep;
        let (_, &mut threshold, _) = counts.select_nth_unstable(cut);
        // Keep those above the threshold (ties at it go, so that at least half goes).
        let mut dropped_max = self.floor;
        self.counters.retain(|_, c| {
            let keep = c.0 > threshold;
            if !keep {
                dropped_max = dropped_max.max(c.0);
            }
            keep
        });
        self.floor = dropped_max;
    }

    fn top(&self, n: usize) -> Vec<TopKey> {
        let mut all: Vec<TopKey> = self
            .counters
            .iter()
            .map(|(k, &(count, error))| TopKey {
                key: k.clone(),
                count,
                error,
            })
            .collect();
        all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        all.truncate(n);
        all
    }
}

/// A key among the most frequent: it was seen `count` times, and up to `error` more
/// before it was tracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopKey {
    pub key: Vec<u8>,
    pub count: u64,
    pub error: u64,
}

/// Payload sizes: exact below 64 KiB.
struct Sizes {
    small: Vec<u64>,
    /// Power-of-two buckets from 64 KiB (bucket i: sizes below 2^(16+i+1)).
    large: [u64; 48],
    min: Option<u64>,
    max: u64,
    count: u64,
}

impl Sizes {
    fn add(&mut self, size: u64) {
        if size < 65_536 {
            self.small[size as usize] += 1;
        } else {
            let bucket = (63 - size.leading_zeros()).saturating_sub(16) as usize;
            self.large[bucket.min(47)] += 1;
        }
        self.min = Some(self.min.map_or(size, |m| m.min(size)));
        self.max = self.max.max(size);
        self.count += 1;
    }

    /// The size at quantile `q` (exact below 64 KiB, a bucket's upper bound above).
    fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (size, n) in self.small.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(size as u64);
            }
        }
        for (i, n) in self.large.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(((1u64 << (16 + i + 1)) - 1).min(self.max));
            }
        }
        Some(self.max)
    }
}

/// Where an event came from, as shown.
pub type Place = String;

/// An id seen more than once, with where each copy was (the first [`EXAMPLES`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The id's text (`--id`), or the key's (key and value identical).
    pub id: String,
    pub copies: u64,
    pub places: Vec<Place>,
}

/// Timestamps that went backwards within one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backwards {
    pub count: u64,
    /// The largest step back, in milliseconds, and where.
    pub worst_ms: i64,
    pub worst_at: Option<Place>,
    pub first: Vec<Place>,
}

/// Per-key sequence faults (`--seq`): a number skipped, or one not above the previous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqFault {
    pub key: String,
    pub previous: i64,
    pub seen: i64,
    pub place: Place,
}

/// What `evt stats` asks besides counting.
#[derive(Debug, Clone, Default)]
pub struct StatsOptions {
    /// Gaps in the rate longer than this are listed (ms).
    pub gap_ms: i64,
    /// Top keys shown.
    pub top: usize,
}

/// What a lane is: how a place in it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneKind {
    /// `topic/partition`, places `topic/partition@offset`.
    Partition,
    /// A file, places `file:line`.
    Lines,
    /// A JSON array file, places `file[index]`.
    Items,
    /// Made by evt, places `by#seq`.
    Made,
}

/// One partition or file: its events and the latest timestamp seen in it.
#[derive(Debug, Clone)]
pub struct Lane {
    pub name: String,
    pub kind: LaneKind,
    pub events: u64,
    last_ts: Option<i64>,
}

/// A place: the lane and the offset, line or index in it.
#[derive(Debug, Clone, Copy)]
struct At {
    lane: u32,
    pos: i64,
}

/// The accumulator.
pub struct Stats {
    options: StatsOptions,
    pub total: u64,
    pub lanes: Vec<Lane>,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    timeline: Timeline,
    /// The latest timestamp seen (arrival order), for gaps.
    latest_ms: Option<i64>,
    pub gaps: Gaps,
    keys: Cardinality,
    top: TopKeys,
    pub keyless: u64,
    sizes: Sizes,
    pub tombstones: u64,
    pub not_json: u64,
    /// Identity hash → the first copy's origin.
    seen: ByHash<At>,
    duplicates: ByHash<Duplicate>,
    pub duplicate_copies: u64,
    pub backwards: Backwards,
    last_seq: ByHash<i64>,
    pub seq_gaps: u64,
    pub seq_regressions: u64,
    pub seq_faults: Vec<SeqFault>,
    pub without_seq: u64,
}

impl Stats {
    pub fn new(options: StatsOptions) -> Stats {
        Stats {
            options,
            total: 0,
            lanes: Vec::new(),
            first_ms: None,
            last_ms: None,
            timeline: Timeline::default(),
            latest_ms: None,
            gaps: Gaps::default(),
            keys: Cardinality {
                exact: Some(HashSet::default()),
                sketch: HyperLogLog::new(),
            },
            top: TopKeys {
                counters: HashMap::default(),
                floor: 0,
            },
            keyless: 0,
            sizes: Sizes {
                small: vec![0; 65_536],
                large: [0; 48],
                min: None,
                max: 0,
                count: 0,
            },
            tombstones: 0,
            not_json: 0,
            seen: ByHash::default(),
            duplicates: ByHash::default(),
            duplicate_copies: 0,
            backwards: Backwards::default(),
            last_seq: ByHash::default(),
            seq_gaps: 0,
            seq_regressions: 0,
            seq_faults: Vec::new(),
            without_seq: 0,
        }
    }

    /// A lane's number (registered on first use).
    pub fn lane(&mut self, name: &str, kind: LaneKind) -> usize {
        if let Some(i) = self
            .lanes
            .iter()
            .position(|l| l.name == name && l.kind == kind)
        {
            return i;
        }
        self.lanes.push(Lane {
            name: name.to_string(),
            kind,
            events: 0,
            last_ts: None,
        });
        self.lanes.len() - 1
    }

    fn place(&self, at: At) -> Place {
        let lane = &self.lanes[at.lane as usize];
        match lane.kind {
            LaneKind::Partition => format!("{}@{}", lane.name, at.pos),
            LaneKind::Lines => format!("{}:{}", lane.name, at.pos),
            LaneKind::Items => format!("{}[{}]", lane.name, at.pos),
            LaneKind::Made => format!("{}#{}", lane.name, at.pos),
        }
    }

    /// One event at `pos` (offset, line, index) of `lane` (from [`Stats::lane`]). `id` is
    /// its duplicate identity (the `--id` value's text; `None`: key and value are used);
    /// `seq` its `--seq` number when asked; `json` whether its value is known to be JSON
    /// (`None`: check).
    pub fn observe(
        &mut self,
        event: &Event,
        (lane, pos): (usize, i64),
        id: Option<&str>,
        seq: Option<Option<i64>>,
        json: Option<bool>,
    ) {
        self.total += 1;
        let here = At {
            lane: lane as u32,
            pos,
        };
        self.lanes[lane].events += 1;
        if let Some(ts) = event.timestamp {
            self.first_ms = Some(self.first_ms.map_or(ts, |f| f.min(ts)));
            self.last_ms = Some(self.last_ms.map_or(ts, |l| l.max(ts)));
            self.timeline.add(ts);
            if let Some(latest) = self.latest_ms {
                if ts - latest > self.options.gap_ms && self.options.gap_ms > 0 {
                    self.gaps.add(latest, ts);
                }
            }
            self.latest_ms = Some(self.latest_ms.map_or(ts, |l| l.max(ts)));
            match self.lanes[lane].last_ts {
                Some(last) if ts < last => {
                    let place = self.place(here);
                    let back = &mut self.backwards;
                    back.count += 1;
                    if last - ts > back.worst_ms {
                        back.worst_ms = last - ts;
                        back.worst_at = Some(place.clone());
                    }
                    if back.first.len() < EXAMPLES {
                        back.first.push(place);
                    }
                }
                _ => self.lanes[lane].last_ts = Some(ts),
            }
        }
        match &event.key {
            Some(key) => {
                self.keys.add(hash(key.as_slice()));
                self.top.add(key);
            }
            None => self.keyless += 1,
        }
        match &event.value {
            None => self.tombstones += 1,
            Some(value) => {
                self.sizes.add(value.len() as u64);
                let json = json.unwrap_or_else(|| {
                    std::str::from_utf8(value).is_ok_and(crate::limits::is_json)
                });
                if !json {
                    self.not_json += 1;
                }
            }
        }
        // Duplicates: the id, else key and value together.
        let identity = match id {
            Some(id) => hash(&(1u8, id)),
            None => hash(&(0u8, event.key.as_deref(), event.value.as_deref())),
        };
        match self.seen.get(&identity).copied() {
            None => {
                self.seen.insert(identity, here);
            }
            Some(first) => {
                self.duplicate_copies += 1;
                let first = self.place(first);
                let place = self.place(here);
                let shown_id = id.map(str::to_string).unwrap_or_else(|| {
                    event.key.as_deref().map_or("(no key)".into(), |k| {
                        String::from_utf8_lossy(k).into_owned()
                    })
                });
                let entry = self
                    .duplicates
                    .entry(identity)
                    .or_insert_with(|| Duplicate {
                        id: shown_id,
                        copies: 1,
                        places: vec![first],
                    });
                entry.copies += 1;
                if entry.places.len() < EXAMPLES {
                    entry.places.push(place);
                }
            }
        }
        // Sequence numbers per key.
        if let Some(seq) = seq {
            match seq {
                None => self.without_seq += 1,
                Some(n) => {
                    let key_hash = hash(&event.key.as_deref());
                    if let Some(previous) = self.last_seq.insert(key_hash, n) {
                        let fault = if n <= previous {
                            self.seq_regressions += 1;
                            true
                        } else if n > previous + 1 {
                            self.seq_gaps += 1;
                            true
                        } else {
                            false
                        };
                        if fault && self.seq_faults.len() < 20 {
                            let place = self.place(here);
                            self.seq_faults.push(SeqFault {
                                key: event.key.as_deref().map_or("(no key)".into(), |k| {
                                    String::from_utf8_lossy(k).into_owned()
                                }),
                                previous,
                                seen: n,
                                place,
                            });
                        }
                    }
                }
            }
        }
    }

    /// Distinct keys, and whether the count is exact.
    pub fn distinct_keys(&self) -> (u64, bool) {
        self.keys.count()
    }

    pub fn top_keys(&self) -> Vec<TopKey> {
        self.top.top(self.options.top)
    }

    /// min, p50, p99, max of the payload sizes (tombstones excluded).
    pub fn sizes(&self) -> Option<[u64; 4]> {
        Some([
            self.sizes.min?,
            self.sizes.quantile(0.5)?,
            self.sizes.quantile(0.99)?,
            self.sizes.max,
        ])
    }

    /// Every id seen more than once, most copies first.
    pub fn duplicates(&self) -> Vec<Duplicate> {
        let mut all: Vec<Duplicate> = self.duplicates.values().cloned().collect();
        all.sort_by(|a, b| b.copies.cmp(&a.copies).then_with(|| a.id.cmp(&b.id)));
        all
    }

    /// Events per bucket over the window: about `buckets` buckets of a readable width.
    pub fn rate(&self, buckets: i64) -> Vec<Bucket> {
        self.timeline.buckets(buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use std::sync::Arc;

    fn ev_at(key: &str, value: &str, ts: i64, partition: i32, offset: i64) -> Event {
        Event {
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            timestamp: Some(ts),
            ..Event::new(Origin::Record {
                topic: Arc::from(if partition == 9 { "q" } else { "p" }),
                partition,
                offset,
            })
        }
    }

    fn ev(key: &str, value: &str, ts: i64) -> Event {
        ev_at(key, value, ts, 0, ts)
    }

    fn stats() -> Stats {
        Stats::new(StatsOptions {
            gap_ms: 30_000,
            top: 3,
        })
    }

    #[test]
    fn counts_sizes_keys_and_gaps() {
        let mut s = stats();
        let events = [
            ev("a", r#"{"x":1}"#, 0),
            ev("b", "not json", 10_000),
            ev("a", r#"{"x":2}"#, 100_000),
        ];
        let lane = s.lane("p/0", LaneKind::Partition);
        for e in &events {
            s.observe(e, (lane, 0), None, None, None);
        }
        assert_eq!(s.total, 3);
        assert_eq!(s.not_json, 1);
        assert_eq!(s.distinct_keys(), (2, true));
        assert_eq!(s.top_keys()[0].key, b"a");
        assert_eq!(s.top_keys()[0].count, 2);
        assert_eq!(s.sizes(), Some([7, 7, 8, 8]));
        assert_eq!(s.gaps.longest(), [(10_000, 100_000)]);
        assert_eq!(s.duplicate_copies, 0);
    }

    #[test]
    fn duplicates_by_id_and_by_content() {
        let mut s = stats();
        let (p, q) = (
            s.lane("p/0", LaneKind::Partition),
            s.lane("q/9", LaneKind::Partition),
        );
        s.observe(&ev_at("k", "1", 0, 0, 0), (p, 0), Some("e1"), None, None);
        s.observe(&ev_at("k", "2", 1, 9, 7), (q, 7), Some("e1"), None, None);
        s.observe(&ev_at("k", "3", 2, 0, 1), (p, 1), Some("e2"), None, None);
        let d = s.duplicates();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].id, "e1");
        assert_eq!(
            (d[0].copies, d[0].places.clone()),
            (2, vec!["p/0@0".to_string(), "q/9@7".into()])
        );
        let mut s = stats();
        let p = s.lane("f", LaneKind::Lines);
        s.observe(&ev("k", "same", 0), (p, 1), None, None, None);
        s.observe(&ev("k", "same", 1), (p, 2), None, None, None);
        s.observe(&ev("k", "other", 2), (p, 3), None, None, None);
        assert_eq!(s.duplicate_copies, 1);
        assert_eq!(s.duplicates()[0].id, "k");
        assert_eq!(s.duplicates()[0].places, ["f:1", "f:2"]);
    }

    #[test]
    fn backwards_timestamps_and_sequences() {
        let mut s = stats();
        // 200 twice is not out of order: only a step back is.
        for (i, ts) in [100, 200, 200, 150, 300, 50].iter().enumerate() {
            let e = ev_at("k", "1", *ts, 0, i as i64);
            let p = s.lane("p/0", LaneKind::Partition);
            s.observe(&e, (p, i as i64), Some(&i.to_string()), Some(None), None);
        }
        assert_eq!(s.backwards.count, 2);
        assert_eq!(s.backwards.worst_ms, 250);
        assert_eq!(s.backwards.worst_at.as_deref(), Some("p/0@5"));
        let mut s = stats();
        for (i, n) in [1, 2, 4, 3, 5].iter().enumerate() {
            let e = ev_at("k", "v", i as i64, 0, i as i64);
            let p = s.lane("p/0", LaneKind::Partition);
            s.observe(
                &e,
                (p, i as i64),
                Some(&i.to_string()),
                Some(Some(*n)),
                None,
            );
        }
        assert_eq!((s.seq_gaps, s.seq_regressions), (2, 1));
        assert_eq!(s.seq_faults[0].previous, 2);
        assert_eq!(s.seq_faults[0].seen, 4);
    }

    #[test]
    fn heavy_keys_stay_on_top_among_many() {
        let mut top = TopKeys {
            counters: HashMap::default(),
            floor: 0,
        };
        for i in 0..(3 * TOP_CAPACITY as u64) {
            top.add(format!("once-{i}").as_bytes());
            if i % 100 == 0 {
                top.add(b"hot");
            }
        }
        let first = &top.top(1)[0];
        assert_eq!(first.key, b"hot");
        assert_eq!(first.count, 3 * TOP_CAPACITY as u64 / 100);
        assert!(top.counters.len() <= TOP_CAPACITY);
    }

    #[test]
    fn many_keys_are_estimated_within_two_percent() {
        let mut c = Cardinality {
            exact: None,
            sketch: HyperLogLog::new(),
        };
        for i in 0..200_000u64 {
            c.add(hash(&i));
        }
        let (n, exact) = c.count();
        assert!(!exact);
        assert!((n as f64 - 200_000.0).abs() / 200_000.0 < 0.02, "{n}");
    }
}
