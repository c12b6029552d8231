//! The pure logic of `evt diff`: pair the events of two streams by an id, compare each pair,
//! and give every event a verdict (same, changed, only-left, only-right, reordered).
//!
//! # Design: streaming when the sides agree, indexing within a budget when they do not
//!
//! Events arrive side by side (the command pulls from whichever side is behind, so both
//! advance together). Under each id, the k-th event on the left is paired with the k-th on
//! the right. An event whose partner has not arrived yet waits in the *pending* index (id →
//! the side and the queue of its events: only one side can have events waiting under an id,
//! so one lookup per event serves both); the moment its partner arrives the pair is compared
//! and both leave memory. When both sides arrive in the same pairing order (a replay and its
//! source, a fixture and the topic it was produced into) the index holds only the few events
//! that one side is ahead by: the diff streams in bounded memory, whatever the window.
//! When the orders differ (a shuffled dump, a topic read partition by partition against one
//! merged by time), the index holds the events that are ahead, by id.
//!
//! Everything held (pending events, and the unequal pairs kept for the final verdict) is
//! counted against a budget (`--max-memory`). Past it the diff stops with
//! [`OverBudget`], which names the option, instead of growing until the OS kills it; the
//! count is an estimate of the bytes held (payload, key, headers and a fixed overhead per
//! event), not of the process's resident size.
//!
//! Unequal pairs are kept until the end: under one id, left `[a, b]` against right `[b, a]`
//! is two unequal pairs that turn out to be the same events in another order (*reordered*).
//! At the end, per id, unequal left and right events with equal content (see
//! [`compare::canonical`]) are matched as reordered; the rest stay *changed*, paired in order;
//! pending events without a partner are *only-left* / *only-right*.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use foldhash::fast::RandomState;

use serde_json::Value;

use super::compare::{self, Change, Rules};
use super::path::Path;
use crate::event::{Event, Header};

/// How events are paired.
#[derive(Debug, Clone)]
pub enum Pairing {
    /// By record key (a null key is an id too).
    Key,
    /// By the value at a path into the JSON value (null when absent or not JSON).
    Field(Path),
    /// By partition and offset.
    Offset,
}

/// A pairing id, as bytes: equal ids pair. Most ids (keys, numbers, offsets) are short and
/// live inline, without an allocation per event.
pub type Id = smallvec::SmallVec<[u8; 24]>;

impl Pairing {
    /// The id of `event`.
    pub fn id(&self, event: &Event) -> Id {
        match self {
            Pairing::Key => match &event.key {
                None => Id::from_slice(b"\0"),
                Some(k) => {
                    let mut id = Id::with_capacity(k.len() + 1);
                    id.push(b'k');
                    id.extend_from_slice(k);
                    id
                }
            },
            Pairing::Field(path) => {
                let found = event
                    .value
                    .as_deref()
                    .and_then(compare::parse)
                    .and_then(|v| path.get(&v).cloned())
                    .unwrap_or(Value::Null);
                let mut id = Vec::new();
                compare::write_canonical_value(&found, &mut id);
                Id::from_slice(&id)
            }
            Pairing::Offset => match (event.partition, event.offset) {
                (Some(p), Some(o)) => Id::from_slice(format!("{p}@{o}").as_bytes()),
                _ => Id::from_slice(b"null"),
            },
        }
    }

    /// The id as JSON: the key's text (null for none, `{"base64": …}` for other bytes), the
    /// value found at the path, or `"P@O"`.
    pub fn json(&self, id: &[u8]) -> Value {
        match self {
            Pairing::Key => match id.split_first() {
                Some((b'k', key)) => match std::str::from_utf8(key) {
                    Ok(text) => Value::String(text.to_string()),
                    Err(_) => {
                        use base64::Engine;
                        serde_json::json!({
                            "base64": base64::engine::general_purpose::STANDARD.encode(key)
                        })
                    }
                },
                _ => Value::Null,
            },
            Pairing::Field(_) => serde_json::from_slice(id).unwrap_or(Value::Null),
            Pairing::Offset => serde_json::from_slice::<Value>(id)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(id).into_owned())),
        }
    }

    /// The id as a person reads it: the key's text, the JSON found, `P@O`, or `(no key)`.
    pub fn show(&self, id: &[u8]) -> String {
        match (self, self.json(id)) {
            (Pairing::Key, Value::Null) => "(no key)".into(),
            (Pairing::Key | Pairing::Offset, Value::String(s)) => s,
            (_, other) => other.to_string(),
        }
    }
}

