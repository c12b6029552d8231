//! Filters shared by every reading command, cheapest first: key and header tests on bytes,
//! then `--grep` over raw bytes, then jq over the value (parsed once, only when needed), then
//! jq over the envelope, then the `--jq` transform of what is printed.

use std::sync::Arc;

use regex::bytes::Regex;

use crate::event::{Event, Unreadable};
use crate::jq::{self, Program, Unparsed};
use crate::limits::JQ_MAX_DEPTH;

/// `--header NAME` (present) or `--header NAME=REGEX` (some value matches).
#[derive(Debug, Clone)]
pub struct HeaderTest {
    pub name: String,
    pub value: Option<Regex>,
}

/// What the user asked for, checked and compiled when the configuration was built.
/// jq programs are kept as text: each thread that filters compiles its own copy.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    /// Any of these keys, exactly.
    pub keys: Vec<Vec<u8>>,
    pub key_regex: Option<Regex>,
    /// Key or value, raw bytes.
    pub grep: Option<Regex>,
    pub headers: Vec<HeaderTest>,
    pub where_value: Vec<String>,
    pub where_envelope: Vec<String>,
    pub transform: Option<String>,
}

impl Criteria {
    /// True when no filter or transform is set: every event passes untouched.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.key_regex.is_none()
            && self.grep.is_none()
            && self.headers.is_empty()
            && self.where_value.is_empty()
            && self.where_envelope.is_empty()
            && self.transform.is_none()
    }

    /// Compiles every jq program once, to report syntax errors before anything runs.
    pub fn check(&self) -> Result<(), jq::JqError> {
        self.programs()
            .try_for_each(|(flag, code)| Program::compile(flag, code).map(drop))
    }

    fn programs(&self) -> impl Iterator<Item = (&'static str, &String)> {
        let value = self.where_value.iter().map(|c| ("--where", c));
        let envelope = self.where_envelope.iter().map(|c| ("--where-envelope", c));
        value
            .chain(envelope)
            .chain(self.transform.iter().map(|c| ("--jq", c)))
    }
}

/// What filtering saw, for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilterStats {
    pub scanned: u64,
    pub matched: u64,
    /// Events a jq test or transform could not look into: the value is not JSON.
    pub not_json: u64,
    /// Events on which a jq program failed at run time (e.g. `.a` of a number).
    pub jq_errors: u64,
    /// Events jq could not safely look into: nested too deeply, or the program ran out of
    /// steps or stack on them. Each is reported with its origin.
    pub poison: u64,
}

/// A string that must appear in the raw value for a `--where` to be true: for the common
/// `.path == "TEXT"`, the value must contain `"TEXT"` (quotes included) unless it escapes
/// characters (then it is parsed as usual). Checking that costs a memory scan, not a parse.
fn required_literal(code: &str) -> Option<Vec<u8>> {
    static EQUALITY: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = EQUALITY.get_or_init(|| {
        let path = r#"(?:\.[A-Za-z_][A-Za-z0-9_]*)+"#;
        let literal = r#"("[^"\\]*")"#;
        Regex::new(&format!(
            r"^\s*(?:{path}\s*==\s*{literal}|{literal}\s*==\s*{path})\s*$"
        ))
        .expect("a valid pattern")
    });
    let caps = re.captures(code.as_bytes())?;
    caps.get(1).or(caps.get(2)).map(|m| m.as_bytes().to_vec())
}

/// The criteria, ready to run on this thread.
pub struct Filter {
    criteria: Arc<Criteria>,
    /// Literals the raw value must contain for the `--where` tests to hold.
    required: Vec<memchr::memmem::Finder<'static>>,
    where_value: Vec<Program>,
    where_envelope: Vec<Program>,
    transform: Option<Program>,
    pub stats: FilterStats,
    /// Poison events seen since the caller last took them: reported, and the stream goes on.
    pub poisoned: Vec<Unreadable>,
}

impl Filter {
    pub fn new(criteria: Arc<Criteria>) -> Result<Filter, jq::JqError> {
        let compile = |flag: &str, codes: &[String]| -> Result<Vec<Program>, jq::JqError> {
            codes.iter().map(|c| Program::compile(flag, c)).collect()
        };
        let required = criteria
            .where_value
            .iter()
            .filter_map(|code| required_literal(code))
            .map(|literal| memchr::memmem::Finder::new(&literal).into_owned())
            .collect();
        Ok(Filter {
            required,
            where_value: compile("--where", &criteria.where_value)?,
            where_envelope: compile("--where-envelope", &criteria.where_envelope)?,
            transform: criteria
                .transform
                .as_deref()
                .map(|c| Program::compile("--jq", c))
                .transpose()?,
            criteria,
            stats: FilterStats::default(),
            poisoned: Vec::new(),
        })
    }

