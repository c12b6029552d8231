//! How two events are compared: their values as JSON (key order, whitespace and `1` vs `1.0`
//! do not matter; ignored paths are removed first), other payloads byte by byte, and with
//! `--compare envelope` also key, headers and timestamp. The result is a list of field-level
//! [`Change`]s, each a JSON pointer with the value on each side: empty means equal.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use super::path::Path;
use crate::event::{format_timestamp, Event, Header, PROVENANCE};
use crate::limits::DIFF_MAX_DEPTH;

/// What a comparison looks at.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Key, headers and timestamp besides the value.
    pub envelope: bool,
    /// Paths into the value that are removed before comparing.
    pub ignore: Vec<Path>,
    pub ignore_headers: bool,
    pub ignore_timestamps: bool,
}

/// One field that differs: where (a JSON pointer, RFC 6901) and what each side holds there
/// (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub path: String,
    pub left: Option<Value>,
    pub right: Option<Value>,
}

impl Change {
    /// The RFC 6902 operation that turns the left side into the right at this path.
    pub fn patch_op(&self) -> Value {
        match (&self.left, &self.right) {
            (None, Some(v)) => json!({"op": "add", "path": self.path, "value": v}),
            (Some(_), None) => json!({"op": "remove", "path": self.path}),
            (_, v) => json!({"op": "replace", "path": self.path, "value": v}),
        }
    }
}

/// A payload as the comparison sees it.
enum Payload {
    /// A tombstone.
    Absent,
    Json(Value),
    /// Not JSON: compared byte by byte, shown as text or base64.
    Bytes(Value),
}

fn payload(bytes: Option<&[u8]>, ignore: &[Path]) -> Payload {
    let Some(bytes) = bytes else {
        return Payload::Absent;
    };
    match parse(bytes) {
        Some(mut value) => {
            for path in ignore {
                path.remove(&mut value);
            }
            Payload::Json(value)
        }
        None => Payload::Bytes(shown_bytes(bytes)),
    }
}

