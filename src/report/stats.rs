//! `evt stats`'s report: a table of findings for people (with a sparkline of the rate), JSON
//! with stable field names for machines.

use serde_json::{json, Value};

use super::inspect::span;
use super::{table, Report};
use crate::analysis::rate::extremes;
use crate::analysis::stats::{Bucket, Stats};
use crate::event::format_timestamp;
use crate::safe::{self, thousands};

/// Buckets in the rate line.
const BUCKETS: i64 = 60;

pub struct StatsReport<'a> {
    pub stats: &'a Stats,
    pub seq: bool,
    /// `--gap`: quiet stretches longer than this are listed (ms).
    pub gap_ms: i64,
    /// With `--schema`: per schema, valid and invalid events.
    pub schemas: Option<&'a crate::sink::stats::SchemaCounts>,
}

fn time(ms: i64) -> String {
    format_timestamp(ms).unwrap_or_else(|| ms.to_string())
}

fn text(bytes: &[u8]) -> String {
    safe::line(&String::from_utf8_lossy(bytes)).into_owned()
}

fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// A rate for people: `12.5`, `340`, `0.25`.
fn per_minute(rate: f64) -> String {
    if rate >= 100.0 {
        thousands(rate.round() as u64)
    } else if rate >= 1.0 {
        format!("{rate:.1}")
    } else {
        format!("{rate:.2}")
    }
}

/// `▁▃█` for the counts, scaled to the largest.
pub fn sparkline(counts: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BARS[((n * 7).div_ceil(max.max(1))) as usize]
            }
        })
        .collect()
}

impl StatsReport<'_> {
    fn rows(&self) -> Vec<Vec<String>> {
        let s = self.stats;
        let mut rows = Vec::new();
        let mut row = |what: &str, detail: String| rows.push(vec![what.to_string(), detail]);
        row(
            "events",
            format!(
                "{} in {} partition(s) or file(s)",
                thousands(s.total),
                s.lanes.len()
            ),
        );
        if let (Some(first), Some(last)) = (s.first_ms, s.last_ms) {
            row(
                "window",
                format!("{} → {} ({})", time(first), time(last), span(last - first)),
            );
            let rate = s.rate(BUCKETS);
            if let Some((busiest, quietest)) = extremes(&rate) {
                let width = rate.first().map_or(60_000, |b| b.width_ms);
                let bucket = |b: &Bucket| {
                    format!(
                        "{} ({} event(s), {}/min)",
                        time(b.start_ms),
                        thousands(b.events),
                        per_minute(b.per_minute())
                    )
                };
                row(
                    "rate",
                    format!(
                        "{}\n{} bucket(s) of {}; busiest from {}\nquietest from {}",
                        sparkline(&rate.iter().map(|b| b.events).collect::<Vec<_>>()),
                        rate.len(),
                        span(width),
                        bucket(&busiest),
                        bucket(&quietest),
                    ),
                );
            }
        }
        if s.gaps.count > 0 {
            let longest = s.gaps.longest();
            let mut lines = vec![format!(
                "{} longer than {}{}",
                thousands(s.gaps.count),
                span(self.gap_ms),
                if s.gaps.count > 1 {
                    "; longest first:"
                } else {
                    ":"
                }
            )];
            lines.extend(
                longest
                    .iter()
                    .take(5)
                    .map(|(a, b)| format!("{} → {} ({})", time(*a), time(*b), span(b - a))),
            );
            row("gaps", lines.join("\n"));
        }
        let (keys, exact) = s.distinct_keys();
        let top: Vec<String> = s
            .top_keys()
            .iter()
            .map(|k| {
                if k.error > 0 {
                    format!(
                        "{} ({} to {})",
                        text(&k.key),
                        thousands(k.count),
                        thousands(k.count + k.error)
                    )
                } else {
                    format!("{} ({})", text(&k.key), thousands(k.count))
                }
            })
            .collect();
        row(
            "keys",
            format!(
                "{}{} distinct{}; no key: {}{}",
                if exact { "" } else { "~" },
                thousands(keys),
                if exact { "" } else { " (estimate)" },
                thousands(s.keyless),
                if top.is_empty() {
                    String::new()
                } else {
                    format!("\ntop: {}", top.join(", "))
                }
            ),
        );
        row(
            "payloads",
            format!(
                "{}tombstones: {}; not JSON: {}",
                s.sizes()
                    .map_or(String::new(), |[min, p50, p99, max]| format!(
                        "min {}, p50 {}, p99 {}, max {}; ",
                        size(min),
                        size(p50),
                        size(p99),
                        size(max)
                    )),
                thousands(s.tombstones),
                thousands(s.not_json)
            ),
        );
        let duplicates = s.duplicates();
        row(
            "duplicates",
            if duplicates.is_empty() {
                "none".into()
            } else {
                let mut lines = vec![format!(
                    "{} id(s) seen more than once, {} extra cop(ies)",
                    thousands(duplicates.len() as u64),
                    thousands(s.duplicate_copies)
                )];
                lines.extend(duplicates.iter().take(10).map(|d| {
                    format!(
                        "{} ×{}: {}",
                        safe::line(&d.id),
                        d.copies,
                        d.places.join(", ")
                    )
                }));
                if duplicates.len() > 10 {
                    lines.push(format!("… and {} more", duplicates.len() - 10));
                }
                lines.join("\n")
            },
        );
        let back = &s.backwards;
        row(
            "out of order",
            if back.count == 0 {
                "none (timestamps never go back within a partition)".into()
            } else {
                format!(
                    "{} timestamp(s) went back within a partition; worst {} at {}\nfirst: {}",
                    thousands(back.count),
                    span(back.worst_ms),
                    back.worst_at.as_deref().unwrap_or("?"),
                    back.first.join(", ")
                )
            },
        );
        if self.seq {
            row(
                "sequence",
                if s.seq_gaps + s.seq_regressions == 0 {
                    format!(
                        "no gap, no regression{}",
                        if s.without_seq > 0 {
                            format!(" ({} event(s) without one)", thousands(s.without_seq))
                        } else {
                            String::new()
                        }
                    )
                } else {
                    let mut lines = vec![format!(
                        "{} gap(s), {} regression(s)",
                        thousands(s.seq_gaps),
                        thousands(s.seq_regressions)
                    )];
                    lines.extend(s.seq_faults.iter().take(10).map(|f| {
                        format!(
                            "key {}: {} after {} at {}",
                            safe::line(&f.key),
                            f.seen,
                            f.previous,
                            f.place
                        )
                    }));
                    lines.join("\n")
                },
            );
        }
        if let Some(schemas) = self.schemas {
            let lines: Vec<String> = schemas
                .iter()
                .map(|(name, (valid, invalid))| {
                    format!(
                        "{}: {} invalid of {}",
                        safe::line(name),
                        thousands(*invalid),
                        thousands(valid + invalid)
                    )
                })
                .collect();
            rows.push(vec!["schemas".into(), lines.join("\n")]);
        }
        rows
    }
}

