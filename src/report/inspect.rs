//! The inspect commands' reports: `topics`, `describe`, `offsets`, `groups`, `lag`. Each is
//! a [`Report`]: a table for people, JSON with stable field names for machines (times as
//! epoch milliseconds and ISO text, durations in milliseconds).

use serde_json::{json, Value};

use super::{table, Report};
use crate::analysis::lag::{PartitionLag, Status};
use crate::broker::Configs;
use crate::event::format_timestamp;
use crate::safe::{self, thousands};

/// The topic configs that matter when reading history, in the order shown.
pub const CONFIGS: [&str; 6] = [
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "min.insync.replicas",
    "message.timestamp.type",
    "max.message.bytes",
];

/// `90061000` → `1 d 1 h`; two units at most, the largest first.
pub fn span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let units = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    for (i, (size, unit)) in units.iter().enumerate() {
        if s >= *size {
            let mut out = format!("{} {unit}", s / size);
            if let Some((next, next_unit)) = units.get(i + 1) {
                let second = (s % size) / next;
                if second > 0 {
                    out.push_str(&format!(" {second} {next_unit}"));
                }
            }
            return out;
        }
    }
    if ms > 0 {
        format!("{ms} ms")
    } else {
        "0 s".into()
    }
}

/// `3 h ago`, or for a time ahead of the clock `in 59 min: a future timestamp`.
fn ago(ms: i64) -> String {
    if ms < 0 {
        format!("in {}: a future timestamp, producer clock skew?", span(-ms))
    } else {
        format!("{} ago", span(ms))
    }
}

/// A time for a table cell: `2026-11-20 04:12:09` (UTC, to the second; `-` when unknown).
fn short_time(ms: Option<i64>) -> String {
    let full = time(ms);
    match full.get(..19) {
        Some(head) if full.len() > 19 => head.replace('T', " "),
        _ => full,
    }
}

/// A time as ISO text (`-` when unknown).
fn time(ms: Option<i64>) -> String {
    ms.and_then(format_timestamp).unwrap_or_else(|| "-".into())
}

fn text(s: &str) -> String {
    safe::line(s).into_owned()
}

fn count(n: i64) -> String {
    if n < 0 {
        format!("-{}", thousands(n.unsigned_abs()))
    } else {
        thousands(n as u64)
    }
}

/// Retention as people say it: `7 d`, `forever` (-1), `-` when not reported.
fn retention(ms: Option<&str>) -> String {
    match ms.map(str::parse::<i64>) {
        Some(Ok(-1)) => "forever".into(),
        Some(Ok(ms)) => span(ms),
        Some(Err(_)) => ms.unwrap_or("-").to_string(),
        None => "-".into(),
    }
}

// --- topics ---------------------------------------------------------------------------

pub struct TopicRow {
    pub name: String,
    pub partitions: usize,
    pub replication: usize,
    pub events: i64,
    /// `None`: the broker does not report configs.
    pub configs: Option<Configs>,
}

pub struct TopicsReport {
    pub topics: Vec<TopicRow>,
    /// Internal topics left out (shown with --all).
    pub hidden: usize,
}

impl Report for TopicsReport {
    fn table(&self) -> String {
        let rows = self
            .topics
            .iter()
            .map(|t| {
                let c = t.configs.as_ref();
                vec![
                    text(&t.name),
                    t.partitions.to_string(),
                    t.replication.to_string(),
                    count(t.events),
                    retention(c.and_then(|c| c.get("retention.ms")).map(String::as_str)),
                    c.and_then(|c| c.get("cleanup.policy"))
                        .map_or_else(|| "-".into(), |p| text(p)),
                ]
            })
            .collect();
        let mut out = table(
            &[
                "topic",
                "partitions",
                "replication",
                "events",
                "retention",
                "cleanup",
            ],
            rows,
            &[1, 2, 3],
        )
        .to_string();
        out.push('\n');
        let total: i64 = self.topics.iter().map(|t| t.events).sum();
        out.push_str(&format!(
            "{} topic(s), {} events",
            self.topics.len(),
            count(total)
        ));
        if self.hidden > 0 {
            out.push_str(&format!(
                "; {} internal topic(s) hidden (--all shows them)",
                self.hidden
            ));
        }
        if self.topics.iter().any(|t| t.configs.is_none()) {
            out.push_str("; -: not reported by this broker");
        }
        out.push('\n');
        out
    }