/// `bytes` as a JSON value, at any depth up to [`DIFF_MAX_DEPTH`] (serde's own limit is 128
/// levels); `None` when they are not JSON, or nest deeper.
pub fn parse(bytes: &[u8]) -> Option<Value> {
    if crate::limits::nesting(bytes, DIFF_MAX_DEPTH) > DIFF_MAX_DEPTH {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let value = serde::Deserialize::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// Bytes as text when they are UTF-8, else as `{"base64": …}`.
fn shown_bytes(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => json!({ "base64": BASE64.encode(bytes) }),
    }
}

/// The changes that turn `left` into `right` under `rules` (empty: the events are equal).
pub fn compare(rules: &Rules, left: &Event, right: &Event) -> Vec<Change> {
    let mut changes = Vec::new();
    let prefix = if rules.envelope { "/value" } else { "" };
    if left.value != right.value {
        let l = payload(left.value.as_deref(), &rules.ignore);
        let r = payload(right.value.as_deref(), &rules.ignore);
        let mut path = prefix.to_string();
        match (l, r) {
            (Payload::Json(l), Payload::Json(r)) => diff_values(&l, &r, &mut path, &mut changes),
            (l, r) => {
                let (l, r) = (side(l), side(r));
                if l != r {
                    changes.push(Change {
                        path,
                        left: l,
                        right: r,
                    });
                }
            }
        }
    }
    if rules.envelope {
        envelope_changes(rules, left, right, &mut changes);
    }
    changes
}

fn side(payload: Payload) -> Option<Value> {
    match payload {
        Payload::Absent => None,
        Payload::Json(v) => Some(v),
        Payload::Bytes(v) => Some(json!({ "bytes": v })),
    }
}

fn envelope_changes(rules: &Rules, left: &Event, right: &Event, changes: &mut Vec<Change>) {
    if left.key != right.key {
        changes.push(Change {
            path: "/key".into(),
            left: left.key.as_deref().map(shown_bytes),
            right: right.key.as_deref().map(shown_bytes),
        });
    }
    if !rules.ignore_headers && compared(&left.headers).ne(compared(&right.headers)) {
        let shown = |e: &Event| {
            Value::Array(
                compared(&e.headers)
                    .map(|h| json!([h.name, h.value.as_deref().map(shown_bytes)]))
                    .collect(),
            )
        };
        changes.push(Change {
            path: "/headers".into(),
            left: Some(shown(left)),
            right: Some(shown(right)),
        });
    }
    if !rules.ignore_timestamps && left.timestamp != right.timestamp {
        let shown = |e: &Event| e.timestamp.and_then(format_timestamp).map(Value::String);
        changes.push(Change {
            path: "/timestamp".into(),
            left: shown(left),
            right: shown(right),
        });
    }
}

/// The headers a comparison looks at: all but evt's own provenance header, which a replay
/// adds to every copy.
fn compared(headers: &[Header]) -> impl Iterator<Item = &Header> {
    headers.iter().filter(|h| h.name != PROVENANCE)
}

/// Field-level differences between two JSON values, in an order that applies as a patch:
/// array elements past the shorter side are removed from the end backwards, added forwards.
pub fn diff_values(left: &Value, right: &Value, path: &mut String, out: &mut Vec<Change>) {
    let at = path.len();
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => {
            // Both maps are sorted by key (serde_json without preserve_order): one merge walk.
            let (mut li, mut ri) = (l.iter().peekable(), r.iter().peekable());
            loop {
                let order = match (li.peek(), ri.peek()) {
                    (None, None) => break,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some((lk, _)), Some((rk, _))) => lk.cmp(rk),
                };
                match order {
                    std::cmp::Ordering::Less => {
                        let (k, v) = li.next().expect("peeked");
                        push_key(path, k);
                        out.push(change(path, Some(v), None));
                    }
                    std::cmp::Ordering::Greater => {
                        let (k, v) = ri.next().expect("peeked");
                        push_key(path, k);
                        out.push(change(path, None, Some(v)));
                    }
                    std::cmp::Ordering::Equal => {
                        let ((k, lv), (_, rv)) =
                            (li.next().expect("peeked"), ri.next().expect("peeked"));
                        push_key(path, k);
                        diff_values(lv, rv, path, out);
                    }
                }
                path.truncate(at);
            }
        }
        (Value::Array(l), Value::Array(r)) => {
            let common = l.len().min(r.len());
            for i in 0..common {
                push_key(path, &i.to_string());
                diff_values(&l[i], &r[i], path, out);
                path.truncate(at);
            }
            for i in (common..l.len()).rev() {
                push_key(path, &i.to_string());
                out.push(change(path, Some(&l[i]), None));
                path.truncate(at);
            }
            for (i, v) in r.iter().enumerate().skip(common) {
                push_key(path, &i.to_string());
                out.push(change(path, None, Some(v)));
                path.truncate(at);
            }
        }
        (Value::Number(l), Value::Number(r)) => {
            if !same_number(l, r) {
                out.push(change(path, Some(left), Some(right)));
            }
        }
        (l, r) => {
            if l != r {
                out.push(change(path, Some(l), Some(r)));
            }
        }
    }
}

fn change(path: &str, left: Option<&Value>, right: Option<&Value>) -> Change {
    Change {
        path: path.to_string(),
        left: left.cloned(),
        right: right.cloned(),
    }
}