/// The two streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left = 0,
    Right = 1,
}

/// A difference found.
#[derive(Debug, Clone)]
pub enum Difference {
    Changed {
        id: Id,
        left: Event,
        right: Event,
        changes: Vec<Change>,
    },
    /// The same event as another one under the same id, at another place in the order.
    Reordered {
        id: Id,
        left: Event,
        right: Event,
    },
    OnlyLeft {
        id: Id,
        event: Event,
    },
    OnlyRight {
        id: Id,
        event: Event,
    },
}

/// Events per verdict (a pair counts once).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub left: u64,
    pub right: u64,
    pub same: u64,
    pub changed: u64,
    pub reordered: u64,
    pub only_left: u64,
    pub only_right: u64,
}

impl Counts {
    pub fn identical(&self) -> bool {
        self.changed == 0 && self.reordered == 0 && self.only_left == 0 && self.only_right == 0
    }
}

/// The events held went past the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget {
    pub held: u64,
    pub budget: u64,
    /// Events waiting for a partner when it happened (the sides arrive in different orders).
    pub pending: u64,
}

/// An event waiting for its partner, with its arrival number on its side.
#[derive(Debug, Clone)]
struct Held {
    seq: u64,
    event: Event,
}

/// The events of one id waiting on one side: nearly always one, so no queue is allocated
/// for it. It is boxed: the index's slots stay small, so growing the index moves little
/// (sides in different orders index up to every event).
#[derive(Debug, Clone)]
enum Waiting {
    One(Box<Held>),
    /// Two or more, oldest first.
    Many(VecDeque<Held>),
}

impl Waiting {
    /// One more, after those waiting.
    fn push(&mut self, held: Held) {
        match self {
            Waiting::Many(queue) => queue.push_back(held),
            Waiting::One(_) => {
                let Waiting::One(first) = std::mem::replace(self, Waiting::Many(VecDeque::new()))
                else {
                    unreachable!("matched One above")
                };
                *self = Waiting::Many(VecDeque::from([*first, held]));
            }
        }
    }

    fn into_iter(self) -> impl Iterator<Item = Held> {
        let (one, many) = match self {
            Waiting::One(h) => (Some(*h), VecDeque::new()),
            Waiting::Many(q) => (None, q),
        };
        one.into_iter().chain(many)
    }
}

/// Ids are hashed with a fast hash seeded per process (ids come from the events: a fixed
/// seed would let crafted keys collide).
type Pending = HashMap<Id, (Side, Waiting), RandomState>;

/// An unequal pair, kept for the final verdict.
struct Unequal {
    id: Id,
    left: Held,
    right: Held,
    changes: Vec<Change>,
}

/// Pairs and compares two streams of events pushed in arrival order.
pub struct Differ {
    rules: Rules,
    budget: u64,
    held: u64,
    pending: Pending,
    pending_events: u64,
    unequal: Vec<Unequal>,
    counts: Counts,
}

/// What one held event costs, roughly: its bytes and the maps' bookkeeping.
fn cost(id: &[u8], event: &Event) -> u64 {
    const OVERHEAD: usize = 256;
    let headers: usize = event
        .headers
        .iter()
        .map(|h: &Header| 48 + h.name.len() + h.value.as_ref().map_or(0, Vec::len))
        .sum();
    (OVERHEAD
        + 2 * id.len()
        + event.key.as_ref().map_or(0, Vec::len)
        + event.value.as_ref().map_or(0, Vec::len)
        + headers) as u64
}

