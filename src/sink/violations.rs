//! Reports of `evt validate`: text, JSON lines, GitHub workflow annotations or JUnit XML, and
//! a summary table. The format is chosen once; each invalid event is reported as it is found
//! (JUnit, whose header needs the totals, keeps the invalid ones until the end).

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::Table;

use crate::event::Origin as Place;
use crate::report::{render, Report, Style};
use crate::validate::{Verdict, Violation};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// One block per invalid event, then a summary table.
    Text,
    /// One JSON object per invalid event.
    Json,
    /// GitHub Actions workflow annotations (::error file=…,line=…::…).
    Github,
    /// A JUnit XML report (CI dashboards).
    Junit,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub checked: u64,
    pub valid: u64,
    pub invalid: u64,
    pub unchecked: u64,
    /// schema → (checked, invalid)
    pub by_schema: BTreeMap<String, (u64, u64)>,
    /// keyword → violations
    pub by_keyword: BTreeMap<String, u64>,
}

/// Writes the chosen report while events are checked.
pub struct Reporter {
    format: ReportFormat,
    warn_unchecked: bool,
    /// Colours in the text report (a terminal, NO_COLOR unset).
    color: bool,
    pub tally: Tally,
    junit: Vec<(Place, String, Vec<Violation>)>,
}

/// What a report says of the event besides its place: its time and key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen<'a> {
    pub timestamp: Option<i64>,
    pub key: Option<&'a [u8]>,
}

impl Seen<'_> {
    fn key_text(&self) -> Option<String> {
        self.key
            .map(|k| crate::safe::line(&String::from_utf8_lossy(k)).into_owned())
    }

    fn time_text(&self) -> Option<String> {
        self.timestamp.and_then(crate::event::format_timestamp)
    }
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const DIM: &str = "\x1b[2m";
const BLUE: &str = "\x1b[34m";
const RESET: &str = "\x1b[0m";

