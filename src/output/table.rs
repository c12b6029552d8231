//! `--format table`: rows of topic, partition, offset, time, key and a shortened value.
//!
//! Rows are held back until the reader pauses or [`ROWS`] are waiting, then rendered as one
//! table, so memory stays bounded on any window.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::Printer;
use crate::event::{format_timestamp, Event, Payload};

const ROWS: usize = 200;
const VALUE_WIDTH: usize = 60;

pub struct TablePrinter {
    rows: Vec<[String; 6]>,
}

impl TablePrinter {
    pub fn new() -> TablePrinter {
        TablePrinter { rows: Vec::new() }
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= VALUE_WIDTH {
        return text.to_string();
    }
    let mut short: String = text.chars().take(VALUE_WIDTH - 1).collect();
    short.push('…');
    short
}

fn cell(bytes: Option<&[u8]>) -> String {
    match bytes.map(Payload::of) {
        None => "null".to_string(),
        Some(Payload::Json(t) | Payload::Text(t)) => shorten(&t.replace('\n', "⏎")),
        Some(Payload::JsonNull) => "null (json)".to_string(),
        Some(Payload::Binary(b)) => format!("({} bytes)", b.len()),
    }
}

impl Printer for TablePrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        self.rows.push([
            event.topic.to_string(),
            event.partition.to_string(),
            event.offset.to_string(),
            event
                .timestamp
                .and_then(format_timestamp)
                .unwrap_or_default(),
            cell(event.key.as_deref()),
            cell(event.value.as_deref()),
        ]);
        if self.rows.len() >= ROWS {
            self.flush(out);
        }
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        if self.rows.is_empty() {
            return;
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(["topic", "partition", "offset", "timestamp", "key", "value"]);
        for row in self.rows.drain(..) {
            table.add_row(row);
        }
        out.extend_from_slice(table.to_string().as_bytes());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn rows_render_on_flush() {
        let mut printer = TablePrinter::new();
        let mut out = Vec::new();
        let event = Event {
            topic: Arc::from("orders"),
            partition: 1,
            offset: 7,
            timestamp: None,
            timestamp_type: crate::event::TimestampType::Create,
            key: Some(b"k".to_vec()),
            value: Some("x".repeat(100).into_bytes()),
            headers: vec![],
        };
        printer.print(&event, &mut out);
        assert!(out.is_empty());
        printer.flush(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("orders") && text.contains("offset") && text.contains('…'),
            "{text}"
        );
    }
}