    fn json(&self) -> Value {
        json!({
            "topics": self.topics.iter().map(|t| json!({
                "name": t.name,
                "partitions": t.partitions,
                "replication": t.replication,
                "events": t.events,
                "retention_ms": t.configs.as_ref().and_then(|c| c.get("retention.ms")).and_then(|v| v.parse::<i64>().ok()),
                "cleanup_policy": t.configs.as_ref().and_then(|c| c.get("cleanup.policy")),
                "configs_reported": t.configs.is_some(),
            })).collect::<Vec<_>>(),
            "hidden_internal": self.hidden,
        })
    }
}

// --- describe -------------------------------------------------------------------------

pub struct PartitionRow {
    pub partition: i32,
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub low: i64,
    pub high: i64,
    /// Timestamps of the oldest and newest retained records.
    pub oldest: Option<i64>,
    pub newest: Option<i64>,
}

pub struct TopicDescribed {
    pub name: String,
    pub partitions: Vec<PartitionRow>,
    /// `None`: not reported by this broker.
    pub configs: Option<Configs>,
    pub now_ms: i64,
}

impl TopicDescribed {
    fn oldest(&self) -> Option<i64> {
        self.partitions.iter().filter_map(|p| p.oldest).min()
    }

    fn newest(&self) -> Option<i64> {
        self.partitions.iter().filter_map(|p| p.newest).max()
    }

    fn retention_ms(&self) -> Option<i64> {
        self.configs
            .as_ref()?
            .get("retention.ms")?
            .parse()
            .ok()
            .filter(|ms: &i64| *ms >= 0)
    }

    /// When the oldest retained event is due for deletion (epoch ms): its time plus
    /// retention.ms. Kafka deletes whole segments, so it may stay longer.
    fn expires(&self) -> Option<i64> {
        Some(self.oldest()? + self.retention_ms()?)
    }

    fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let events: i64 = self
            .partitions
            .iter()
            .map(|p| (p.high - p.low).max(0))
            .sum();
        match (self.oldest(), self.newest()) {
            (Some(old), Some(new)) => {
                lines.push(format!(
                    "you can travel back to {} ({}); the newest event is from {} ({}); {} events",
                    time(Some(old)),
                    ago(self.now_ms - old),
                    time(Some(new)),
                    ago(self.now_ms - new),
                    count(events)
                ));
            }
            _ => lines.push("no events retained: nothing to travel back to".into()),
        }
        match (self.expires(), self.retention_ms(), &self.configs) {
            (Some(at), Some(ms), _) => {
                let left = at - self.now_ms;
                let window = span(ms);
                lines.push(if left > 0 {
                    format!(
                        "retention {window}: the oldest events expire in ~{} (at {}; whole segments are deleted, so possibly later)",
                        span(left),
                        time(Some(at))
                    )
                } else {
                    format!(
                        "retention {window}: the oldest events are past it and go with the next segment deletion"
                    )
                });
            }
            (_, _, None) => lines.push("configs: not reported by this broker".into()),
            (_, None, Some(_)) => lines.push("retention: not limited by time".into()),
            _ => {}
        }
        lines
    }
}

pub struct DescribeReport {
    pub topics: Vec<TopicDescribed>,
}

impl Report for DescribeReport {
    fn table(&self) -> String {
        let mut out = String::new();
        for t in &self.topics {
            let list = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
            let rows = t
                .partitions
                .iter()
                .map(|p| {
                    vec![
                        p.partition.to_string(),
                        if p.leader < 0 {
                            "none".into()
                        } else {
                            p.leader.to_string()
                        },
                        list(&p.replicas),
                        list(&p.isr),
                        p.low.to_string(),
                        p.high.to_string(),
                        count((p.high - p.low).max(0)),
                        short_time(p.oldest),
                        short_time(p.newest),
                    ]
                })
                .collect();
            out.push_str(&format!("topic {}\n", text(&t.name)));
            out.push_str(
                &table(
                    &[
                        "partition",
                        "leader",
                        "replicas",
                        "isr",
                        "low",
                        "high",
                        "events",
                        "oldest (UTC)",
                        "newest (UTC)",
                    ],
                    rows,
                    &[0, 4, 5, 6],
                )
                .to_string(),
            );
            out.push('\n');
            for line in t.lines() {
                out.push_str(&line);
                out.push('\n');
            }
            if let Some(configs) = &t.configs {
                let rows: Vec<Vec<String>> = CONFIGS
                    .iter()
                    .map(|name| {
                        vec![
                            name.to_string(),
                            configs
                                .get(*name)
                                .map_or_else(|| "(not reported)".into(), |v| text(v)),
                        ]
                    })
                    .collect();
                out.push_str(&table(&["config", "value"], rows, &[]).to_string());
                out.push('\n');
            }
            out.push('\n');
        }
        out
    }

