//! `--format compact`: one line per event for terminals that want no multi-line view:
//! time, place, key, then the value (JSON as sent, text made safe, binary described).

use super::{safe, show_time, value_note, Printer, TimeStyle};
use crate::event::{Event, Payload};

const RESET: &str = "\x1b[0m";
const WHERE: &str = "\x1b[1;33m";
const TIME: &str = "\x1b[2m";
const KEY: &str = "\x1b[1;36m";
const NOTE: &str = "\x1b[2;3m";

pub struct CompactPrinter {
    color: bool,
    time: TimeStyle,
}

impl CompactPrinter {
    pub fn new(color: bool, time: TimeStyle) -> CompactPrinter {
        CompactPrinter { color, time }
    }

    fn paint(&self, out: &mut Vec<u8>, style: &str, text: &str) {
        if self.color {
            out.extend_from_slice(style.as_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        if self.color {
            out.extend_from_slice(RESET.as_bytes());
        }
    }
}

impl Printer for CompactPrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        self.paint(out, TIME, &show_time(event.timestamp, self.time));
        out.push(b' ');
        self.paint(out, WHERE, &super::place(event));
        out.push(b' ');
        match &event.key {
            Some(key) => self.paint(out, KEY, &safe::line(&String::from_utf8_lossy(key))),
            None => self.paint(out, NOTE, "-"),
        }
        out.push(b' ');
        match event.value.as_deref().map(super::shown) {
            None => self.paint(out, NOTE, "(tombstone)"),
            Some(Payload::Json(text)) => out.extend_from_slice(safe::line(text).as_bytes()),
            Some(Payload::JsonNull) => out.extend_from_slice(b"null"),
            Some(Payload::Text(text)) => out.extend_from_slice(safe::line(text).as_bytes()),
            Some(Payload::Binary(bytes)) => self.paint(out, NOTE, &value_note(bytes)),
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use std::sync::Arc;

    #[test]
    fn one_line_per_event_with_time_place_key_and_value() {
        let mut printer = CompactPrinter::new(false, TimeStyle::Utc);
        let mut out = Vec::new();
        let event = Event {
            timestamp: Some(1_767_225_600_123),
            key: Some(b"order-7".to_vec()),
            value: Some(b"{\"a\":1}".to_vec()),
            ..Event::new(Origin::Record {
                topic: Arc::from("orders"),
                partition: 2,
                offset: 41,
            })
        };
        printer.print(&event, &mut out);
        let framed = Event {
            value: Some([&[0, 0, 0, 0, 42][..], &[1, 2, 3]].concat()),
            key: None,
            ..event.clone()
        };
        printer.print(&framed, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-01-01T00:00:00.123Z orders/2@41 order-7 {\"a\":1}\n\
             2026-01-01T00:00:00.123Z orders/2@41 - schema-id 42, 3 bytes: 01 02 03\n"
        );
    }
}
