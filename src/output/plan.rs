//! The `--explain` view of a plan: per partition, the window and the watermarks around it.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};

use crate::broker::plan::Plan;

/// Renders the plan as a table followed by the total.
pub fn explain(plan: &Plan) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "topic",
        "partition",
        "start",
        "end",
        "count",
        "low",
        "high",
    ]);
    for p in &plan.partitions {
        let open = || "(follow)".to_string();
        table.add_row([
            p.topic.to_string(),
            p.partition.to_string(),
            p.start.to_string(),
            p.end.map_or_else(open, |e| e.to_string()),
            p.count().map_or_else(open, |c| c.to_string()),
            p.low.to_string(),
            p.high.to_string(),
        ]);
    }
    for column in 1..7 {
        if let Some(c) = table.column_mut(column) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let total = plan
        .total()
        .map_or_else(|| "unbounded (following)".to_string(), |t| t.to_string());
    format!(
        "{table}\ntotal: {total} events in {} partition(s)\n",
        plan.partitions.len()
    )
}