impl Reporter {
    pub fn new(format: ReportFormat, warn_unchecked: bool, color: bool) -> Reporter {
        Reporter {
            format,
            warn_unchecked,
            color,
            tally: Tally::default(),
            junit: Vec::new(),
        }
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    /// Records one event's verdict, writing what the format shows of it.
    pub fn record(
        &mut self,
        place: &Place,
        seen: Seen<'_>,
        verdict: Verdict,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        let t = &mut self.tally;
        t.checked += 1;
        match verdict {
            Verdict::Valid { schema } => {
                t.valid += 1;
                t.by_schema.entry(schema).or_default().0 += 1;
            }
            Verdict::Unchecked { reason } => {
                t.checked -= 1;
                t.unchecked += 1;
                if self.warn_unchecked {
                    eprintln!("evt: warning: {place}: {reason}");
                }
            }
            Verdict::Invalid { schema, violations } => {
                t.invalid += 1;
                let entry = t.by_schema.entry(schema.clone()).or_default();
                entry.0 += 1;
                entry.1 += 1;
                for v in &violations {
                    *t.by_keyword.entry(v.keyword.clone()).or_default() += 1;
                }
                self.invalid(place, seen, schema, violations, out)?;
            }
        }
        Ok(())
    }

    fn invalid(
        &mut self,
        place: &Place,
        seen: Seen<'_>,
        schema: String,
        violations: Vec<Violation>,
        out: &mut impl Write,
    ) -> std::io::Result<()> {
        match self.format {
            ReportFormat::Text => {
                let mut about = String::new();
                if let Some(time) = seen.time_text() {
                    about.push_str(&format!(" {}", self.paint(DIM, &time)));
                }
                if let Some(key) = seen.key_text() {
                    about.push_str(&format!(" key={key}"));
                }
                writeln!(
                    out,
                    "{}{about}: {} against {schema} ({} violation(s))",
                    self.paint(YELLOW, &crate::safe::line(&place.to_string())),
                    self.paint(RED, "invalid"),
                    violations.len()
                )?;
                for v in &violations {
                    let pointer = if v.pointer.is_empty() {
                        "(root)"
                    } else {
                        &v.pointer
                    };
                    writeln!(
                        out,
                        "  {}: {} [{} at {}]",
                        self.paint(BLUE, pointer),
                        v.message,
                        v.keyword,
                        or_root(&v.schema_path)
                    )?;
                }
            }
            ReportFormat::Json => {
                let errors: Vec<serde_json::Value> = violations
                    .iter()
                    .map(|v| serde_json::json!({"pointer": v.pointer, "keyword": v.keyword, "schema_path": v.schema_path, "message": v.message}))
                    .collect();
                let mut line = serde_json::json!({
                    "place": place.to_string(),
                    "timestamp": seen.time_text(),
                    "key": seen.key.map(|k| String::from_utf8_lossy(k).into_owned()),
                    "schema": schema,
                    "violations": errors,
                });
                match place {
                    Place::Line { file, line: n } => {
                        line["file"] = file.to_string().into();
                        line["line"] = (*n).into();
                    }
                    Place::Item { file, index } => {
                        line["file"] = file.to_string().into();
                        line["index"] = (*index).into();
                    }
                    Place::Record {
                        topic,
                        partition,
                        offset,
                    } => {
                        line["topic"] = topic.to_string().into();
                        line["partition"] = (*partition).into();
                        line["offset"] = (*offset).into();
                    }
                    Place::Made { .. } => {}
                }
                writeln!(out, "{line}")?;
            }
            ReportFormat::Github => {
                for v in &violations {
                    let pointer = if v.pointer.is_empty() {
                        "(root)"
                    } else {
                        &v.pointer
                    };
                    let message = escape_data(&format!(
                        "{pointer}: {} [{} at {}]",
                        v.message,
                        v.keyword,
                        or_root(&v.schema_path)
                    ));
                    match place {
                        Place::Line { file, line } => writeln!(
                            out,
                            "::error file={},line={line},title={}::{message}",
                            escape_property(file),
                            escape_property(&format!("schema {schema}"))
                        )?,
                        Place::Item { file, index } => writeln!(
                            out,
                            "::error file={},title={}::{message}",
                            escape_property(file),
                            escape_property(&format!("[{index}] schema {schema}"))
                        )?,
                        Place::Record { .. } | Place::Made { .. } => writeln!(
                            out,
                            "::error title={}::{}",
                            escape_property(&format!("{place} schema {schema}")),
                            message
                        )?,
                    }
                }
            }
            ReportFormat::Junit => self.junit.push((place.clone(), schema, violations)),
        }
        Ok(())
    }

    /// Writes what comes at the end: the JUnit document, and the summary (stdout for text,
    /// stderr for the machine formats, so their stdout stays parseable).
    pub fn finish(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        if self.format == ReportFormat::Junit {
            self.write_junit(out)?;
        }
        let summary = render(&self.tally, Style::Table);
        if self.format == ReportFormat::Text {
            write!(out, "{summary}")?;
        } else {
            eprint!("{summary}");
        }
        out.flush()
    }
}

impl Report for Tally {
    fn table(&self) -> String {
        let t = self;
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(["", "checked", "valid", "invalid"]);
        table.add_row([
            "all events".to_string(),
            t.checked.to_string(),
            t.valid.to_string(),
            t.invalid.to_string(),
        ]);
        for (schema, (checked, invalid)) in &t.by_schema {
            table.add_row([
                format!("schema {schema}"),
                checked.to_string(),
                (checked - invalid).to_string(),
                invalid.to_string(),
            ]);
        }
        let mut text = table.to_string();
        if !t.by_keyword.is_empty() {
            let mut keywords = Table::new();
            keywords
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["keyword", "violations"]);
            for (k, n) in &t.by_keyword {
                keywords.add_row([k.clone(), n.to_string()]);
            }
            text.push('\n');
            text.push_str(&keywords.to_string());
        }
        if t.unchecked > 0 {
            text.push_str(&format!(
                "\n{} event(s) had no schema and were not checked",
                t.unchecked
            ));
        }
        text.push('\n');
        text
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "checked": self.checked,
            "valid": self.valid,
            "invalid": self.invalid,
            "unchecked": self.unchecked,
            "by_schema": self.by_schema.iter().map(|(s, (c, i))| serde_json::json!({"schema": s, "checked": c, "invalid": i})).collect::<Vec<_>>(),
            "by_keyword": self.by_keyword,
        })
    }
}

