//! The position grammar shared by every command: `--from`, `--until`, `--at`.
//!
//! This module is pure: it turns text into a [`Position`] and knows nothing of brokers.
//! Resolving a position to an offset on a partition lives in `broker::plan`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A point in a partition's log, as the user wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// The log start offset (low watermark).
    Beginning,
    /// The log end offset (high watermark) when the command started.
    End,
    /// An absolute offset, clamped to the watermarks.
    Offset(i64),
    /// N records before the end, per partition (`-100`).
    FromEnd(u64),
    /// N records after the beginning, per partition (`+100`).
    FromBeginning(u64),
    /// A point in time, in epoch milliseconds (durations are resolved against "now" at parse).
    Time(i64),
}

/// Which partitions, between which positions: the window every reading command takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Empty means every partition.
    pub partitions: Vec<i32>,
    pub from: Position,
    /// `None` is the end snapshotted at start (bounded reads) or never (tail).
    pub until: Option<Position>,
}

impl Window {
    /// The whole log, every partition.
    pub fn everything() -> Window {
        Window {
            partitions: Vec::new(),
            from: Position::Beginning,
            until: None,
        }
    }

    /// The time bounds `[from, until)` in epoch ms that time positions put on events.
    pub fn time_bounds(&self) -> TimeBounds {
        let ms = |p: Option<Position>| match p {
            Some(Position::Time(ms)) => Some(ms),
            _ => None,
        };
        TimeBounds {
            from: ms(Some(self.from)),
            until: ms(self.until),
        }
    }

    /// Checks what needs no broker: times before 1970 (a broker reads -1 and -2 as "latest"
    /// and "earliest") and a window whose end comes before its start.
    pub fn check(&self) -> Result<(), String> {
        for (flag, p) in [("--from", Some(self.from)), ("--until", self.until)] {
            if let Some(Position::Time(ms)) = p {
                if ms < 0 {
                    return Err(format!(
                        "{flag} {p}: before 1970-01-01T00:00:00Z; event times start there (@0)",
                        p = Position::Time(ms)
                    ));
                }
            }
        }
        let Some(until) = self.until else {
            return Ok(());
        };
        use Position::*;
        let inverted = match (self.from, until) {
            (Offset(a), Offset(b)) | (Time(a), Time(b)) => a >= b,
            (FromBeginning(a), FromBeginning(b)) => a >= b,
            (FromEnd(a), FromEnd(b)) => a <= b,
            (End, Beginning | FromBeginning(_) | Offset(_)) => true,
            (_, Beginning) => true,
            _ => false,
        };
        if inverted {
            return Err(format!(
                "the window --from {} --until {until} is empty: --until (exclusive) must come after --from",
                self.from
            ));
        }
        Ok(())
    }

    /// True when a position counts records (offsets), which only topics have.
    pub fn counts_records(&self) -> bool {
        let by_offset = |p: Position| {
            matches!(
                p,
                Position::Offset(_) | Position::FromEnd(_) | Position::FromBeginning(_)
            )
        };
        by_offset(self.from) || self.until.is_some_and(by_offset)
    }
}

/// A time window on event timestamps: `from` inclusive, `until` exclusive (epoch ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeBounds {
    pub from: Option<i64>,
    pub until: Option<i64>,
}

impl TimeBounds {
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }

    /// Whether an event with this timestamp lies inside; events without one always do.
    pub fn contains(&self, timestamp: Option<i64>) -> bool {
        let Some(ts) = timestamp else { return true };
        self.from.is_none_or(|f| ts >= f) && self.until.is_none_or(|u| ts < u)
    }
}

/// Why a position did not parse. The message always suggests a form that works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionError {
    #[error("empty position; try beginning, end, 1234, -100, 2h or 2026-11-24T10:00:00Z")]
    Empty,
    #[error("unknown unit '{unit}' in '{text}'; try 2h, 30m, 1d, 45s or 1d12h")]
    UnknownUnit { unit: String, text: String },
    #[error("'{0}' has a unit without a number; try 2h, 30m, 1d")]
    MissingNumber(String),
    #[error("'{0}' is too large")]
    Overflow(String),
    #[error("'{0}' is not a valid time; try 2026-11-24T10:00:00Z, 2026-11-24T10:00 or 2026-11-24")]
    BadTime(String),
    #[error("'{0}' is ambiguous or does not exist in the local time zone; add a zone, e.g. 'Z' or '+01:00'")]
    LocalTime(String),
    #[error("'{0}' is not a position; try beginning, end, 1234, -100, +100, 2h, 2026-11-24 or @1732442400000")]
    Unrecognised(String),
}

