//! Consumer lag, in events and in time, and a group's status over samples.
//!
//! A committed offset is the *next* offset the group will read (not the last one read), so a
//! group that has read everything has committed the high watermark and its lag is 0: the
//! off-by-one of many exporters is avoided by never adding or subtracting one. Lag in events
//! is what the group can still read: `high - max(committed, low)`. Events that retention
//! deleted before the group read them (a commit below the log start) are not lag but
//! *lost*, counted apart. Lag in time is the age of the first unconsumed event: now minus
//! the timestamp of the record at the committed offset (0 when caught up); a record stamped
//! in the future (producer clock skew) gives 0, flagged.
//!
//! The status follows Burrow's evaluation rules over `--watch` samples: a commit that went
//! back is a *rewind*; lag with commits that do not move is *stalled* when the lag grows and
//! *stopped* when it does not; lag that grows while commits move is *lagging*; lag that does
//! not grow is *keeping up*; no lag is *caught up*. One sample can only tell caught up from
//! *behind*.

/// One partition's lag at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The next offset the group will read; `None`: the group never committed here.
    pub committed: Option<i64>,
    pub low: i64,
    pub high: i64,
    /// Events the group has yet to read (`None` without a commit).
    pub lag: Option<i64>,
    /// Events deleted by retention before the group read them.
    pub lost: i64,
    /// Age in milliseconds of the first unconsumed event (0 when caught up; `None` without
    /// a commit, or when the record could not be read).
    pub age_ms: Option<i64>,
    /// The first unconsumed event is stamped in the future (producer clock skew).
    pub skewed: bool,
}

impl PartitionLag {
    /// The offset whose record is the first unconsumed one, when there is lag.
    pub fn next_to_read(committed: Option<i64>, low: i64, high: i64) -> Option<i64> {
        let next = committed?.max(low);
        (next < high).then_some(next)
    }

    /// The lag of a partition from its watermarks, the committed offset, and the timestamp
    /// of the record at [`PartitionLag::next_to_read`] (when there is one).
    pub fn new(
        (topic, partition): (&str, i32),
        committed: Option<i64>,
        (low, high): (i64, i64),
        first_unconsumed: Option<i64>,
        now_ms: i64,
    ) -> PartitionLag {
        let lag = committed.map(|c| (high - c.max(low)).max(0));
        let lost = committed.map_or(0, |c| (low - c).max(0));
        let (age_ms, skewed) = match lag {
            None => (None, false),
            Some(0) => (Some(0), false),
            Some(_) => match first_unconsumed {
                Some(ts) if ts > now_ms => (Some(0), true),
                Some(ts) => (Some(now_ms - ts), false),
                None => (None, false),
            },
        };
        PartitionLag {
            topic: topic.to_string(),
            partition,
            committed,
            low,
            high,
            lag,
            lost,
            age_ms,
            skewed,
        }
    }
}

/// The partitions assigned to a group's members that it never committed for: they are
/// shown with no commit (a consumer that never finished its first batch, or commits
/// elsewhere), sorted and each once.
pub fn uncommitted<'a>(
    assigned: impl IntoIterator<Item = &'a (String, i32)>,
    committed: &[(String, i32)],
) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = assigned
        .into_iter()
        .filter(|a| !committed.contains(a))
        .cloned()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A group's status, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Nothing committed for any partition.
    NoCommits,
    CaughtUp,
    KeepingUp,
    /// Behind, seen once: whether it is lagging, stalled or stopped needs more samples.
    Behind,
    Lagging,
    Stopped,
    Stalled,
    Rewind,
}

impl Status {
    pub fn words(self) -> &'static str {
        match self {
            Status::NoCommits => "no commits",
            Status::CaughtUp => "caught up",
            Status::KeepingUp => "keeping up",
            Status::Behind => "behind",
            Status::Lagging => "lagging",
            Status::Stopped => "stopped",
            Status::Stalled => "stalled",
            Status::Rewind => "rewind",
        }
    }

    /// What the status means, for the report's footnote.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::NoCommits => "the group has committed no offset for these partitions",
            Status::CaughtUp => "nothing left to read",
            Status::KeepingUp => "behind, but the lag is not growing",
            Status::Behind => {
                "events left to read (one sample: --watch tells lagging from stalled or stopped)"
            }
            Status::Lagging => "the lag grows although the group commits",
            Status::Stopped => "behind, and the group has not committed during the samples",
            Status::Stalled => "the lag grows and the group has not committed during the samples",
            Status::Rewind => "a committed offset went backwards",
        }
    }
}