    fn json(&self) -> Value {
        json!({
            "topics": self.topics.iter().map(|t| json!({
                "name": t.name,
                "partitions": t.partitions.iter().map(|p| json!({
                    "partition": p.partition,
                    "leader": p.leader,
                    "replicas": p.replicas,
                    "isr": p.isr,
                    "low": p.low,
                    "high": p.high,
                    "oldest_ms": p.oldest,
                    "oldest": p.oldest.and_then(format_timestamp),
                    "newest_ms": p.newest,
                    "newest": p.newest.and_then(format_timestamp),
                })).collect::<Vec<_>>(),
                "oldest_ms": t.oldest(),
                "newest_ms": t.newest(),
                "configs": t.configs.as_ref().map(|c| CONFIGS.iter().filter_map(|n| Some((n.to_string(), Value::String(c.get(*n)?.clone())))).collect::<serde_json::Map<_, _>>()),
                "oldest_expires_ms": t.expires(),
            })).collect::<Vec<_>>(),
        })
    }
}

// --- groups ---------------------------------------------------------------------------

pub struct GroupRow {
    pub id: String,
    /// `None`: the broker lists the group but does not describe it.
    pub state: Option<String>,
    pub members: Option<usize>,
    pub protocol: Option<String>,
    /// Topics with committed offsets.
    pub topics: Vec<String>,
}

pub struct GroupsReport {
    pub groups: Vec<GroupRow>,
    /// Why states and members are missing, when they are.
    pub note: Option<String>,
}

impl Report for GroupsReport {
    fn table(&self) -> String {
        let dash = || "-".to_string();
        let rows = self
            .groups
            .iter()
            .map(|g| {
                vec![
                    text(&g.id),
                    g.state.as_deref().map_or_else(dash, text),
                    g.members.map_or_else(dash, |m| m.to_string()),
                    g.protocol.as_deref().map_or_else(dash, text),
                    if g.topics.is_empty() {
                        dash()
                    } else {
                        text(&g.topics.join(", "))
                    },
                ]
            })
            .collect();
        let mut out = table(
            &["group", "state", "members", "protocol", "committed topics"],
            rows,
            &[2],
        )
        .to_string();
        out.push_str(&format!("\n{} group(s)", self.groups.len()));
        if let Some(note) = &self.note {
            out.push_str(&format!("; {note}"));
        }
        out.push('\n');
        out
    }

    fn json(&self) -> Value {
        json!({
            "groups": self.groups.iter().map(|g| json!({
                "group": g.id,
                "state": g.state,
                "members": g.members,
                "protocol": g.protocol,
                "topics": g.topics,
            })).collect::<Vec<_>>(),
            "note": self.note,
        })
    }
}

// --- lag ------------------------------------------------------------------------------

pub struct GroupLag {
    pub group: String,
    pub partitions: Vec<(PartitionLag, Status)>,
    pub status: Status,
}

impl GroupLag {
    pub fn total(&self) -> i64 {
        self.partitions.iter().filter_map(|(p, _)| p.lag).sum()
    }

    pub fn lost(&self) -> i64 {
        self.partitions.iter().map(|(p, _)| p.lost).sum()
    }

    /// The age of the oldest unconsumed event over the group's partitions.
    pub fn max_age(&self) -> Option<i64> {
        self.partitions.iter().filter_map(|(p, _)| p.age_ms).max()
    }

    /// Totals per topic: lag and the oldest age.
    fn per_topic(&self) -> Vec<(String, i64, Option<i64>)> {
        let mut topics: Vec<(String, i64, Option<i64>)> = Vec::new();
        for (p, _) in &self.partitions {
            match topics.iter_mut().find(|t| t.0 == p.topic) {
                Some(t) => {
                    t.1 += p.lag.unwrap_or(0);
                    t.2 = t.2.max(p.age_ms);
                }
                None => topics.push((p.topic.clone(), p.lag.unwrap_or(0), p.age_ms)),
            }
        }
        topics
    }
}