impl Differ {
    pub fn new(rules: Rules, budget: u64) -> Differ {
        Differ {
            rules,
            budget,
            held: 0,
            pending: Pending::default(),
            pending_events: 0,
            unequal: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// One event from `side`, in that side's arrival order.
    pub fn push(&mut self, side: Side, id: Id, event: Event) -> Result<(), OverBudget> {
        let seq = match side {
            Side::Left => &mut self.counts.left,
            Side::Right => &mut self.counts.right,
        };
        let held = Held { seq: *seq, event };
        *seq += 1;
        // One index for both sides, one lookup per event: only one side can have events
        // waiting under an id (two would have paired).
        let (id, partner, held) = match self.pending.entry(id) {
            Entry::Vacant(vacant) => {
                self.held += cost(vacant.key(), &held.event);
                self.pending_events += 1;
                vacant.insert((side, Waiting::One(Box::new(held))));
                return self.check();
            }
            Entry::Occupied(mut waiting) if waiting.get().0 == side => {
                self.held += cost(waiting.key(), &held.event);
                self.pending_events += 1;
                waiting.get_mut().1.push(held);
                return self.check();
            }
            Entry::Occupied(mut waiting) => match &mut waiting.get_mut().1 {
                Waiting::Many(queue) if queue.len() > 1 => {
                    let first = queue.pop_front().expect("more than one");
                    (waiting.key().clone(), first, held)
                }
                _ => {
                    let (id, (_, rest)) = waiting.remove_entry();
                    let first = rest.into_iter().next().expect("a waiting event");
                    (id, first, held)
                }
            },
        };
        self.pending_events -= 1;
        self.held -= cost(&id, &partner.event);
        let (left, right) = match side {
            Side::Left => (held, partner),
            Side::Right => (partner, held),
        };
        self.pair(id, left, right)
    }

    fn pair(&mut self, id: Id, left: Held, right: Held) -> Result<(), OverBudget> {
        let changes = compare::compare(&self.rules, &left.event, &right.event);
        if changes.is_empty() {
            self.counts.same += 1;
            return Ok(());
        }
        self.held += cost(&id, &left.event) + cost(&id, &right.event);
        self.unequal.push(Unequal {
            id,
            left,
            right,
            changes,
        });
        self.check()
    }

    fn check(&self) -> Result<(), OverBudget> {
        if self.held > self.budget {
            return Err(OverBudget {
                held: self.held,
                budget: self.budget,
                pending: self.pending_events,
            });
        }
        Ok(())
    }

    /// Both streams have ended: the verdicts, and the differences in a stable order
    /// (changed and reordered as found, then only-left, then only-right, each in arrival order).
    pub fn finish(mut self) -> (Counts, Vec<Difference>) {
        let mut differences = self.resolve_unequal();
        let mut rest: Vec<(Side, Id, Held)> = std::mem::take(&mut self.pending)
            .into_iter()
            .flat_map(|(id, (side, waiting))| {
                waiting.into_iter().map(move |h| (side, id.clone(), h))
            })
            .collect();
        rest.sort_by_key(|(side, _, h)| (*side as u8, h.seq));
        for (side, id, held) in rest {
            differences.push(match side {
                Side::Left => {
                    self.counts.only_left += 1;
                    Difference::OnlyLeft {
                        id,
                        event: held.event,
                    }
                }
                Side::Right => {
                    self.counts.only_right += 1;
                    Difference::OnlyRight {
                        id,
                        event: held.event,
                    }
                }
            });
        }
        (self.counts, differences)
    }

    /// Unequal pairs under one id whose events match across the pairs are reordered; the
    /// others are changed, paired again in order among themselves.
    fn resolve_unequal(&mut self) -> Vec<Difference> {
        let unequal = std::mem::take(&mut self.unequal);
        let mut by_id: HashMap<Id, Vec<usize>> = HashMap::new();
        for (i, u) in unequal.iter().enumerate() {
            by_id.entry(u.id.clone()).or_default().push(i);
        }
        // Per pair index: Some(new partner) when the pair's left event was re-paired.
        let mut verdicts: Vec<Option<Verdict>> = (0..unequal.len()).map(|_| None).collect();
        for indexes in by_id.values().filter(|ix| ix.len() > 1) {
            self.rematch(&unequal, indexes, &mut verdicts);
        }
        // A pair's right event may go to another pair's left: each side is taken once.
        let mut rights: Vec<Option<Event>> = Vec::with_capacity(unequal.len());
        let mut lefts = Vec::with_capacity(unequal.len());
        for u in unequal {
            rights.push(Some(u.right.event));
            lefts.push((u.id, u.left.event, u.changes));
        }
        let mut out = Vec::with_capacity(lefts.len());
        for (i, (id, left, changes)) in lefts.into_iter().enumerate() {
            let (right_of, reordered) = verdicts[i]
                .take()
                .map_or((i, false), |v| (v.right_of, v.reordered));
            let right = rights[right_of]
                .take()
                .expect("each right event is taken once");
            out.push(if reordered {
                self.counts.reordered += 1;
                Difference::Reordered { id, left, right }
            } else {
                // Paired again with another right event: its changes are that pair's.
                let changes = if right_of == i {
                    changes
                } else {
                    compare::compare(&self.rules, &left, &right)
                };
                self.counts.changed += 1;
                Difference::Changed {
                    id,
                    left,
                    right,
                    changes,
                }
            });
        }
        out
    }

    /// Matches the left events of the unequal pairs `indexes` (one id) with right events of
    /// equal content; the unmatched are paired again in order.
    fn rematch(&self, unequal: &[Unequal], indexes: &[usize], verdicts: &mut [Option<Verdict>]) {
        let mut rights: HashMap<Vec<u8>, VecDeque<usize>> = HashMap::new();
        for &i in indexes {
            let key = compare::canonical(&self.rules, &unequal[i].right.event);
            rights.entry(key).or_default().push_back(i);
        }
        let mut unmatched_left = Vec::new();
        let mut taken = std::collections::HashSet::new();
        for &i in indexes {
            let key = compare::canonical(&self.rules, &unequal[i].left.event);
            match rights.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(j) => {
                    taken.insert(j);
                    verdicts[i] = Some(Verdict {
                        right_of: j,
                        reordered: true,
                    });
                }
                None => unmatched_left.push(i),
            }
        }
        let unmatched_right = indexes.iter().filter(|j| !taken.contains(j));
        for (&i, &j) in unmatched_left.iter().zip(unmatched_right) {
            verdicts[i] = Some(Verdict {
                right_of: j,
                reordered: false,
            });
        }
    }
}

/// The final verdict for the left event of an unequal pair.
struct Verdict {
    /// The pair whose right event is its partner.
    right_of: usize,
    reordered: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use std::sync::Arc;

