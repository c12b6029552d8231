//! How a diff is shown: the summary (a [`Report`]: counts per verdict and events per side),
//! then the differences as text blocks for people (coloured on a terminal), JSON lines for
//! machines, or RFC 6902 JSON Patches.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{table, Report};
use crate::analysis::compare::Change;
use crate::analysis::diff::{Counts, Difference, Pairing};
use crate::event::{Event, Payload};
use crate::pipeline::thousands;
use crate::sink::print::safe;

/// How the differences are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Patch,
}

/// The output decisions of a diff.
#[derive(Debug, Clone, Copy)]
pub struct DiffView {
    pub format: DiffFormat,
    /// Nothing at all on stdout.
    pub quiet: bool,
    pub max_diffs: Option<u64>,
    pub color: bool,
    /// The terminal's width: long values are cut to it.
    pub width: Option<usize>,
}

/// The totals of a diff.
pub struct DiffSummary {
    pub left: String,
    pub right: String,
    pub counts: Counts,
    /// Differences written (after --max-diffs).
    pub shown: u64,
}

impl DiffSummary {
    fn differences(&self) -> u64 {
        let c = &self.counts;
        c.changed + c.reordered + c.only_left + c.only_right
    }
}

impl Report for DiffSummary {
    fn table(&self) -> String {
        let c = &self.counts;
        let rows = [
            ("same", c.same),
            ("changed", c.changed),
            ("only-left", c.only_left),
            ("only-right", c.only_right),
            ("reordered", c.reordered),
        ]
        .iter()
        .map(|(verdict, n)| vec![verdict.to_string(), thousands(*n)])
        .collect();
        let verdict = if c.identical() {
            "identical".to_string()
        } else {
            format!("different: {} difference(s)", thousands(self.differences()))
        };
        format!(
            "left:  {} ({} events)\nright: {} ({} events)\n{}\n{verdict}\n",
            safe::line(&self.left),
            thousands(c.left),
            safe::line(&self.right),
            thousands(c.right),
            table(&["verdict", "events"], rows, &[1]),
        )
    }

    fn json(&self) -> Value {
        let c = &self.counts;
        json!({"summary": {
            "left": c.left,
            "right": c.right,
            "same": c.same,
            "changed": c.changed,
            "only_left": c.only_left,
            "only_right": c.only_right,
            "reordered": c.reordered,
            "identical": c.identical(),
            "shown": self.shown,
            "sources": {"left": self.left, "right": self.right},
        }})
    }
}