impl Report for StatsReport<'_> {
    fn table(&self) -> String {
        let mut out = table(&["", "findings"], self.rows(), &[]).to_string();
        out.push('\n');
        let mut lanes: Vec<&crate::analysis::stats::Lane> = self.stats.lanes.iter().collect();
        // By topic, then partition number (orders/2 before orders/10), files by name.
        lanes.sort_by_cached_key(|lane| match lane.name.rsplit_once('/') {
            Some((topic, p)) if p.parse::<u32>().is_ok() => {
                (topic.to_string(), p.parse::<u32>().unwrap_or(0))
            }
            _ => (lane.name.clone(), 0),
        });
        let partitions: Vec<Vec<String>> = lanes
            .into_iter()
            .map(|lane| vec![safe::line(&lane.name).into_owned(), thousands(lane.events)])
            .collect();
        if partitions.len() > 1 {
            out.push_str(&table(&["partition or file", "events"], partitions, &[1]).to_string());
            out.push('\n');
        }
        out
    }

    fn json(&self) -> Value {
        let s = self.stats;
        let (keys, exact) = s.distinct_keys();
        let rate = s.rate(BUCKETS);
        json!({
            "events": s.total,
            "partitions": s.lanes.iter().map(|l| (l.name.clone(), l.events)).collect::<std::collections::BTreeMap<_, _>>(),
            "first_ms": s.first_ms,
            "last_ms": s.last_ms,
            "rate": {
                "bucket_ms": rate.first().map(|b| b.width_ms),
                "buckets": rate.iter().map(|b| json!({"start_ms": b.start_ms, "events": b.events})).collect::<Vec<_>>(),
            },
            "gaps": {
                "longer_than_ms": self.gap_ms,
                "count": s.gaps.count,
                "longest": s.gaps.longest().iter().map(|(a, b)| json!({"from_ms": a, "to_ms": b, "ms": b - a})).collect::<Vec<_>>(),
            },
            "keys": {
                "distinct": keys,
                "exact": exact,
                "keyless": s.keyless,
                "top": s.top_keys().iter().map(|k| json!({
                    "key": String::from_utf8_lossy(&k.key),
                    "events": k.count,
                    "untracked_at_most": k.error,
                })).collect::<Vec<_>>(),
            },
            "payloads": {
                "sizes": s.sizes().map(|[min, p50, p99, max]| json!({"min": min, "p50": p50, "p99": p99, "max": max})),
                "tombstones": s.tombstones,
                "not_json": s.not_json,
            },
            "duplicates": {
                "ids": s.duplicates().len(),
                "extra_copies": s.duplicate_copies,
                "list": s.duplicates().iter().map(|d| json!({
                    "id": d.id, "copies": d.copies, "origins": d.places,
                })).collect::<Vec<_>>(),
            },
            "out_of_order": {
                "count": s.backwards.count,
                "worst_ms": s.backwards.worst_ms,
                "worst_at": s.backwards.worst_at,
                "first": s.backwards.first,
            },
            "schemas": self.schemas.map(|m| m.iter().map(|(name, (valid, invalid))| json!({
                "schema": name, "valid": valid, "invalid": invalid,
            })).collect::<Vec<_>>()),
            "sequence": self.seq.then(|| json!({
                "gaps": s.seq_gaps,
                "regressions": s.seq_regressions,
                "without": s.without_seq,
                "faults": s.seq_faults.iter().map(|f| json!({
                    "key": f.key, "previous": f.previous, "seen": f.seen, "origin": f.place,
                })).collect::<Vec<_>>(),
            })),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sparklines_scale_to_the_busiest() {
        assert_eq!(super::sparkline(&[0, 1, 7, 14]), " ▂▅█");
    }
}