/// One partition's status over its samples, oldest first.
pub fn partition_status(samples: &[&PartitionLag]) -> Status {
    let Some(last) = samples.last() else {
        return Status::NoCommits;
    };
    let commits: Vec<i64> = samples.iter().filter_map(|s| s.committed).collect();
    if commits.windows(2).any(|w| w[1] < w[0]) {
        return Status::Rewind;
    }
    let Some(lag) = last.lag else {
        return Status::NoCommits;
    };
    if lag == 0 {
        return Status::CaughtUp;
    }
    if samples.len() < 2 {
        return Status::Behind;
    }
    let lags: Vec<i64> = samples.iter().filter_map(|s| s.lag).collect();
    let grew = lags.last() > lags.first();
    let moved = commits.first() != commits.last();
    match (moved, grew) {
        (false, true) => Status::Stalled,
        (false, false) => Status::Stopped,
        (true, true) if lags.windows(2).all(|w| w[1] >= w[0]) => Status::Lagging,
        (true, _) => Status::KeepingUp,
    }
}

/// A group's status: its worst partition's (no commits only when no partition has one).
pub fn group_status(per_partition: impl IntoIterator<Item = Status>) -> Status {
    let all: Vec<Status> = per_partition.into_iter().collect();
    let committed = all.iter().copied().filter(|s| *s != Status::NoCommits);
    committed.max().unwrap_or(Status::NoCommits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(committed: Option<i64>, low: i64, high: i64, ts: Option<i64>) -> PartitionLag {
        PartitionLag::new(("t", 0), committed, (low, high), ts, 100_000)
    }

    #[test]
    fn the_committed_offset_is_the_next_to_read() {
        let caught_up = at(Some(10), 0, 10, None);
        assert_eq!((caught_up.lag, caught_up.age_ms), (Some(0), Some(0)));
        let behind = at(Some(7), 0, 10, Some(40_000));
        assert_eq!((behind.lag, behind.age_ms), (Some(3), Some(60_000)));
        assert_eq!(PartitionLag::next_to_read(Some(7), 0, 10), Some(7));
        assert_eq!(PartitionLag::next_to_read(Some(10), 0, 10), None);
    }

    #[test]
    fn commits_below_the_log_start_lost_events() {
        let p = at(Some(2), 5, 12, Some(90_000));
        assert_eq!((p.lag, p.lost), (Some(7), 3));
        assert_eq!(PartitionLag::next_to_read(Some(2), 5, 12), Some(5));
    }

    #[test]
    fn future_timestamps_are_clamped_and_flagged() {
        let p = at(Some(1), 0, 3, Some(200_000));
        assert_eq!((p.age_ms, p.skewed), (Some(0), true));
        let none = at(None, 0, 3, None);
        assert_eq!((none.lag, none.age_ms, none.lost), (None, None, 0));
    }

    #[test]
    fn assigned_partitions_without_a_commit_are_listed_once() {
        let assigned = [
            ("t".to_string(), 1),
            ("t".into(), 0),
            ("u".into(), 0),
            ("t".into(), 1),
        ];
        let committed = [("t".to_string(), 0)];
        assert_eq!(
            uncommitted(&assigned, &committed),
            [("t".to_string(), 1), ("u".into(), 0)]
        );
        let none = PartitionLag::new(("t", 1), None, (0, 5), None, 0);
        assert_eq!(partition_status(&[&none]), Status::NoCommits);
    }

    #[test]
    fn statuses_follow_the_samples() {
        let s = |c: i64, high: i64| at(Some(c), 0, high, Some(0));
        let status = |v: &[PartitionLag]| partition_status(&v.iter().collect::<Vec<_>>());
        assert_eq!(status(&[s(10, 10)]), Status::CaughtUp);
        assert_eq!(status(&[s(5, 10)]), Status::Behind);
        assert_eq!(status(&[s(5, 10), s(5, 12), s(5, 15)]), Status::Stalled);
        assert_eq!(status(&[s(5, 10), s(5, 10)]), Status::Stopped);
        assert_eq!(status(&[s(5, 10), s(7, 14), s(9, 20)]), Status::Lagging);
        assert_eq!(status(&[s(5, 10), s(9, 14), s(12, 15)]), Status::KeepingUp);
        assert_eq!(status(&[s(9, 10), s(5, 10)]), Status::Rewind);
        assert_eq!(status(&[s(5, 10), s(10, 10)]), Status::CaughtUp);
        assert_eq!(
            group_status([Status::NoCommits, Status::CaughtUp, Status::Stalled]),
            Status::Stalled
        );
        assert_eq!(group_status([Status::NoCommits]), Status::NoCommits);
    }
}