pub struct LagReport {
    pub groups: Vec<GroupLag>,
    /// Every partition, or only those behind (or without a commit).
    pub all_partitions: bool,
    pub samples: u32,
    pub now_ms: i64,
}

fn age(p: &PartitionLag) -> String {
    match (p.age_ms, p.skewed) {
        (Some(_), true) => "0 s (clock skew)".into(),
        (Some(ms), false) => span(ms),
        (None, _) if p.committed.is_none() => "-".into(),
        (None, _) => "?".into(),
    }
}

impl Report for LagReport {
    fn table(&self) -> String {
        let dash = || "-".to_string();
        let mut rows = Vec::new();
        let mut hidden = 0usize;
        for g in &self.groups {
            for (p, status) in &g.partitions {
                if !self.all_partitions && *status == Status::CaughtUp {
                    hidden += 1;
                    continue;
                }
                rows.push(vec![
                    text(&g.group),
                    text(&p.topic),
                    p.partition.to_string(),
                    p.committed.map_or_else(|| "none".into(), |c| c.to_string()),
                    p.high.to_string(),
                    p.lag.map_or_else(dash, count),
                    if p.lost > 0 { count(p.lost) } else { dash() },
                    age(p),
                    status.words().to_string(),
                ]);
            }
        }
        let mut out = String::new();
        if !rows.is_empty() {
            out.push_str(
                &table(
                    &[
                        "group",
                        "topic",
                        "partition",
                        "committed",
                        "end",
                        "lag",
                        "lost",
                        "lag time",
                        "status",
                    ],
                    rows,
                    &[2, 3, 4, 5, 6],
                )
                .to_string(),
            );
            out.push('\n');
        }
        if hidden > 0 {
            out.push_str(&format!(
                "{hidden} partition(s) caught up not shown (--all-partitions shows them)\n"
            ));
        }
        let rows = self
            .groups
            .iter()
            .flat_map(|g| {
                let mut rows = vec![vec![
                    text(&g.group),
                    "(all)".into(),
                    count(g.total()),
                    if g.lost() > 0 {
                        count(g.lost())
                    } else {
                        dash()
                    },
                    g.max_age().map_or_else(dash, span),
                    g.status.words().to_string(),
                ]];
                let topics = g.per_topic();
                if topics.len() > 1 {
                    rows.extend(topics.into_iter().map(|(t, lag, age)| {
                        vec![
                            String::new(),
                            text(&t),
                            count(lag),
                            String::new(),
                            age.map_or_else(dash, span),
                            String::new(),
                        ]
                    }));
                }
                rows
            })
            .collect();
        out.push_str(
            &table(
                &["group", "topic", "lag", "lost", "lag time", "status"],
                rows,
                &[2, 3],
            )
            .to_string(),
        );
        out.push('\n');
        let mut seen: Vec<Status> = self.groups.iter().map(|g| g.status).collect();
        seen.sort();
        seen.dedup();
        for s in seen {
            out.push_str(&format!("{}: {}\n", s.words(), s.meaning()));
        }
        if self.samples > 1 {
            out.push_str(&format!("status over {} samples\n", self.samples));
        }
        if self.groups.is_empty() {
            out.push_str("no consumer groups\n");
        }
        out
    }

    fn json(&self) -> Value {
        json!({
            "time_ms": self.now_ms,
            "samples": self.samples,
            "groups": self.groups.iter().map(|g| json!({
                "group": g.group,
                "status": g.status.words(),
                "lag": g.total(),
                "lost": g.lost(),
                "lag_ms": g.max_age(),
                "topics": g.per_topic().into_iter().map(|(t, lag, age)| json!({
                    "topic": t, "lag": lag, "lag_ms": age,
                })).collect::<Vec<_>>(),
                "partitions": g.partitions.iter().map(|(p, s)| json!({
                    "topic": p.topic,
                    "partition": p.partition,
                    "committed": p.committed,
                    "low": p.low,
                    "end": p.high,
                    "lag": p.lag,
                    "lost": p.lost,
                    "lag_ms": p.age_ms,
                    "clock_skew": p.skewed,
                    "status": s.words(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(90_061_000), "1 d 1 h");
        assert_eq!(span(7 * 86_400_000), "7 d");
        assert_eq!(span(2_400_000), "40 min");
        assert_eq!(span(12_000), "12 s");
        assert_eq!(span(999), "999 ms");
        assert_eq!(span(0), "0 s");
        assert_eq!(span(3_725_000), "1 h 2 min");
    }
}