impl Position {
    /// Parses a position; durations and local times are resolved against `now`.
    pub fn parse_at(text: &str, now: DateTime<Utc>) -> Result<Position, PositionError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PositionError::Empty);
        }
        match text.to_ascii_lowercase().as_str() {
            "beginning" | "earliest" | "start" | "oldest" => return Ok(Position::Beginning),
            "end" | "latest" | "now" | "newest" => return Ok(Position::End),
            _ => {}
        }
        if let Some(ms) = text.strip_prefix('@') {
            return ms
                .parse::<i64>()
                .map(Position::Time)
                .map_err(|_| PositionError::Unrecognised(text.to_string()));
        }
        if let Some(n) = text.strip_prefix('-') {
            return parse_count(n, text).map(Position::FromEnd);
        }
        if let Some(n) = text.strip_prefix('+') {
            return parse_count(n, text).map(Position::FromBeginning);
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<i64>()
                .map(Position::Offset)
                .map_err(|_| PositionError::Overflow(text.to_string()));
        }
        if looks_like_date(text) {
            return parse_time(text).map(Position::Time);
        }
        if text.as_bytes()[0].is_ascii_digit() {
            let ago = parse_duration(text)?;
            let ms = i64::try_from(ago.as_millis())
                .map_err(|_| PositionError::Overflow(text.to_string()))?;
            return Ok(Position::Time(now.timestamp_millis().saturating_sub(ms)));
        }
        Err(PositionError::Unrecognised(text.to_string()))
    }

    /// Parses a position relative to the current time.
    pub fn parse(text: &str) -> Result<Position, PositionError> {
        Position::parse_at(text, Utc::now())
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Beginning => f.write_str("beginning"),
            Position::End => f.write_str("end"),
            Position::Offset(o) => write!(f, "{o}"),
            Position::FromEnd(n) => write!(f, "-{n}"),
            Position::FromBeginning(n) => write!(f, "+{n}"),
            Position::Time(ms) => match DateTime::<Utc>::from_timestamp_millis(*ms) {
                Some(t) => write!(f, "{}", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
                None => write!(f, "@{ms}"),
            },
        }
    }
}

fn parse_count(n: &str, text: &str) -> Result<u64, PositionError> {
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PositionError::Unrecognised(text.to_string()));
    }
    n.parse::<u64>()
        .map_err(|_| PositionError::Overflow(text.to_string()))
}

/// A date starts with four digits and a dash: `2026-11-24…`.
fn looks_like_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// Parses a duration such as `2h`, `90m`, `1d12h`, `45s`, `500ms`, `1w`.
pub fn parse_duration(text: &str) -> Result<Duration, PositionError> {
    let mut total: u128 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(PositionError::Empty);
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(match rest.chars().next() {
                Some(c) if !c.is_alphabetic() => PositionError::UnknownUnit {
                    unit: c.to_string(),
                    text: text.to_string(),
                },
                _ => PositionError::MissingNumber(text.to_string()),
            });
        }
        let number: u128 = rest[..digits]
            .parse()
            .map_err(|_| PositionError::Overflow(text.to_string()))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        let millis_per_unit: u128 = match unit {
            "ms" => 1,
            "s" | "sec" | "secs" => 1_000,
            "m" | "min" | "mins" => 60_000,
            "h" | "hr" | "hrs" => 3_600_000,
            "d" | "day" | "days" => 86_400_000,
            "w" | "wk" | "week" | "weeks" => 604_800_000,
            "" if rest.is_empty() => {
                return Err(PositionError::UnknownUnit {
                    unit: String::new(),
                    text: text.to_string(),
                })
            }
            _ => {
                let shown = if unit.is_empty() {
                    rest.chars().next().map(String::from).unwrap_or_default()
                } else {
                    unit.to_string()
                };
                return Err(PositionError::UnknownUnit {
                    unit: shown,
                    text: text.to_string(),
                });
            }
        };
        total = number
            .checked_mul(millis_per_unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| PositionError::Overflow(text.to_string()))?;
        rest = &rest[unit_len..];
    }
    let millis = u64::try_from(total).map_err(|_| PositionError::Overflow(text.to_string()))?;
    Ok(Duration::from_millis(millis))
}

