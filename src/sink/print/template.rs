//! `--format template='…'` (or `-f '…'`): one line (or whatever the template says) per event,
//! with kcat's tokens and evt's own:
//!
//! | token | what |
//! |---|---|
//! | `%s` / `%k` | the value / the key (raw bytes; tombstone or no key: empty) |
//! | `%S` / `%K` | their lengths in bytes (`-1` when absent, as kcat) |
//! | `%t` `%p` `%o` | topic, partition, offset |
//! | `%T` | the timestamp in ms since the epoch (`-1` when none) |
//! | `%h` | the headers, `name=value` separated by commas |
//! | `%{time}` | the timestamp as `--time` says (UTC ISO by default) |
//! | `%{json}` | the lossless envelope |
//! | `%{.path}` | a path into the value (`.order.id`, `.items[0]`): strings bare, other JSON as JSON |
//! | `%%` | a `%` |
//! | `\n` `\t` `\r` `\\` | newline, tab, carriage return, backslash |
//!
//! On a terminal every field is shown as safe text (control characters escaped); piped, keys
//! and values are written as they are, as kcat writes them.

use super::{safe, show_time, Printer, TimeStyle};
use crate::analysis::path::Path;
use crate::event::Event;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(Vec<u8>),
    Value,
    Key,
    ValueLen,
    KeyLen,
    Topic,
    Partition,
    Offset,
    TimestampMs,
    Headers,
    Time,
    Json,
    Path(Path),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
    /// Whether any piece needs the headers.
    pub headers: bool,
}

impl Template {
    /// Parses a template; an unknown token is an error naming it and the tokens there are.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut chars = text.chars().peekable();
        let flush = |literal: &mut Vec<u8>, pieces: &mut Vec<Piece>| {
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(literal)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => literal.push(b'\n'),
                    Some('t') => literal.push(b'\t'),
                    Some('r') => literal.push(b'\r'),
                    Some('\\') => literal.push(b'\\'),
                    Some(other) => {
                        literal.push(b'\\');
                        let mut buf = [0u8; 4];
                        literal.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                    }
                    None => literal.push(b'\\'),
                },
                '%' => {
                    let piece = match chars.next() {
                        Some('%') => {
                            literal.push(b'%');
                            continue;
                        }
                        Some('s') => Piece::Value,
                        Some('k') => Piece::Key,
                        Some('S') => Piece::ValueLen,
                        Some('K') => Piece::KeyLen,
                        Some('t') => Piece::Topic,
                        Some('p') => Piece::Partition,
                        Some('o') => Piece::Offset,
                        Some('T') => Piece::TimestampMs,
                        Some('h') => Piece::Headers,
                        Some('{') => {
                            let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                            match name.as_str() {
                                "time" => Piece::Time,
                                "json" => Piece::Json,
                                path if path.starts_with('.') => Piece::Path(
                                    Path::parse(path).map_err(|e| format!("%{{{path}}}: {e}"))?,
                                ),
                                other => {
                                    return Err(format!(
                                        "unknown token %{{{other}}}; evt's are %{{time}}, %{{json}} and %{{.path}}"
                                    ))
                                }
                            }
                        }
                        other => {
                            return Err(format!(
                                "unknown token %{}; the tokens are %s %k %S %K %t %p %o %T %h %{{time}} %{{json}} %{{.path}} and %%",
                                other.map(String::from).unwrap_or_default()
                            ))
                        }
                    };
                    flush(&mut literal, &mut pieces);
                    pieces.push(piece);
                }
                c => {
                    let mut buf = [0u8; 4];
                    literal.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        flush(&mut literal, &mut pieces);
        let headers = pieces
            .iter()
            .any(|p| matches!(p, Piece::Headers | Piece::Json));
        Ok(Template { pieces, headers })
    }
}

pub struct TemplatePrinter {
    template: Template,
    time: TimeStyle,
    /// Stdout is a terminal: fields are shown as safe text.
    terminal: bool,
}

impl TemplatePrinter {
    pub fn new(template: Template, time: TimeStyle, terminal: bool) -> TemplatePrinter {
        TemplatePrinter {
            template,
            time,
            terminal,
        }
    }

    /// Event bytes (key, value, header values): as they are when piped, safe text on a
    /// terminal.
    fn bytes(&self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.terminal {
            out.extend_from_slice(safe::text(&String::from_utf8_lossy(bytes)).as_bytes());
        } else {
            out.extend_from_slice(bytes);
        }
    }

    fn text(&self, text: &str, out: &mut Vec<u8>) {
        self.bytes(text.as_bytes(), out);
    }
}