    /// The filter for `criteria`, or `None` when there is nothing to filter.
    pub fn optional(criteria: &Arc<Criteria>) -> anyhow::Result<Option<Filter>> {
        if criteria.is_empty() {
            return Ok(None);
        }
        Filter::new(criteria.clone())
            .map(Some)
            .map_err(|e| crate::error::EvtError::usage(e.to_string()))
    }

    /// Passes the event on when it meets every criterion; with `--jq`, passes on each result
    /// of the transform instead (none, one, or several for `.[]`) until `emit` says enough.
    pub fn apply(&mut self, event: Event, emit: &mut impl FnMut(Passed<'_>) -> bool) {
        self.stats.scanned += 1;
        if !self.cheap_tests(&event) || !self.may_match_where(&event) {
            return;
        }
        let needs_value = !self.where_value.is_empty() || self.transform.is_some();
        let value = if needs_value {
            let parsed = event.value.as_deref().map(jq::parse);
            match parsed {
                Some(Ok(v)) => Some(v),
                Some(Err(Unparsed::TooDeep(depth))) => {
                    self.poison(&event, too_deep("the value", depth));
                    return;
                }
                Some(Err(Unparsed::NotJson)) | None => {
                    self.stats.not_json += 1;
                    return;
                }
            }
        } else {
            None
        };
        if let Some(v) = &value {
            if !self.all_truthy(Target::Value, v, &event) {
                return;
            }
        }
        if !self.where_envelope.is_empty() {
            let envelope = match jq::parse(event.to_envelope().as_bytes()) {
                Ok(envelope) => envelope,
                Err(Unparsed::TooDeep(depth)) => {
                    self.poison(&event, too_deep("the envelope", depth));
                    return;
                }
                Err(Unparsed::NotJson) => {
                    self.stats.not_json += 1;
                    return;
                }
            };
            if !self.all_truthy(Target::Envelope, &envelope, &event) {
                return;
            }
        }
        self.stats.matched += 1;
        let (Some(program), Some(v)) = (&self.transform, value) else {
            emit(Passed::Event(event));
            return;
        };
        let (mut refused, mut deep) = (None, None);
        for out in program.run(v) {
            let out = match out {
                Ok(out) => jq::to_json(&out),
                Err(_) => match jq::tripped() {
                    Some(why) => {
                        refused = Some(why);
                        break;
                    }
                    None => {
                        self.stats.jq_errors += 1;
                        continue;
                    }
                },
            };
            match out {
                Ok(json) => {
                    if !emit(Passed::Json(&event, json)) {
                        return;
                    }
                }
                Err(depth) => deep = Some(depth),
            }
        }
        if let Some(why) = refused {
            self.refused(Target::Transform, 0, why, &event);
        } else if let Some(depth) = deep {
            self.poison(&event, too_deep("a --jq result", depth));
        }
    }

    /// Reports an event jq could not look into; an interrupt is not the event's fault.
    fn refused(&mut self, target: Target, index: usize, why: &'static str, event: &Event) {
        if why == jq::INTERRUPTED {
            return;
        }
        let c = &self.criteria;
        let (flag, code) = match target {
            Target::Value => ("--where", &c.where_value[index]),
            Target::Envelope => ("--where-envelope", &c.where_envelope[index]),
            Target::Transform => ("--jq", c.transform.as_ref().expect("a transform ran")),
        };
        self.poison(event, format!("{flag} '{code}' {why}; event skipped"));
    }

    fn poison(&mut self, event: &Event, reason: String) {
        self.stats.poison += 1;
        self.poisoned.push(Unreadable {
            origin: event.origin.clone(),
            reason,
        });
    }

    /// Key, header and byte tests: no parsing.
    fn cheap_tests(&self, event: &Event) -> bool {
        let c = &self.criteria;
        let key = event.key.as_deref();
        if !c.keys.is_empty() && !key.is_some_and(|k| c.keys.iter().any(|want| want == k)) {
            return false;
        }
        if let Some(re) = &c.key_regex {
            if !key.is_some_and(|k| re.is_match(k)) {
                return false;
            }
        }
        for test in &c.headers {
            let found = event
                .headers
                .iter()
                .filter(|h| h.name == test.name)
                .any(|h| match &test.value {
                    None => true,
                    Some(re) => h.value.as_deref().is_some_and(|v| re.is_match(v)),
                });
            if !found {
                return false;
            }
        }
        if let Some(re) = &c.grep {
            let in_key = key.is_some_and(|k| re.is_match(k));
            if !in_key && !event.value.as_deref().is_some_and(|v| re.is_match(v)) {
                return false;
            }
        }
        true
    }

    /// False when a required literal is missing from a value that escapes nothing.
    fn may_match_where(&self, event: &Event) -> bool {
        let Some(value) = event.value.as_deref() else {
            return true;
        };
        if self.required.is_empty() || memchr::memchr(b'\\', value).is_some() {
            return true;
        }
        // Text that cannot be JSON goes on to the parse, so it is counted as non-JSON.
        let first = value.iter().find(|b| !b.is_ascii_whitespace());
        if !matches!(first, Some(b'{' | b'[' | b'"')) {
            return true;
        }
        self.required.iter().all(|f| f.find(value).is_some())
    }

    fn all_truthy(&mut self, target: Target, input: &jaq_json::Val, event: &Event) -> bool {
        let programs = match target {
            Target::Value => &self.where_value,
            Target::Envelope => &self.where_envelope,
            Target::Transform => unreachable!("a transform is not a test"),
        };
        let mut failed = None;
        for (index, program) in programs.iter().enumerate() {
            match program.is_truthy(input.clone()) {
                Ok(true) => {}
                Ok(false) => return false,
                Err(_) => {
                    failed = Some((index, jq::tripped()));
                    break;
                }
            }
        }
        match failed {
            None => true,
            Some((index, Some(why))) => {
                self.refused(target, index, why, event);
                false
            }
            Some((_, None)) => {
                self.stats.jq_errors += 1;
                false
            }
        }
    }
}

fn too_deep(what: &str, depth: usize) -> String {
    format!(
        "{what} is nested {}{depth} levels deep, more than jq may look into ({JQ_MAX_DEPTH}); event skipped",
        if depth > JQ_MAX_DEPTH { "at least " } else { "" }
    )
}

#[derive(Clone, Copy)]
enum Target {
    Value,
    Envelope,
    Transform,
}

/// What passes the filters: the event itself, or one `--jq` result (plain JSON) with the
/// event it came from.
pub enum Passed<'e> {
    Event(Event),
    Json(&'e Event, Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Header, TimestampType};

    fn event(key: &str, value: &[u8], headers: &[(&str, &str)]) -> Event {
        Event {
            timestamp: Some(0),
            timestamp_type: TimestampType::Create,
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.to_vec()),
            headers: headers
                .iter()
                .map(|(n, v)| Header {
                    name: n.to_string(),
                    value: Some(v.as_bytes().to_vec()),
                })
                .collect(),
            ..Event::new(crate::event::Origin::Record {
                topic: Arc::from("orders"),
                partition: 3,
                offset: 9,
            })
        }
    }