/// Parses an RFC 3339 time, or a date/time without a zone in the local time zone.
fn parse_time(text: &str) -> Result<i64, PositionError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let bad = || PositionError::BadTime(text.to_string());
    let naive = if text.len() == 10 {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| bad())?
            .and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?
    } else {
        let has_zone = text.ends_with(['Z', 'z']) || zone_suffix(text);
        if has_zone {
            // RFC 3339 with a zone but without seconds: `2026-11-24T10:00Z`.
            let (body, zone) = split_zone(text);
            let with_seconds = format!("{body}:00{zone}");
            return DateTime::parse_from_rfc3339(&with_seconds)
                .map(|t| t.timestamp_millis())
                .map_err(|_| bad());
        }
        let normalised = text.replacen(' ', "T", 1);
        [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&normalised, f).ok())
        .ok_or_else(bad)?
    };
    match Local.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc).timestamp_millis()),
        _ => Err(PositionError::LocalTime(text.to_string())),
    }
}

/// True when the text ends in a numeric zone such as `+01:00` after the time part.
fn zone_suffix(text: &str) -> bool {
    let Some(t) = text.find(['T', 't', ' ']) else {
        return false;
    };
    text[t..].contains(['+', '-'])
}

fn split_zone(text: &str) -> (&str, &str) {
    if text.ends_with(['Z', 'z']) {
        return (&text[..text.len() - 1], "Z");
    }
    let t = text.find(['T', 't', ' ']).unwrap_or(0);
    match text[t..].rfind(['+', '-']) {
        Some(i) => text.split_at(t + i),
        None => (text, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_windows_are_found_without_a_broker() {
        let window = |from, until| Window {
            partitions: Vec::new(),
            from,
            until,
        };
        use Position::*;
        for (from, until) in [
            (Offset(100), Offset(50)),
            (Offset(7), Offset(7)),
            (Time(2_000), Time(1_000)),
            (FromEnd(10), FromEnd(20)),
            (FromBeginning(5), FromBeginning(5)),
            (End, Beginning),
            (Time(5), Beginning),
        ] {
            let err = window(from, Some(until)).check().unwrap_err();
            assert!(err.contains("is empty"), "{from}..{until}: {err}");
        }
        for (from, until) in [
            (Offset(50), Some(Offset(100))),
            (Time(1_000), Some(Time(2_000))),
            (FromEnd(20), Some(FromEnd(10))),
            (Beginning, Some(End)),
            (Time(0), Some(Offset(3))),
            (Beginning, None),
        ] {
            assert_eq!(window(from, until).check(), Ok(()), "{from}..{until:?}");
        }
        let err = window(Time(-1), None).check().unwrap_err();
        assert!(
            err.starts_with("--from 1969-12-31T23:59:59.999Z: before 1970"),
            "{err}"
        );
        assert!(window(Beginning, Some(Time(-5))).check().is_err());
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn p(text: &str) -> Result<Position, PositionError> {
        Position::parse_at(text, now())
    }

    fn ms(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn named_positions() {
        for t in ["beginning", "earliest", "BEGINNING", " start "] {
            assert_eq!(p(t), Ok(Position::Beginning), "{t}");
        }
        for t in ["end", "latest", "now", "Latest"] {
            assert_eq!(p(t), Ok(Position::End), "{t}");
        }
    }

    #[test]
    fn offsets_absolute_and_relative() {
        assert_eq!(p("0"), Ok(Position::Offset(0)));
        assert_eq!(p("1234"), Ok(Position::Offset(1234)));
        assert_eq!(p("-100"), Ok(Position::FromEnd(100)));
        assert_eq!(p("+100"), Ok(Position::FromBeginning(100)));
        assert_eq!(p("-0"), Ok(Position::FromEnd(0)));
        assert!(matches!(p("-"), Err(PositionError::Unrecognised(_))));
        assert!(matches!(p("+x"), Err(PositionError::Unrecognised(_))));
        assert!(matches!(
            p("99999999999999999999"),
            Err(PositionError::Overflow(_))
        ));
    }

    #[test]
    fn durations_ago() {
        let base = now().timestamp_millis();
        assert_eq!(p("2h"), Ok(Position::Time(base - 2 * 3_600_000)));
        assert_eq!(p("90m"), Ok(Position::Time(base - 90 * 60_000)));
        assert_eq!(p("45s"), Ok(Position::Time(base - 45_000)));
        assert_eq!(p("1d12h"), Ok(Position::Time(base - 36 * 3_600_000)));
        assert_eq!(p("1w"), Ok(Position::Time(base - 7 * 86_400_000)));
        assert_eq!(p("250ms"), Ok(Position::Time(base - 250)));
    }

    #[test]
    fn unknown_unit_names_the_unit() {
        let err = p("2x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown unit 'x' in '2x'; try 2h, 30m, 1d, 45s or 1d12h"
        );
        assert!(matches!(p("2h3q"), Err(PositionError::UnknownUnit { unit, .. }) if unit == "q"));
        assert!(matches!(p("5h!"), Err(PositionError::UnknownUnit { unit, .. }) if unit == "!"));
    }

    #[test]
    fn duration_parts() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(matches!(
            parse_duration("h"),
            Err(PositionError::MissingNumber(_))
        ));
        assert!(matches!(
            parse_duration("10"),
            Err(PositionError::UnknownUnit { .. })
        ));
        assert!(matches!(
            parse_duration("99999999999999999999999w"),
            Err(PositionError::Overflow(_))
        ));
    }

    #[test]
    fn times_with_zone() {
        assert_eq!(
            p("2026-11-24T10:00:00Z"),
            Ok(Position::Time(ms("2026-11-24T10:00:00Z")))
        );
        assert_eq!(
            p("2026-11-24T10:00:00.250+02:00"),
            Ok(Position::Time(ms("2026-11-24T08:00:00.250Z")))
        );
        assert_eq!(
            p("2026-11-24T10:00Z"),
            Ok(Position::Time(ms("2026-11-24T10:00:00Z")))
        );
        assert_eq!(
            p("2026-11-24T10:00-05:00"),
            Ok(Position::Time(ms("2026-11-24T15:00:00Z")))
        );
    }

    #[test]
    fn times_without_zone_are_local() {
        let local = |s: &str| {
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").unwrap();
            Local
                .from_local_datetime(&naive)
                .single()
                .unwrap()
                .timestamp_millis()
        };
        assert_eq!(
            p("2026-11-24T10:00"),
            Ok(Position::Time(local("2026-11-24T10:00:00")))
        );
        assert_eq!(
            p("2026-11-24T10:00:05"),
            Ok(Position::Time(local("2026-11-24T10:00:05")))
        );
        assert_eq!(
            p("2026-11-24 10:00"),
            Ok(Position::Time(local("2026-11-24T10:00:00")))
        );
        assert_eq!(
            p("2026-11-24"),
            Ok(Position::Time(local("2026-11-24T00:00:00")))
        );
    }

    #[test]
    fn bad_times() {
        for t in ["2026-13-01", "2026-11-24T25:00", "2026-11-xx", "2026-"] {
            assert!(matches!(p(t), Err(PositionError::BadTime(_))), "{t}");
        }
    }

    #[test]
    fn epoch_millis() {
        assert_eq!(p("@1732442400000"), Ok(Position::Time(1_732_442_400_000)));
        assert!(matches!(p("@soon"), Err(PositionError::Unrecognised(_))));
    }

    #[test]
    fn garbage_is_rejected_with_a_hint() {
        assert_eq!(p(""), Err(PositionError::Empty));
        let err = p("yesterday").unwrap_err().to_string();
        assert!(err.contains("try beginning"), "{err}");
    }

    #[test]
    fn display_round_trips() {
        for t in ["beginning", "end", "1234", "-100", "+100", "@1732442400000"] {
            let pos = p(t).unwrap();
            assert_eq!(p(&pos.to_string()), Ok(pos), "{t}");
        }
    }
}