impl Printer for TemplatePrinter {
    fn print(&mut self, event: &Event, out: &mut Vec<u8>) {
        let number = |n: Option<i64>| n.map_or_else(|| "-1".to_string(), |n| n.to_string());
        for piece in &self.template.pieces {
            match piece {
                Piece::Text(text) => out.extend_from_slice(text),
                Piece::Value => self.bytes(event.value.as_deref().unwrap_or_default(), out),
                Piece::Key => self.bytes(event.key.as_deref().unwrap_or_default(), out),
                Piece::ValueLen => out.extend_from_slice(
                    number(event.value.as_ref().map(|v| v.len() as i64)).as_bytes(),
                ),
                Piece::KeyLen => out.extend_from_slice(
                    number(event.key.as_ref().map(|k| k.len() as i64)).as_bytes(),
                ),
                Piece::Topic => {
                    let topic = event.topic.as_deref().or(event.origin.file()).unwrap_or("");
                    self.text(topic, out);
                }
                Piece::Partition => {
                    out.extend_from_slice(number(event.partition.map(i64::from)).as_bytes())
                }
                Piece::Offset => out.extend_from_slice(number(event.offset).as_bytes()),
                Piece::TimestampMs => out.extend_from_slice(number(event.timestamp).as_bytes()),
                Piece::Headers => {
                    for (i, h) in event.headers.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        self.text(&h.name, out);
                        out.push(b'=');
                        self.bytes(h.value.as_deref().unwrap_or_default(), out);
                    }
                }
                Piece::Time => {
                    out.extend_from_slice(show_time(event.timestamp, self.time).as_bytes())
                }
                Piece::Json => out.extend_from_slice(event.to_envelope().as_bytes()),
                Piece::Path(path) => {
                    let found = event.value.as_deref().and_then(|v| path.extract(v));
                    match found {
                        Some(serde_json::Value::String(s)) => self.text(&s, out),
                        Some(other) => self.text(&other.to_string(), out),
                        None => {}
                    }
                }
            }
        }
    }

    /// A `--jq` result: one line, as jq prints it.
    fn json(&mut self, json: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(json);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Header, Origin};
    use std::sync::Arc;

    fn event() -> Event {
        Event {
            timestamp: Some(1_767_225_600_123),
            key: Some(b"order-7".to_vec()),
            value: Some(br#"{"type":"OrderPaid","order":{"id":7,"total":9.5}}"#.to_vec()),
            headers: vec![
                Header {
                    name: "trace".into(),
                    value: Some(b"t1".to_vec()),
                },
                Header {
                    name: "n".into(),
                    value: None,
                },
            ],
            ..Event::new(Origin::Record {
                topic: Arc::from("orders"),
                partition: 2,
                offset: 41,
            })
        }
    }

    fn render(template: &str, event: &Event, terminal: bool) -> String {
        let mut printer =
            TemplatePrinter::new(Template::parse(template).unwrap(), TimeStyle::Utc, terminal);
        let mut out = Vec::new();
        printer.print(event, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn kcat_tokens_print_as_kcat_prints_them() {
        let e = event();
        assert_eq!(
            render(r"%T %t [%p] @%o %k: %s\n", &e, false),
            "1767225600123 orders [2] @41 order-7: {\"type\":\"OrderPaid\",\"order\":{\"id\":7,\"total\":9.5}}\n"
        );
        assert_eq!(render("%K %S|%h|100%%", &e, false), "7 49|trace=t1,n=|100%");
        let mut tombstone = event();
        tombstone.value = None;
        tombstone.key = None;
        tombstone.timestamp = None;
        assert_eq!(render("%S %K %T [%s]", &tombstone, false), "-1 -1 -1 []");
    }

    #[test]
    fn evt_tokens_give_time_paths_and_the_envelope() {
        let e = event();
        assert_eq!(
            render(
                r"%{time}\t%{.type}\t%{.order.id}\t%{.order}\t%{.missing}",
                &e,
                false
            ),
            "2026-01-01T00:00:00.123Z\tOrderPaid\t7\t{\"id\":7,\"total\":9.5}\t"
        );
        let json = render("%{json}", &e, false);
        let back = Event::from_envelope(
            &json,
            Origin::Line {
                file: Arc::from("x"),
                line: 1,
            },
        )
        .unwrap();
        assert_eq!(back.value, e.value);
        assert!(Template::parse("%{json}").unwrap().headers);
        assert!(!Template::parse("%s").unwrap().headers);
    }

    #[test]
    fn control_characters_are_escaped_on_a_terminal_only() {
        let mut e = event();
        e.value = Some(b"\x1b[31mred".to_vec());
        assert_eq!(render("%s", &e, false), "\x1b[31mred");
        assert!(!render("%s", &e, true).contains('\x1b'));
    }

    #[test]
    fn unknown_tokens_are_refused_with_the_list() {
        let err = Template::parse("%x").unwrap_err();
        assert!(
            err.contains("unknown token %x") && err.contains("%{json}"),
            "{err}"
        );
        let err = Template::parse("%{nope}").unwrap_err();
        assert!(err.contains("%{nope}"), "{err}");
        assert!(Template::parse("%{.a..b}").is_err());
    }
}