/// Writes the summary and the differences as `view` says; returns how many were shown.
pub fn write(
    out: &mut dyn Write,
    summary: &mut DiffSummary,
    differences: &[Difference],
    pairing: &Pairing,
    view: &DiffView,
) -> io::Result<()> {
    if view.quiet {
        return Ok(());
    }
    let limit = view.max_diffs.unwrap_or(u64::MAX);
    let shown: Vec<&Difference> = differences
        .iter()
        .filter(|d| view.format != DiffFormat::Patch || matches!(d, Difference::Changed { .. }))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    summary.shown = shown.len() as u64;
    let text = Text { pairing, view };
    match view.format {
        DiffFormat::Text => {
            out.write_all(summary.table().as_bytes())?;
            for d in &shown {
                out.write_all(b"\n")?;
                out.write_all(text.block(d).as_bytes())?;
            }
            let hidden = summary.differences() - summary.shown;
            if hidden > 0 {
                writeln!(
                    out,
                    "\n… {} more difference(s) not shown (--max-diffs)",
                    thousands(hidden)
                )?;
            }
        }
        DiffFormat::Json => {
            for d in &shown {
                out.write_all(&json_line(d, pairing))?;
            }
            writeln!(out, "{}", summary.json())?;
        }
        DiffFormat::Patch => {
            for d in &shown {
                if let Difference::Changed {
                    id,
                    left,
                    right,
                    changes,
                } = d
                {
                    let ops: Vec<Value> = changes.iter().map(Change::patch_op).collect();
                    let line = json!({
                        "id": pairing.json(id),
                        "left": left.origin.to_string(),
                        "right": right.origin.to_string(),
                        "patch": ops,
                    });
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    out.flush()
}

/// One difference as a JSON line; an only-left/only-right event is embedded as its envelope.
fn json_line(d: &Difference, pairing: &Pairing) -> Vec<u8> {
    let lone = |verdict: &str, side: &str, id: &[u8], event: &Event| {
        let head =
            json!({"verdict": verdict, "id": pairing.json(id), side: event.origin.to_string()})
                .to_string();
        let mut line = head.into_bytes();
        line.pop(); // the closing brace: the envelope goes in before it
        line.extend_from_slice(b",\"event\":");
        event.write_envelope(&mut line);
        line.extend_from_slice(b"}\n");
        line
    };
    match d {
        Difference::Changed {
            id,
            left,
            right,
            changes,
        } => {
            let changes: Vec<Value> = changes
                .iter()
                .map(|c| {
                    let mut o = json!({"path": c.path});
                    if let Some(l) = &c.left {
                        o["left"] = l.clone();
                    }
                    if let Some(r) = &c.right {
                        o["right"] = r.clone();
                    }
                    o
                })
                .collect();
            let line = json!({"verdict": "changed", "id": pairing.json(id),
                "left": left.origin.to_string(), "right": right.origin.to_string(), "changes": changes});
            format!("{line}\n").into_bytes()
        }
        Difference::Reordered { id, left, right } => {
            let line = json!({"verdict": "reordered", "id": pairing.json(id),
                "left": left.origin.to_string(), "right": right.origin.to_string()});
            format!("{line}\n").into_bytes()
        }
        Difference::OnlyLeft { id, event } => lone("only-left", "left", id, event),
        Difference::OnlyRight { id, event } => lone("only-right", "right", id, event),
    }
}

const RESET: &str = "\x1b[0m";
const CHANGED: &str = "\x1b[1;33m";
const LEFT: &str = "\x1b[31m";
const RIGHT: &str = "\x1b[32m";
const ONLY_LEFT: &str = "\x1b[1;31m";
const ONLY_RIGHT: &str = "\x1b[1;32m";
const REORDERED: &str = "\x1b[1;36m";
const PATH: &str = "\x1b[34m";

/// Text blocks for people.
struct Text<'a> {
    pairing: &'a Pairing,
    view: &'a DiffView,
}

impl Text<'_> {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.view.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// A value on one line, escaped, cut to the terminal's width.
    fn fit(&self, text: &str) -> String {
        let shown = safe::line(text);
        let room = self
            .view
            .width
            .map_or(usize::MAX, |w| w.saturating_sub(4).max(20));
        if shown.chars().count() <= room {
            return shown.into_owned();
        }
        let mut cut: String = shown.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }

    fn head(&self, style: &str, verdict: &str, id: &[u8], place: &str) -> String {
        format!(
            "{}  {}  {}\n",
            self.paint(style, verdict),
            safe::line(&self.pairing.show(id)),
            place
        )
    }

    fn block(&self, d: &Difference) -> String {
        match d {
            Difference::Changed {
                id,
                left,
                right,
                changes,
            } => {
                let mut s = self.head(
                    CHANGED,
                    "changed",
                    id,
                    &format!("{} → {}", left.origin, right.origin),
                );
                for c in changes {
                    let path = if c.path.is_empty() {
                        "(whole value)"
                    } else {
                        &c.path
                    };
                    s.push_str(&format!("  {}\n", self.paint(PATH, &safe::line(path))));
                    if let Some(l) = &c.left {
                        s.push_str(&self.paint(LEFT, &format!("  - {}", self.fit(&l.to_string()))));
                        s.push('\n');
                    }
                    if let Some(r) = &c.right {
                        s.push_str(
                            &self.paint(RIGHT, &format!("  + {}", self.fit(&r.to_string()))),
                        );
                        s.push('\n');
                    }
                }
                s
            }
            Difference::Reordered { id, left, right } => self.head(
                REORDERED,
                "reordered",
                id,
                &format!(
                    "{} ↔ {} (the same event, another place under this id)",
                    left.origin, right.origin
                ),
            ),
            Difference::OnlyLeft { id, event } => {
                let mut s = self.head(ONLY_LEFT, "only-left", id, &event.origin.to_string());
                s.push_str(&self.paint(LEFT, &format!("  - {}", self.fit(&shown_value(event)))));
                s.push('\n');
                s
            }
            Difference::OnlyRight { id, event } => {
                let mut s = self.head(ONLY_RIGHT, "only-right", id, &event.origin.to_string());
                s.push_str(&self.paint(RIGHT, &format!("  + {}", self.fit(&shown_value(event)))));
                s.push('\n');
                s
            }
        }
    }
}

/// An event's value as the envelope shows it: JSON as written, text quoted, bytes counted.
fn shown_value(event: &Event) -> String {
    let Some(bytes) = event.value.as_deref() else {
        return "(tombstone)".into();
    };
    match Payload::of(bytes) {
        Payload::Json(text) => text.to_string(),
        Payload::JsonNull => "null".into(),
        Payload::Text(text) => Value::String(text.to_string()).to_string(),
        Payload::Binary(b) => format!("({} bytes, not UTF-8)", b.len()),
    }
}
