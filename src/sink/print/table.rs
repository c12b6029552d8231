//! `--format table`: one table for the whole stream (header once), fitted to the terminal.
//!
//! The first rows are held back (up to [`SIZING_ROWS`], or until the source pauses) to size
//! the columns; after that each row is printed as it comes, cells too long for their column
//! cut with an ellipsis. Memory stays bounded on any window.

use super::{show_time, Printer, TimeStyle};
use crate::event::{Event, Payload};

/// Rows held back to size the columns.
const SIZING_ROWS: usize = 200;
/// The width used when stdout is not a terminal.
const DEFAULT_WIDTH: usize = 160;
const GAP: &str = "  ";
const HEADER: [&str; 6] = ["topic", "partition", "offset", "timestamp", "key", "value"];
/// Columns whose text is right-aligned (numbers).
const RIGHT: [bool; 6] = [false, true, true, false, false, false];

pub struct TablePrinter {
    width: usize,
    time: TimeStyle,
    held: Vec<[String; 6]>,
    columns: Option<[usize; 6]>,
}

impl TablePrinter {
    pub fn new(terminal_width: Option<usize>, time: TimeStyle) -> TablePrinter {
        TablePrinter {
            width: terminal_width.unwrap_or(DEFAULT_WIDTH).max(40),
            time,
            held: Vec::new(),
            columns: None,
        }
    }

    /// Column widths from the held rows: every column as wide as its widest cell, then key
    /// and value shrunk (value first) until the row fits the terminal.
    fn size(&self) -> [usize; 6] {
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &self.held {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let gaps = GAP.len() * (HEADER.len() - 1);
        let fixed: usize = widths[..4].iter().sum::<usize>() + gaps;
        let room = self.width.saturating_sub(fixed).max(16);
        // The key gets at most a third of the room; the value the rest.
        widths[4] = widths[4].min(room / 3).max(3);
        widths[5] = widths[5].min(room.saturating_sub(widths[4] + 1)).max(5);
        widths
    }

    fn render_row(&self, row: &[String; 6], out: &mut Vec<u8>) {
        let widths = self.columns.expect("columns are sized before rows print");
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str(GAP);
            }
            let text = fit(cell, widths[i]);
            let pad = widths[i].saturating_sub(text.chars().count());
            let last = i == row.len() - 1;
            if RIGHT[i] {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(&text);
            } else {
                line.push_str(&text);
                if !last {
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        out.extend_from_slice(line.trim_end().as_bytes());
        out.push(b'\n');
    }

    fn start(&mut self, out: &mut Vec<u8>) {
        let widths = self.size();
        self.columns = Some(widths);
        self.render_row(&HEADER.map(String::from), out);
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        out.extend_from_slice(rule.join(GAP).as_bytes());
        out.push(b'\n');
        for row in std::mem::take(&mut self.held) {
            self.render_row(&row, out);
        }
    }
}

/// The text cut to `width` characters, with an ellipsis when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut short: String = text.chars().take(width.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// A key or value as one line of safe text: control characters are shown, never sent.
fn cell(bytes: Option<&[u8]>) -> String {
    let text = match bytes.map(super::shown) {
        None => return "null".to_string(),
        Some(Payload::Json(t) | Payload::Text(t)) => t,
        Some(Payload::JsonNull) => return "null (json)".to_string(),
        Some(Payload::Binary(b)) => return format!("({})", super::value_note(b)),
    };
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => shown.push('⏎'),
            '\t' => shown.push(' '),
            c if c.is_control() || super::safe::is_bidi_control(c) => {
                shown.push_str(&c.escape_unicode().to_string());
            }
            c => shown.push(c),
        }
    }
    shown
}

impl Printer for TablePrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        let time = match event.timestamp {
            Some(_) => show_time(event.timestamp, self.time),
            None => String::new(),
        };
        let number = |n: Option<i64>| n.map_or_else(String::new, |n| n.to_string());
        let topic = match (&event.topic, event.origin.file()) {
            (Some(t), _) => t.to_string(),
            (None, Some(file)) => file.to_string(),
            (None, None) => String::new(),
        };
        let row = [
            cell(Some(topic.as_bytes())),
            number(event.partition.map(i64::from)),
            number(event.offset),
            time,
            cell(event.key.as_deref()),
            cell(event.value.as_deref()),
        ];
        if self.columns.is_some() {
            self.render_row(&row, out);
        } else {
            self.held.push(row);
            if self.held.len() >= SIZING_ROWS {
                self.start(out);
            }
        }
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        if self.columns.is_none() && !self.held.is_empty() {
            self.start(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn event(offset: i64, value: &str) -> Event {
        Event {
            key: Some(b"k".to_vec()),
            value: Some(value.as_bytes().to_vec()),
            ..Event::new(crate::event::Origin::Record {
                topic: Arc::from("orders"),
                partition: 1,
                offset,
            })
        }
    }

    #[test]
    fn one_header_for_the_whole_stream_and_rows_fit_the_width() {
        let mut printer = TablePrinter::new(Some(80), TimeStyle::Utc);
        let mut out = Vec::new();
        printer.print(&event(7, &"x".repeat(300)), &mut out);
        assert!(
            out.is_empty(),
            "the first rows are held to size the columns"
        );
        printer.flush(&mut out);
        for offset in 8..600 {
            printer.print(&event(offset, "{\"a\":1}"), &mut out);
            if offset % 100 == 0 {
                printer.flush(&mut out);
            }
        }
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("partition").count(), 1, "one header");
        assert_eq!(text.lines().count(), 2 + 593);
        assert!(
            text.lines().all(|l| l.chars().count() <= 80),
            "every line fits 80 columns:\n{text}"
        );
        assert!(text.lines().nth(2).unwrap().ends_with('…'), "{text}");
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        let shown = cell(Some("a\x1b[2Jb\u{202e}c\nd".as_bytes()));
        assert!(
            !shown.contains('\x1b') && !shown.contains('\u{202e}'),
            "{shown}"
        );
        assert!(shown.contains("\\u{1b}") && shown.contains('⏎'), "{shown}");
    }
}