/// Appends `/key` to a JSON pointer, escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`).
fn push_key(path: &mut String, key: &str) {
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// Numbers by value, exactly: 1, 1.0 and 1e0 are one number; two integers of 30 digits that
/// differ in the last are two.
fn same_number(l: &serde_json::Number, r: &serde_json::Number) -> bool {
    if let (Some(a), Some(b)) = (l.as_i64(), r.as_i64()) {
        return a == b;
    }
    canonical_number(l) == canonical_number(r)
}

/// The event as the comparison sees it, as bytes that are equal exactly when two events
/// compare equal (object keys sorted, numbers by value, ignored paths removed): finds the
/// same event at another place under one id.
pub fn canonical(rules: &Rules, event: &Event) -> Vec<u8> {
    let mut out = Vec::new();
    match payload(event.value.as_deref(), &rules.ignore) {
        Payload::Absent => out.push(b'A'),
        Payload::Json(v) => {
            out.push(b'J');
            write_canonical_value(&v, &mut out);
        }
        Payload::Bytes(_) => {
            out.push(b'B');
            out.extend_from_slice(event.value.as_deref().unwrap_or_default());
        }
    }
    if rules.envelope {
        // Lengths keep the parts apart: no two different envelopes write the same bytes.
        let mut part = |bytes: Option<&[u8]>| match bytes {
            None => out.push(b'-'),
            Some(b) => {
                out.extend_from_slice(format!("|{}:", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
        };
        part(event.key.as_deref());
        if !rules.ignore_headers {
            for h in compared(&event.headers) {
                part(Some(h.name.as_bytes()));
                part(h.value.as_deref());
            }
        }
        if !rules.ignore_timestamps {
            part(
                event
                    .timestamp
                    .map(|t| t.to_string())
                    .as_deref()
                    .map(str::as_bytes),
            );
        }
    }
    out
}

pub fn write_canonical_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Number(n) => out.extend_from_slice(canonical_number(n).as_bytes()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical_value(v, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.push(b'{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::String(k.clone()).to_string().as_bytes());
                out.push(b':');
                write_canonical_value(v, out);
            }
            out.push(b'}');
        }
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// A number's text, the same for every spelling of one value and different for different
/// values, at any precision (serde_json keeps the number's text: `arbitrary_precision`):
/// `-12.50e1` → `-125`, `0.0010` → `0.001`, `1.0` → `1`, `2.5e-30` → `25e-31`.
fn canonical_number(n: &serde_json::Number) -> String {
    let text = n.to_string();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (
            &unsigned[..i],
            unsigned[i + 1..].parse::<i64>().unwrap_or(0),
        ),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return "0".into();
    }
    let trimmed = significant.trim_end_matches('0');
    // value = 0.DIGITS × 10^(exponent + whole.len()); written as TRIMMED × 10^e.
    let leading_zeros = (digits.len() - significant.len()) as i64;
    let e = exponent + whole.len() as i64 - leading_zeros - trimmed.len() as i64;
    let sign = if negative { "-" } else { "" };
    let places = trimmed.len() as i64;
    // Plain decimals where they are short (ids and amounts read as written), else exponent.
    if (0..=24).contains(&e) {
        format!("{sign}{trimmed}{}", "0".repeat(e as usize))
    } else if e < 0 && -e < places {
        let point = (places + e) as usize;
        format!("{sign}{}.{}", &trimmed[..point], &trimmed[point..])
    } else if e < 0 && -e - places <= 6 {
        format!("{sign}0.{}{trimmed}", "0".repeat((-e - places) as usize))
    } else {
        format!("{sign}{trimmed}e{e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Origin;
    use std::sync::Arc;

    fn event(value: &str) -> Event {
        Event {
            value: Some(value.as_bytes().to_vec()),
            ..Event::new(Origin::Line {
                file: Arc::from("f"),
                line: 1,
            })
        }
    }

    fn paths(changes: &[Change]) -> Vec<&str> {
        changes.iter().map(|c| c.path.as_str()).collect()
    }

    #[test]
    fn key_order_whitespace_and_number_spelling_do_not_matter() {
        let rules = Rules::default();
        let a = event(r#"{"a":1,"b":[1,2],"c":{"x":0.5}}"#);
        let b = event(r#"{ "c": {"x": 5e-1}, "b": [1.0, 2], "a": 1 }"#);
        assert!(compare(&rules, &a, &b).is_empty());
        assert_eq!(canonical(&rules, &a), canonical(&rules, &b));
    }

    #[test]
    fn changes_name_the_field_and_both_values() {
        let rules = Rules::default();
        let a = event(r#"{"status":"PAID","items":[{"qty":2}],"gone":true,"a/b":1}"#);
        let b = event(r#"{"status":"FAILED","items":[{"qty":3},{"qty":1}],"new":null,"a/b":1}"#);
        let changes = compare(&rules, &a, &b);
        assert_eq!(
            paths(&changes),
            ["/gone", "/items/0/qty", "/items/1", "/new", "/status"]
        );
        assert_eq!(changes[0].right, None);
        assert_eq!(changes[1].left, Some(json!(2)));
        assert_eq!(changes[1].right, Some(json!(3)));
        assert_eq!(changes[3].left, None);
        assert_eq!(changes[3].right, Some(Value::Null));
        let mut key = String::new();
        push_key(&mut key, "a/b~c");
        assert_eq!(key, "/a~1b~0c");
    }

    #[test]
    fn canonical_numbers_are_short_json() {
        let shown = |t: &str| canonical_number(&serde_json::from_str(t).unwrap());
        assert_eq!(shown("-12.50e1"), "-125");
        assert_eq!(shown("0.0010"), "0.001");
        assert_eq!(shown("1.0"), "1");
        assert_eq!(shown("12.5"), "12.5");
        assert_eq!(shown("2.5e-30"), "25e-31");
        assert_eq!(shown("1e30"), "1e30");
        assert_eq!(shown("-0.0"), "0");
    }

    #[test]
    fn numbers_compare_exactly_at_any_precision() {
        let rules = Rules::default();
        for (a, b) in [
            ("1", "1.0"),
            ("125", "12.50e1"),
            ("-0.001", "-1e-3"),
            ("0", "0.0e5"),
            ("1E2", "100"),
        ] {
            let (a, b) = (
                event(&format!(r#"{{"n":{a}}}"#)),
                event(&format!(r#"{{"n":{b}}}"#)),
            );
            assert!(compare(&rules, &a, &b).is_empty(), "{a:?} {b:?}");
            assert_eq!(canonical(&rules, &a), canonical(&rules, &b));
        }
        for (a, b) in [
            (
                "123456789012345678901234567890",
                "123456789012345678901234567891",
            ),
            ("0.1000000000000000000001", "0.1"),
            ("1", "-1"),
            ("10", "1"),
        ] {
            let (a, b) = (
                event(&format!(r#"{{"n":{a}}}"#)),
                event(&format!(r#"{{"n":{b}}}"#)),
            );
            assert_eq!(paths(&compare(&rules, &a, &b)), ["/n"], "{a:?} {b:?}");
            assert_ne!(canonical(&rules, &a), canonical(&rules, &b));
        }
    }

    #[test]
    fn ignored_paths_are_not_compared() {
        let rules = Rules {
            ignore: vec![
                Path::parse(".updated_at").unwrap(),
                Path::parse(".items[].at").unwrap(),
            ],
            ..Rules::default()
        };
        let a = event(r#"{"id":1,"updated_at":5,"items":[{"n":1,"at":1}]}"#);
        let b = event(r#"{"id":1,"updated_at":6,"items":[{"n":1,"at":2}]}"#);
        assert!(compare(&rules, &a, &b).is_empty());
        let c = event(r#"{"id":2,"updated_at":6,"items":[{"n":1,"at":2}]}"#);
        assert_eq!(paths(&compare(&rules, &a, &c)), ["/id"]);
        assert_ne!(canonical(&rules, &a), canonical(&rules, &c));
    }

    #[test]
    fn other_payloads_are_compared_as_bytes() {
        let rules = Rules::default();
        let text = compare(&rules, &event("hello"), &event("hello!"));
        assert_eq!(paths(&text), [""]);
        assert_eq!(text[0].right, Some(json!({"bytes": "hello!"})));
        let mut binary = event("x");
        binary.value = Some(vec![0xff, 0]);
        let changes = compare(&rules, &event("x"), &binary);
        assert_eq!(changes[0].right, Some(json!({"bytes": {"base64": "/wA="}})));
        // A tombstone is not the JSON null.
        let mut tombstone = event("x");
        tombstone.value = None;
        let changes = compare(&rules, &tombstone, &event("null"));
        assert_eq!(
            (changes[0].left.clone(), changes[0].right.clone()),
            (None, Some(Value::Null))
        );
    }

    #[test]
    fn the_envelope_adds_key_headers_and_timestamp() {
        let mut a = event(r#"{"a":1}"#);
        let mut b = a.clone();
        a.key = Some(b"k1".to_vec());
        b.key = Some(b"k2".to_vec());
        b.timestamp = Some(1);
        b.headers.push(Header {
            name: "trace".into(),
            value: Some(b"x".to_vec()),
        });
        assert!(compare(&Rules::default(), &a, &b).is_empty());
        let mut rules = Rules {
            envelope: true,
            ..Rules::default()
        };
        assert_eq!(
            paths(&compare(&rules, &a, &b)),
            ["/key", "/headers", "/timestamp"]
        );
        // A replay's provenance header is evt's own: never a difference.
        a.headers = b.headers.clone();
        a.headers.push(Header {
            name: PROVENANCE.into(),
            value: Some(b"orders/1/2".to_vec()),
        });
        assert_eq!(paths(&compare(&rules, &a, &b)), ["/key", "/timestamp"]);
        assert_eq!(
            canonical(&rules, &a)[..],
            canonical(&rules, &{
                let mut c = b.clone();
                c.key = a.key.clone();
                c.timestamp = a.timestamp;
                c
            })[..]
        );
        rules.ignore_headers = true;
        rules.ignore_timestamps = true;
        assert_eq!(paths(&compare(&rules, &a, &b)), ["/key"]);
    }

    #[test]
    fn deep_values_are_json_up_to_the_limit() {
        let nested = |depth: usize, one: &str, space: &str| {
            format!(
                "{}{one}{}",
                format!("[{space}").repeat(depth),
                "]".repeat(depth)
            )
        };
        let rules = Rules::default();
        let (a, b) = (nested(500, "1", ""), nested(500, "1.0", " "));
        assert!(compare(&rules, &event(&a), &event(&b)).is_empty());
        assert_eq!(canonical(&rules, &event(&a)), canonical(&rules, &event(&b)));
        // Past the limit: bytes.
        let (a, b) = (
            nested(DIFF_MAX_DEPTH + 1, "1", ""),
            nested(DIFF_MAX_DEPTH + 1, "1.0", ""),
        );
        assert_eq!(paths(&compare(&rules, &event(&a), &event(&b))), [""]);
    }

    #[test]
    fn a_patch_turns_left_into_right() {
        let left = json!({"a": [1, 2, 3], "b": 1, "c": {"d": 1}});
        let right = json!({"a": [1], "b": 2, "e": true, "c": {}});
        let mut changes = Vec::new();
        diff_values(&left, &right, &mut String::new(), &mut changes);
        let mut doc = left.clone();
        for c in &changes {
            apply(&mut doc, &c.patch_op());
        }
        assert_eq!(doc, right);
    }

    /// A minimal RFC 6902 applier (add, remove, replace) for the test above.
    fn apply(doc: &mut Value, op: &Value) {
        let path = op["path"].as_str().unwrap();
        let (parent, last) = path.rsplit_once('/').unwrap();
        let last = last.replace("~1", "/").replace("~0", "~");
        let target = doc.pointer_mut(parent).unwrap();
        match (op["op"].as_str().unwrap(), target) {
            ("remove", Value::Object(m)) => {
                m.remove(&last);
            }
            ("remove", Value::Array(a)) => {
                a.remove(last.parse().unwrap());
            }
            ("add" | "replace", Value::Object(m)) => {
                m.insert(last, op["value"].clone());
            }
            ("add", Value::Array(a)) => a.insert(last.parse().unwrap(), op["value"].clone()),
            ("replace", Value::Array(a)) => a[last.parse::<usize>().unwrap()] = op["value"].clone(),
            other => panic!("unexpected {other:?}"),
        }
    }
}