    fn ev(file: &str, line: u64, key: &str, value: &str) -> Event {
        Event {
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            ..Event::new(Origin::Line {
                file: Arc::from(file),
                line,
            })
        }
    }

    /// Diffs two lists of (key, value), pushed side by side.
    fn diff(
        left: &[(&str, &str)],
        right: &[(&str, &str)],
        budget: u64,
    ) -> Result<(Counts, Vec<Difference>), OverBudget> {
        let mut d = Differ::new(Rules::default(), budget);
        let n = left.len().max(right.len());
        for i in 0..n {
            if let Some((k, v)) = left.get(i) {
                let e = ev("l", i as u64 + 1, k, v);
                d.push(Side::Left, Pairing::Key.id(&e), e)?;
            }
            if let Some((k, v)) = right.get(i) {
                let e = ev("r", i as u64 + 1, k, v);
                d.push(Side::Right, Pairing::Key.id(&e), e)?;
            }
        }
        Ok(d.finish())
    }

    fn lines(d: &Difference) -> (String, u64, u64) {
        let line = |e: &Event| match e.origin {
            Origin::Line { line, .. } => line,
            _ => 0,
        };
        match d {
            Difference::Changed { left, right, .. } => ("changed".into(), line(left), line(right)),
            Difference::Reordered { left, right, .. } => {
                ("reordered".into(), line(left), line(right))
            }
            Difference::OnlyLeft { event, .. } => ("only-left".into(), line(event), 0),
            Difference::OnlyRight { event, .. } => ("only-right".into(), line(event), 0),
        }
    }