impl Reporter {
    fn write_junit(&self, out: &mut impl Write) -> std::io::Result<()> {
        let t = &self.tally;
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="evt validate" tests="{}" failures="{}">"#,
            t.checked, t.invalid
        )?;
        writeln!(
            out,
            r#"  <testsuite name="evt validate" tests="{}" failures="{}">"#,
            t.checked, t.invalid
        )?;
        if t.valid > 0 {
            writeln!(
                out,
                r#"    <testcase classname="evt.validate" name="{} valid event(s)"/>"#,
                t.valid
            )?;
        }
        for (place, schema, violations) in &self.junit {
            let first = violations
                .first()
                .map(|v| v.message.as_str())
                .unwrap_or("invalid");
            let details: Vec<String> = violations
                .iter()
                .map(|v| {
                    format!(
                        "{}: {} [{} at {}]",
                        if v.pointer.is_empty() {
                            "(root)"
                        } else {
                            &v.pointer
                        },
                        v.message,
                        v.keyword,
                        or_root(&v.schema_path)
                    )
                })
                .collect();
            writeln!(
                out,
                r#"    <testcase classname="{}" name="{}">"#,
                xml(schema),
                xml(&place.to_string())
            )?;
            writeln!(
                out,
                r#"      <failure message="{}" type="schema">{}</failure>"#,
                xml(first),
                xml(&details.join("\n"))
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>\n</testsuites>")
    }
}

fn or_root(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

/// Workflow command data: `%`, CR and LF are escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties also escape `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation() -> Violation {
        Violation {
            pointer: "/total".into(),
            keyword: "type".into(),
            schema_path: "/properties/total/type".into(),
            message: "\"12.50\" is not of type \"number\"".into(),
        }
    }

    fn report(format: ReportFormat) -> String {
        let mut r = Reporter::new(format, false, false);
        let mut out = Vec::new();
        let place = Place::Line {
            file: "fixtures/orders.jsonl".into(),
            line: 3,
        };
        let seen = Seen {
            timestamp: Some(1_767_225_600_000),
            key: Some(b"order-7"),
        };
        r.record(
            &place,
            seen,
            Verdict::Valid {
                schema: "orders.json".into(),
            },
            &mut out,
        )
        .unwrap();
        r.record(
            &place,
            seen,
            Verdict::Invalid {
                schema: "orders.json".into(),
                violations: vec![violation()],
            },
            &mut out,
        )
        .unwrap();
        r.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn colours_only_when_asked() {
        let mut r = Reporter::new(ReportFormat::Text, false, true);
        let mut out = Vec::new();
        let place = Place::Line {
            file: "f".into(),
            line: 1,
        };
        let invalid = Verdict::Invalid {
            schema: "s.json".into(),
            violations: vec![violation()],
        };
        r.record(&place, Seen::default(), invalid, &mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\x1b[1;31minvalid\x1b[0m"), "{text}");
        assert!(!report(ReportFormat::Text).contains('\x1b'));
    }

    #[test]
    fn text_report() {
        let text = report(ReportFormat::Text);
        assert!(text.starts_with("fixtures/orders.jsonl:3 2026-01-01T00:00:00.000Z key=order-7: invalid against orders.json (1 violation(s))\n  /total: \"12.50\" is not of type \"number\" [type at /properties/total/type]\n"), "{text}");
        assert!(
            text.contains("all events") && text.contains("keyword"),
            "{text}"
        );
    }

    #[test]
    fn json_report() {
        let text = report(ReportFormat::Json);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["timestamp"], "2026-01-01T00:00:00.000Z");
        assert_eq!(v["key"], "order-7");
        assert_eq!(v["line"], 3);
        assert_eq!(v["violations"][0]["pointer"], "/total");
    }

    #[test]
    fn github_annotations() {
        let text = report(ReportFormat::Github);
        assert_eq!(
            text.lines().next().unwrap(),
            "::error file=fixtures/orders.jsonl,line=3,title=schema orders.json::/total: \"12.50\" is not of type \"number\" [type at /properties/total/type]"
        );
    }

    #[test]
    fn junit_xml() {
        let text = report(ReportFormat::Junit);
        assert!(
            text.contains(r#"<testsuite name="evt validate" tests="2" failures="1">"#),
            "{text}"
        );
        assert!(
            text.contains(r#"<testcase classname="orders.json" name="fixtures/orders.jsonl:3">"#),
            "{text}"
        );
        assert!(text.contains("&quot;12.50&quot;"), "{text}");
    }
}