    fn run(criteria: Criteria, events: Vec<Event>) -> (Vec<Event>, FilterStats) {
        let mut filter = Filter::new(Arc::new(criteria)).unwrap();
        let mut out = Vec::new();
        for e in events {
            filter.apply(e, &mut |passed| {
                out.push(match passed {
                    Passed::Event(e) => e,
                    // A test's view of a jq result: the event with the result as its value.
                    Passed::Json(e, json) => Event {
                        value: Some(json),
                        ..e.clone()
                    },
                });
                true
            });
        }
        (out, filter.stats)
    }

    fn keys(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .map(|e| String::from_utf8(e.key.clone().unwrap()).unwrap())
            .collect()
    }

    fn sample() -> Vec<Event> {
        vec![
            event(
                "order-1",
                br#"{"status":"FAILED","amount":150}"#,
                &[("trace-id", "t1")],
            ),
            event(
                "order-2",
                br#"{"status":"PAID","amount":50}"#,
                &[("trace-id", "t2"), ("retry", "1")],
            ),
            event("order-3", b"not json at all FAILED", &[]),
            event(
                "order-1",
                br#"{"status":"PAID","amount":150}"#,
                &[("trace-id", "t1")],
            ),
        ]
    }

    #[test]
    fn no_criteria_passes_everything() {
        assert!(Criteria::default().is_empty());
        let (out, stats) = run(Criteria::default(), sample());
        assert_eq!(out.len(), 4);
        assert_eq!(
            stats,
            FilterStats {
                scanned: 4,
                matched: 4,
                not_json: 0,
                jq_errors: 0,
                poison: 0
            }
        );
    }

    #[test]
    fn keys_any_of() {
        let c = Criteria {
            keys: vec![b"order-1".to_vec(), b"order-3".to_vec()],
            ..Criteria::default()
        };
        assert_eq!(keys(&run(c, sample()).0), ["order-1", "order-3", "order-1"]);
        let c = Criteria {
            key_regex: Some(Regex::new("-[23]$").unwrap()),
            ..Criteria::default()
        };
        assert_eq!(keys(&run(c, sample()).0), ["order-2", "order-3"]);
    }