    #[test]
    fn every_verdict() {
        let (counts, diffs) = diff(
            &[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("d", "5")],
            &[("a", "1"), ("b", "20"), ("e", "6"), ("d", "5"), ("d", "4")],
            u64::MAX,
        )
        .unwrap();
        assert_eq!(
            counts,
            Counts {
                left: 5,
                right: 5,
                same: 1,
                changed: 1,
                reordered: 2,
                only_left: 1,
                only_right: 1,
            }
        );
        let found: Vec<_> = diffs.iter().map(lines).collect();
        assert_eq!(
            found,
            [
                ("changed".into(), 2, 2),
                ("reordered".into(), 4, 5),
                ("reordered".into(), 5, 4),
                ("only-left".into(), 3, 0),
                ("only-right".into(), 3, 0),
            ]
        );
    }

    #[test]
    fn duplicates_under_one_id_pair_in_order() {
        let (counts, diffs) = diff(
            &[("o-17", r#"{"s":"NEW"}"#), ("o-17", r#"{"s":"PAID"}"#)],
            &[("o-17", r#"{"s":"NEW"}"#), ("o-17", r#"{"s":"FAILED"}"#)],
            u64::MAX,
        )
        .unwrap();
        assert_eq!((counts.same, counts.changed), (1, 1));
        assert_eq!(lines(&diffs[0]), ("changed".into(), 2, 2));
    }

    #[test]
    fn sides_in_the_same_order_hold_almost_nothing() {
        let mut d = Differ::new(Rules::default(), 10_000);
        for i in 0..100_000u64 {
            let key = format!("k{i}");
            let value = format!(r#"{{"n":{i},"pad":"{}"}}"#, "x".repeat(100));
            for side in [Side::Left, Side::Right] {
                let e = ev("f", i, &key, &value);
                d.push(side, Pairing::Key.id(&e), e).unwrap();
            }
        }
        let (counts, diffs) = d.finish();
        assert_eq!((counts.same, diffs.len()), (100_000, 0));
    }

    #[test]
    fn sides_in_different_orders_stop_at_the_budget() {
        let left: Vec<(String, String)> =
            (0..1000).map(|i| (format!("k{i}"), "{}".into())).collect();
        let mut right = left.clone();
        right.reverse();
        let l: Vec<(&str, &str)> = left.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r: Vec<(&str, &str)> = right
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let over = diff(&l, &r, 20_000).unwrap_err();
        assert!(over.held > 20_000 && over.pending > 0, "{over:?}");
        let (counts, diffs) = diff(&l, &r, u64::MAX).unwrap();
        assert_eq!((counts.same, diffs.len()), (1000, 0));
    }

    #[test]
    fn ids_by_field_and_offset() {
        let by = Pairing::Field(Path::parse(".order_id").unwrap());
        let a = ev("f", 1, "x", r#"{"order_id": 17.0}"#);
        let b = ev("f", 2, "y", r#"{"order_id":17,"other":1}"#);
        assert_eq!(by.id(&a), by.id(&b));
        assert_eq!(by.json(&by.id(&a)), serde_json::json!(17));
        assert_eq!(
            by.id(&ev("f", 3, "x", "not json")),
            by.id(&ev("f", 4, "x", "{}"))
        );
        let mut r = ev("f", 1, "x", "1");
        r.partition = Some(2);
        r.offset = Some(15);
        assert_eq!(Pairing::Offset.show(&Pairing::Offset.id(&r)), "2@15");
        let mut keyless = ev("f", 1, "x", "1");
        keyless.key = None;
        assert_eq!(Pairing::Key.show(&Pairing::Key.id(&keyless)), "(no key)");
        assert_eq!(Pairing::Key.show(&Pairing::Key.id(&a)), "x");
    }
}
