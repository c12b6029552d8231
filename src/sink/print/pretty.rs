//! `--format pretty`: a header line per event (where, when, key, headers) and its value as
//! indented JSON, coloured when colour is on. Key order and number text are kept as sent.

use super::{safe, show_time, value_note, Printer, TimeStyle};
use crate::event::{Event, Payload};
use crate::limits::{PRETTY_MAX_BYTES, PRETTY_MAX_INDENT};
use crate::safe::thousands;

const RESET: &str = "\x1b[0m";
const WHERE: &str = "\x1b[1;33m";
const TIME: &str = "\x1b[2m";
const KEY: &str = "\x1b[1;36m";
const HEADER: &str = "\x1b[35m";
const FIELD: &str = "\x1b[34m";
const STRING: &str = "\x1b[32m";
const LITERAL: &str = "\x1b[36m";
const NOTE: &str = "\x1b[2;3m";

pub struct PrettyPrinter {
    color: bool,
    time: TimeStyle,
}

impl PrettyPrinter {
    pub fn new(color: bool, time: TimeStyle) -> PrettyPrinter {
        PrettyPrinter { color, time }
    }

    fn paint(&self, out: &mut Vec<u8>, style: &str, text: &str) {
        if self.color {
            out.extend_from_slice(style.as_bytes());
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(RESET.as_bytes());
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }

    fn header_line(&self, event: &Event, out: &mut Vec<u8>) {
        self.paint(out, WHERE, &super::place(event));
        out.extend_from_slice(b"  ");
        self.paint(out, TIME, &show_time(event.timestamp, self.time));
        out.extend_from_slice(b"  ");
        match &event.key {
            None => self.paint(out, NOTE, "key=null"),
            Some(k) => self.paint(out, KEY, &format!("key={}", shown_bytes(k))),
        }
        for h in &event.headers {
            let value = h
                .value
                .as_deref()
                .map_or_else(|| "null".to_string(), shown_bytes);
            out.extend_from_slice(b"  ");
            self.paint(out, HEADER, &format!("{}={value}", safe::line(&h.name)));
        }
        out.push(b'\n');
    }

    fn value(&self, event: &Event, out: &mut Vec<u8>) {
        let Some(value) = &event.value else {
            out.extend_from_slice(b"  ");
            self.paint(out, NOTE, "(tombstone)");
            out.push(b'\n');
            return;
        };
        match super::shown(value) {
            Payload::Json(text) => {
                out.extend_from_slice(b"  ");
                self.indent(text, out);
            }
            Payload::JsonNull => {
                out.extend_from_slice(b"  ");
                self.paint(out, LITERAL, "null");
            }
            Payload::Text(text) => {
                let shown = cut(text, PRETTY_MAX_BYTES);
                for (i, line) in shown.split('\n').enumerate() {
                    if i > 0 {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(b"  ");
                    out.extend_from_slice(safe::text(line).as_bytes());
                }
                if text.is_empty() {
                    self.paint(out, NOTE, "(empty)");
                }
                if shown.len() < text.len() {
                    self.truncated(text.len(), out);
                }
            }
            Payload::Binary(bytes) => {
                out.extend_from_slice(b"  ");
                self.paint(out, NOTE, &format!("({})", value_note(bytes)));
            }
        }
        out.push(b'\n');
    }

    /// Indents valid one-line JSON text, keeping its tokens exactly as written (unsafe
    /// characters in strings escaped). Levels deeper than [`PRETTY_MAX_INDENT`] stay on one
    /// line; past [`PRETTY_MAX_BYTES`] of output the rest is cut, with a marker.
    fn indent(&self, text: &str, out: &mut Vec<u8>) {
        let bytes = text.as_bytes();
        let limit = out.len() + PRETTY_MAX_BYTES;
        let mut depth = 0usize;
        let mut i = 0;
        let laid_out = |depth: usize| depth <= PRETTY_MAX_INDENT;
        let plain = safe::is_plain(text);
        let newline = |out: &mut Vec<u8>, depth: usize| {
            out.push(b'\n');
            out.resize(out.len() + 2 + depth * 2, b' ');
        };
        while i < bytes.len() {
            if out.len() > limit {
                self.truncated(bytes.len(), out);
                return;
            }
            let b = bytes[i];
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'{' | b'[' => {
                    let close = if b == b'{' { b'}' } else { b']' };
                    let next = skip_ws(bytes, i + 1);
                    if bytes.get(next) == Some(&close) {
                        out.extend_from_slice(&[b, close]);
                        i = next + 1;
                    } else {
                        out.push(b);
                        depth += 1;
                        if laid_out(depth) {
                            newline(out, depth);
                        }
                        i += 1;
                    }
                }
                b'}' | b']' => {
                    if laid_out(depth) {
                        newline(out, depth.saturating_sub(1));
                    }
                    depth = depth.saturating_sub(1);
                    out.push(b);
                    i += 1;
                }
                b',' => {
                    out.push(b',');
                    if laid_out(depth) {
                        newline(out, depth);
                    }
                    i += 1;
                }
                b':' => {
                    out.extend_from_slice(b": ");
                    i += 1;
                }
                b'"' => {
                    let end = string_end(bytes, i);
                    let is_field = bytes.get(skip_ws(bytes, end)) == Some(&b':');
                    let style = if is_field { FIELD } else { STRING };
                    if plain {
                        self.paint(out, style, &text[i..end]);
                    } else {
                        self.paint(out, style, &safe::json_token(&text[i..end]));
                    }
                    i = end;
                }
                _ => {
                    let end = bytes[i..]
                        .iter()
                        .position(|c| {
                            matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n')
                        })
                        .map_or(bytes.len(), |n| i + n);
                    self.paint(out, LITERAL, &text[i..end]);
                    i = end;
                }
            }
        }
    }

    /// The marker after a value cut short.
    fn truncated(&self, whole: usize, out: &mut Vec<u8>) {
        out.push(b'\n');
        out.extend_from_slice(b"  ");
        self.paint(
            out,
            NOTE,
            &format!(
                "… (cut: the value is {} bytes; --format value or json shows it whole)",
                thousands(whole as u64)
            ),
        );
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The index just after the string literal that starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Keys and header values as a person reads them: safe text, else base64 marked as such.
fn shown_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => safe::line(text).into_owned(),
        Err(_) => {
            use base64::Engine;
            format!(
                "base64:{}",
                base64::engine::general_purpose::STANDARD.encode(bytes)
            )
        }
    }
}

impl Printer for PrettyPrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        self.header_line(event, out);
        self.value(event, out);
    }

    /// A `--jq` result, indented as jq shows it on a terminal.
    fn json(&mut self, json: &[u8], out: &mut Vec<u8>) {
        match std::str::from_utf8(json) {
            Ok(text) => {
                let start = out.len();
                self.indent(text, out);
                // The value indentation is two spaces deeper than jq's; drop it.
                let shown = String::from_utf8_lossy(&out[start..]).replace("\n  ", "\n");
                out.truncate(start);
                out.extend_from_slice(shown.as_bytes());
            }
            Err(_) => out.extend_from_slice(json),
        }
        out.push(b'\n');
    }

    fn annotate(&mut self, invalid: &super::Invalid, out: &mut Vec<u8>) {
        const INVALID: &str = "\x1b[1;31m";
        self.paint(
            out,
            INVALID,
            &format!("  ✗ invalid against {}", safe::line(&invalid.schema)),
        );
        out.push(b'\n');
        for v in &invalid.violations {
            let pointer = if v.pointer.is_empty() {
                "(root)"
            } else {
                &v.pointer
            };
            self.paint(
                out,
                INVALID,
                &safe::line(&format!("    {pointer}: {} [{}]", v.message, v.keyword)),
            );
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Header, TimestampType};
    use std::sync::Arc;

    fn render(value: Option<&[u8]>, color: bool) -> String {
        let event = Event {
            timestamp: Some(1_795_971_723_123),
            timestamp_type: TimestampType::Create,
            key: Some(b"order-17".to_vec()),
            value: value.map(<[u8]>::to_vec),
            headers: vec![Header {
                name: "trace-id".into(),
                value: Some(b"a1b2".to_vec()),
            }],
            ..Event::new(crate::event::Origin::Record {
                topic: Arc::from("orders"),
                partition: 2,
                offset: 1532,
            })
        };
        let mut out = Vec::new();
        PrettyPrinter::new(color, TimeStyle::Utc).print(&event, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn header_line_and_indented_json() {
        let text = render(
            Some(br#"{"id":17,"tags":["a","b, c"],"empty":{},"n":1.50}"#),
            false,
        );
        assert_eq!(
            text,
            "orders/2@1532  2026-11-29T17:02:03.123Z  key=order-17  trace-id=a1b2\n  {\n    \"id\": 17,\n    \"tags\": [\n      \"a\",\n      \"b, c\"\n    ],\n    \"empty\": {},\n    \"n\": 1.50\n  }\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        assert!(!render(Some(b"{\"a\":1}"), false).contains('\x1b'));
        let coloured = render(Some(b"{\"a\":1}"), true);
        assert!(coloured.contains("\x1b[34m\"a\"\x1b[0m"), "{coloured:?}");
    }

    #[test]
    fn tombstones_text_and_binary() {
        assert!(render(None, false).ends_with("  (tombstone)\n"));
        assert!(render(Some(b"hello\nworld"), false).ends_with("  hello\n  world\n"));
        assert!(render(Some(&[0xff, 0xfe]), false).ends_with("  (2 bytes of binary: ff fe)\n"));
        let framed = render(Some(&[0, 0, 0, 0, 9, b'{', b'}']), false);
        assert!(
            framed.ends_with("  (schema-id 9, 2 bytes: 7b 7d)\n"),
            "{framed}"
        );
    }

    #[test]
    fn hostile_text_cannot_drive_the_terminal() {
        let hostile = "\x1b]0;pwned\x07\x1b[2J\rover\x08\u{202e}txt.exe";
        let event = Event {
            key: Some(hostile.as_bytes().to_vec()),
            value: Some(hostile.as_bytes().to_vec()),
            headers: vec![Header {
                name: hostile.into(),
                value: Some(hostile.as_bytes().to_vec()),
            }],
            ..Event::new(crate::event::Origin::Line {
                file: Arc::from(hostile),
                line: 1,
            })
        };
        let json = format!(r#"{{"a\u001b":"{}"}}"#, "\u{202e}\u{9b}2J");
        for e in [
            event.clone(),
            Event {
                value: Some(json.into_bytes()),
                ..event
            },
        ] {
            let mut out = Vec::new();
            PrettyPrinter::new(false, TimeStyle::Utc).print(&e, &mut out);
            let text = String::from_utf8(out).unwrap();
            for c in ['\x1b', '\x07', '\r', '\x08', '\u{202e}', '\u{9b}'] {
                assert!(!text.contains(c), "{c:?} sent raw in {text:?}");
            }
            assert!(
                text.contains("\\u{1b}]0;pwned") || text.contains("\\u202e"),
                "{text}"
            );
        }
    }

    #[test]
    fn deep_values_stay_small_and_say_so() {
        // 100,000 levels: indenting every level would print ~10 GB.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let text = render(Some(deep.as_bytes()), false);
        assert!(text.len() < 2 * PRETTY_MAX_BYTES, "{} bytes", text.len());
        let indented = text
            .lines()
            .filter(|l| l.trim_start().starts_with('['))
            .count();
        assert_eq!(
            indented,
            PRETTY_MAX_INDENT + 1,
            "levels past the limit share one line"
        );
        assert!(
            text.trim_end().ends_with("]"),
            "20 KB of output fits: nothing is cut"
        );
        let wide = format!("[{}]", vec!["\"abcdefgh\""; 300_000].join(","));
        let text = render(Some(wide.as_bytes()), false);
        assert!(
            text.len() < PRETTY_MAX_BYTES + 64 * 1024,
            "{} bytes",
            text.len()
        );
        assert!(
            text.contains(
                "… (cut: the value is 3,300,001 bytes; --format value or json shows it whole)"
            ),
            "{}",
            &text[text.len() - 200..]
        );
        let long_text = "x".repeat(3 * PRETTY_MAX_BYTES);
        let text = render(Some(long_text.as_bytes()), false);
        assert!(text.len() < PRETTY_MAX_BYTES + 1024);
        assert!(text.contains("(cut: the value is 3,145,728 bytes"));
    }
}
