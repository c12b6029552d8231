//! Aggregate reports (the `--explain` plan, replay's dry run, run summaries, validation
//! totals): each one is a [`Report`] with a table form for people and a JSON form for
//! machines, rendered in one place.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use serde_json::{json, Value};

use crate::broker::Plan;

pub mod diff;
pub mod inspect;
pub mod stats;
pub mod trace;

/// How a report is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Table,
    Json,
}

/// An aggregate output.
pub trait Report {
    /// The table form (with any lines that go with it), ending in a newline.
    fn table(&self) -> String;
    /// The JSON form.
    fn json(&self) -> Value;
}

/// The report in the chosen style, ending in a newline.
pub fn render(report: &dyn Report, style: Style) -> String {
    match style {
        Style::Table => report.table(),
        Style::Json => format!("{}\n", report.json()),
    }
}

/// A table with evt's look: header row, numbers right-aligned in the given columns, fitted
/// to the terminal's width on a terminal (long cells wrap), unchanged when piped.
pub fn table(header: &[&str], rows: Vec<Vec<String>>, numeric: &[usize]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    for row in rows {
        table.add_row(row);
    }
    for &column in numeric {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

impl Report for Plan {
    fn table(&self) -> String {
        let open = || "(follow)".to_string();
        let rows = self
            .partitions
            .iter()
            .map(|p| {
                vec![
                    p.topic.to_string(),
                    p.partition.to_string(),
                    p.start.to_string(),
                    p.end.map_or_else(open, |e| e.to_string()),
                    p.count().map_or_else(open, |c| c.to_string()),
                    p.low.to_string(),
                    p.high.to_string(),
                ]
            })
            .collect();
        let table = table(
            &["topic", "partition", "start", "end", "count", "low", "high"],
            rows,
            &[1, 2, 3, 4, 5, 6],
        );
        let total = self
            .total()
            .map_or_else(|| "unbounded (following)".to_string(), |t| t.to_string());
        format!(
            "{table}\ntotal: {total} events in {} partition(s)\n",
            self.partitions.len()
        )
    }

    fn json(&self) -> Value {
        json!({
            "partitions": self.partitions.iter().map(|p| json!({
                "topic": &*p.topic,
                "partition": p.partition,
                "start": p.start,
                "end": p.end,
                "count": p.count(),
                "low": p.low,
                "high": p.high,
            })).collect::<Vec<_>>(),
            "total": self.total(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::PartitionPlan;
    use std::sync::Arc;

    #[test]
    fn a_plan_renders_as_table_and_json() {
        let plan = Plan {
            partitions: vec![PartitionPlan {
                topic: Arc::from("orders"),
                partition: 1,
                low: 0,
                high: 10,
                start: 4,
                end: Some(9),
            }],
        };
        let text = render(&plan, Style::Table);
        assert!(text.contains("orders") && text.ends_with("total: 5 events in 1 partition(s)\n"));
        let v: Value = serde_json::from_str(&render(&plan, Style::Json)).unwrap();
        assert_eq!(v["partitions"][0]["start"], 4);
        assert_eq!(v["total"], 5);
    }
}