    #[test]
    fn headers_present_and_matching() {
        let present = Criteria {
            headers: vec![HeaderTest {
                name: "retry".into(),
                value: None,
            }],
            ..Criteria::default()
        };
        assert_eq!(keys(&run(present, sample()).0), ["order-2"]);
        let matching = Criteria {
            headers: vec![HeaderTest {
                name: "trace-id".into(),
                value: Some(Regex::new("^t1$").unwrap()),
            }],
            ..Criteria::default()
        };
        assert_eq!(keys(&run(matching, sample()).0), ["order-1", "order-1"]);
    }

    #[test]
    fn grep_searches_key_and_raw_value() {
        let c = Criteria {
            grep: Some(Regex::new("FAILED|order-2").unwrap()),
            ..Criteria::default()
        };
        assert_eq!(keys(&run(c, sample()).0), ["order-1", "order-2", "order-3"]);
    }

    #[test]
    fn where_needs_json_and_counts_the_rest() {
        let c = Criteria {
            where_value: vec![r#".status == "FAILED""#.into()],
            ..Criteria::default()
        };
        let (out, stats) = run(c, sample());
        assert_eq!(keys(&out), ["order-1"]);
        assert_eq!(
            stats,
            FilterStats {
                scanned: 4,
                matched: 1,
                not_json: 1,
                jq_errors: 0,
                poison: 0
            }
        );
    }

    #[test]
    fn filters_combine_with_and() {
        let c = Criteria {
            keys: vec![b"order-1".to_vec()],
            where_value: vec![".amount > 100".into(), r#".status == "PAID""#.into()],
            ..Criteria::default()
        };
        let (out, _) = run(c, sample());
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].value.as_deref(),
            Some(&br#"{"status":"PAID","amount":150}"#[..])
        );
    }

    #[test]
    fn cheap_tests_run_before_parsing() {
        // The key test rejects the non-JSON event first, so it is not counted as non-JSON.
        let c = Criteria {
            keys: vec![b"order-1".to_vec()],
            where_value: vec![".amount > 0".into()],
            ..Criteria::default()
        };
        let (_, stats) = run(c, sample());
        assert_eq!(stats.not_json, 0);
    }

    #[test]
    fn where_envelope_sees_metadata() {
        let c = Criteria {
            where_envelope: vec![r#".partition == 3 and (.headers | any(.[0] == "retry"))"#.into()],
            ..Criteria::default()
        };
        assert_eq!(keys(&run(c, sample()).0), ["order-2"]);
    }

    #[test]
    fn transform_reshapes_and_may_fan_out() {
        let c = Criteria {
            transform: Some("{s: .status}".into()),
            ..Criteria::default()
        };
        let (out, stats) = run(c, sample());
        let values: Vec<&[u8]> = out.iter().map(|e| e.value.as_deref().unwrap()).collect();
        assert_eq!(
            values,
            [
                &br#"{"s":"FAILED"}"#[..],
                br#"{"s":"PAID"}"#,
                br#"{"s":"PAID"}"#
            ]
        );
        assert_eq!(stats.not_json, 1);
        let c = Criteria {
            transform: Some(".[]".into()),
            ..Criteria::default()
        };
        let (out, _) = run(c, vec![event("k", b"[1,2,3]", &[])]);
        assert_eq!(out.len(), 3);
        assert_eq!(out[2].offset, Some(9), "the origin is kept");
    }

    #[test]
    fn equality_literals_are_found() {
        assert_eq!(
            required_literal(r#".status == "FAILED""#),
            Some(br#""FAILED""#.to_vec())
        );
        assert_eq!(
            required_literal(r#" "X" == .a.b "#),
            Some(br#""X""#.to_vec())
        );
        for code in [
            r#".status != "FAILED""#,
            r#".status == "FAILED" or .x"#,
            r#"(.status == "FAILED") | not"#,
            r#".status == "A\"B""#,
            ".n == 1",
            r#".a[0] == "x""#,
        ] {
            assert_eq!(required_literal(code), None, "{code}");
        }
    }

    #[test]
    fn the_literal_shortcut_never_changes_results() {
        let c = Criteria {
            where_value: vec![r#".status == "FAILED""#.into()],
            ..Criteria::default()
        };
        let events = vec![
            event("a", br#"{"status":"FAILED"}"#, &[]),
            event("b", br#"{"status":"FAIL\u0045D"}"#, &[]),
            event("c", br#"{"status":"PAID","note":"FAILED"}"#, &[]),
            event("d", br#"{"other":"\"FAILED\""}"#, &[]),
        ];
        let (out, _) = run(c, events);
        assert_eq!(
            keys(&out),
            ["a", "b"],
            "escaped text is parsed, quoted text elsewhere does not match"
        );
    }

    #[test]
    fn runtime_errors_do_not_match() {
        let c = Criteria {
            where_value: vec![".a.b > 1".into()],
            ..Criteria::default()
        };
        let (out, stats) = run(c, vec![event("k", b"5", &[])]);
        assert!(out.is_empty());
        assert_eq!(stats.jq_errors, 1);
    }
}
