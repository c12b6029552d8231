//! The read plan: a window resolved to offsets on each partition, whatever the broker family.
//! End offsets are snapshotted once, when the plan is made, so bounded reads always terminate.

use std::sync::Arc;

use crate::position::Position;

/// What will be read from one partition: offsets `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlan {
    pub topic: Arc<str>,
    pub partition: i32,
    /// The log start offset when the plan was made.
    pub low: i64,
    /// The log end offset when the plan was made.
    pub high: i64,
    pub start: i64,
    /// Exclusive; `None` means unbounded (tail).
    pub end: Option<i64>,
}

impl PartitionPlan {
    /// How many offsets the window spans (records, unless compaction removed some).
    pub fn count(&self) -> Option<i64> {
        self.end.map(|end| (end - self.start).max(0))
    }

    pub fn is_empty(&self) -> bool {
        self.count() == Some(0)
    }
}

/// The per-partition plan for a whole command.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub partitions: Vec<PartitionPlan>,
}

impl Plan {
    pub fn total(&self) -> Option<i64> {
        self.partitions.iter().map(PartitionPlan::count).sum()
    }
}

/// Watermarks of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermarks {
    pub low: i64,
    pub high: i64,
}

/// Resolves a position against a partition's watermarks; `time` is the broker's answer for a
/// time position (`None`: no record at or after that time).
pub fn resolve_position(position: Position, marks: Watermarks, time: Option<i64>) -> i64 {
    let Watermarks { low, high } = marks;
    let offset = match position {
        Position::Beginning => low,
        Position::End => high,
        Position::Offset(o) => o,
        Position::FromEnd(n) => high.saturating_sub(i64::try_from(n).unwrap_or(i64::MAX)),
        Position::FromBeginning(n) => low.saturating_add(i64::try_from(n).unwrap_or(i64::MAX)),
        Position::Time(_) => time.unwrap_or(high),
    };
    offset.clamp(low, high.max(low))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKS: Watermarks = Watermarks {
        low: 100,
        high: 200,
    };

    #[test]
    fn named_and_absolute_positions_clamp_to_watermarks() {
        assert_eq!(resolve_position(Position::Beginning, MARKS, None), 100);
        assert_eq!(resolve_position(Position::End, MARKS, None), 200);
        assert_eq!(resolve_position(Position::Offset(150), MARKS, None), 150);
        assert_eq!(resolve_position(Position::Offset(5), MARKS, None), 100);
        assert_eq!(resolve_position(Position::Offset(999), MARKS, None), 200);
    }

    #[test]
    fn relative_positions_clamp() {
        assert_eq!(resolve_position(Position::FromEnd(10), MARKS, None), 190);
        assert_eq!(resolve_position(Position::FromEnd(1000), MARKS, None), 100);
        assert_eq!(
            resolve_position(Position::FromEnd(u64::MAX), MARKS, None),
            100
        );
        assert_eq!(
            resolve_position(Position::FromBeginning(10), MARKS, None),
            110
        );
        assert_eq!(
            resolve_position(Position::FromBeginning(u64::MAX), MARKS, None),
            200
        );
    }

    #[test]
    fn time_positions_use_the_broker_answer() {
        assert_eq!(resolve_position(Position::Time(1), MARKS, Some(142)), 142);
        // No record at or after that time: the window starts (or ends) at the end.
        assert_eq!(resolve_position(Position::Time(1), MARKS, None), 200);
    }

    #[test]
    fn empty_partition() {
        let empty = Watermarks { low: 0, high: 0 };
        assert_eq!(resolve_position(Position::FromEnd(5), empty, None), 0);
        assert_eq!(resolve_position(Position::Offset(3), empty, None), 0);
    }

    #[test]
    fn counts() {
        let p = PartitionPlan {
            topic: Arc::from("t"),
            partition: 0,
            low: 0,
            high: 10,
            start: 4,
            end: Some(9),
        };
        assert_eq!(p.count(), Some(5));
        let plan = Plan {
            partitions: vec![p.clone(), PartitionPlan { end: Some(4), ..p }],
        };
        assert_eq!(plan.total(), Some(5));
    }
}
