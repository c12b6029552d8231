//! Paths into a JSON value, in the jq notation users already type: `.order_id`, `.a.b[0]`,
//! `."odd key"`, `.items[].updated_at` (`[]` is every element of an array or every field of an
//! object). Used to choose the pairing id (`diff --by .order_id`, one value: no `[]`) and the
//! fields a comparison ignores (`--ignore`, any number of values).

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
    /// `[]`: every element or field.
    Every,
}

/// A parsed path; `.` alone is the whole value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    text: String,
    steps: Vec<Step>,
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    /// Parses `.a.b[0]."c d"[]`; the error says what is wrong, for a usage message.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut steps = Vec::new();
        let mut rest = text.trim();
        if !rest.starts_with('.') {
            return Err("a path starts with '.' (e.g. .order_id, .items[].id)".into());
        }
        if rest == "." {
            return Ok(Path {
                text: text.trim().to_string(),
                steps,
            });
        }
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let (inside, tail) = after
                    .split_once(']')
                    .ok_or_else(|| "'[' without ']'".to_string())?;
                steps.push(bracket(inside.trim())?);
                rest = tail;
            } else if let Some(after) = rest.strip_prefix('.') {
                if after.starts_with('[') {
                    rest = after;
                    continue;
                }
                let (step, tail) = field(after)?;
                steps.push(step);
                rest = tail;
            } else {
                return Err(format!("unexpected '{rest}'"));
            }
        }
        Ok(Path {
            text: text.trim().to_string(),
            steps,
        })
    }

    /// True when the path may stand for several values (it has `[]`).
    pub fn is_wildcard(&self) -> bool {
        self.steps.contains(&Step::Every)
    }

    /// The value at this path (a path without `[]`), if there is one.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.steps.iter().try_fold(value, |v, step| match step {
            Step::Field(name) => v.as_object()?.get(name),
            Step::Index(i) => v.as_array()?.get(*i),
            Step::Every => None,
        })
    }

    /// Removes every value this path reaches (nothing when it reaches none). The whole value
    /// (`.`) becomes null.
    pub fn remove(&self, value: &mut Value) {
        match self.steps.split_last() {
            None => *value = Value::Null,
            Some((last, parents)) => remove_at(value, parents, last),
        }
    }
}

fn remove_at(value: &mut Value, parents: &[Step], last: &Step) {
    let Some((step, rest)) = parents.split_first() else {
        match (value, last) {
            (Value::Object(map), Step::Field(name)) => {
                map.remove(name);
            }
            (Value::Array(items), Step::Index(i)) if *i < items.len() => {
                items.remove(*i);
            }
            (Value::Object(map), Step::Every) => map.clear(),
            (Value::Array(items), Step::Every) => items.clear(),
            _ => {}
        }
        return;
    };
    match (value, step) {
        (Value::Object(map), Step::Field(name)) => {
            if let Some(v) = map.get_mut(name) {
                remove_at(v, rest, last);
            }
        }
        (Value::Array(items), Step::Index(i)) => {
            if let Some(v) = items.get_mut(*i) {
                remove_at(v, rest, last);
            }
        }
        (Value::Object(map), Step::Every) => {
            map.values_mut().for_each(|v| remove_at(v, rest, last))
        }
        (Value::Array(items), Step::Every) => {
            items.iter_mut().for_each(|v| remove_at(v, rest, last))
        }
        _ => {}
    }
}

/// `[]`, `[3]` or `["name"]`.
fn bracket(inside: &str) -> Result<Step, String> {
    if inside.is_empty() {
        return Ok(Step::Every);
    }
    if let Ok(i) = inside.parse::<usize>() {
        return Ok(Step::Index(i));
    }
    if inside.starts_with('"') {
        return serde_json::from_str::<String>(inside)
            .map(Step::Field)
            .map_err(|_| format!("[{inside}] is not a quoted name"));
    }
    Err(format!(
        "[{inside}]: use [] (every element), [N] (an index) or [\"name\"]"
    ))
}

/// `name…` or `"quoted name"…` after a '.': the step and what follows it.
fn field(text: &str) -> Result<(Step, &str), String> {
    if text.starts_with('"') {
        let mut escaped = false;
        for (i, c) in text.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let name = serde_json::from_str::<String>(&text[..=i])
                        .map_err(|_| format!("{} is not a quoted name", &text[..=i]))?;
                    return Ok((Step::Field(name), &text[i + 1..]));
                }
                _ => escaped = false,
            }
        }
        return Err("a quoted name without its closing '\"'".into());
    }
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(text.len());
    if end == 0 {
        return Err(format!(
            "expected a field name after '.', found '{}'",
            text.chars().next().map_or(String::new(), String::from)
        ));
    }
    Ok((Step::Field(text[..end].to_string()), &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_fields_indexes_and_quoted_names() {
        let v = json!({"a": {"b": [10, {"c d": 7}]}, "order_id": 17});
        let at = |p: &str| Path::parse(p).unwrap().get(&v).cloned();
        assert_eq!(at(".order_id"), Some(json!(17)));
        assert_eq!(at(".a.b[0]"), Some(json!(10)));
        assert_eq!(at(".a.b[1].\"c d\""), Some(json!(7)));
        assert_eq!(at(".a[\"b\"][1][\"c d\"]"), Some(json!(7)));
        assert_eq!(at(".missing"), None);
        assert_eq!(at(".order_id.x"), None);
        assert_eq!(at("."), Some(v.clone()));
    }

    #[test]
    fn wildcards_remove_from_every_element() {
        let mut v = json!({"items": [{"id": 1, "updated_at": 5}, {"id": 2, "updated_at": 6}], "updated_at": 9});
        let every = Path::parse(".items[].updated_at").unwrap();
        assert!(every.is_wildcard());
        every.remove(&mut v);
        Path::parse(".updated_at").unwrap().remove(&mut v);
        assert_eq!(v, json!({"items": [{"id": 1}, {"id": 2}]}));
        // A path that reaches nothing changes nothing.
        Path::parse(".nope[].x").unwrap().remove(&mut v);
        assert_eq!(v, json!({"items": [{"id": 1}, {"id": 2}]}));
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        for bad in ["order_id", ".a[", ".a[x]", ".", ".\"open", ".a..b", ".a b"] {
            let parsed = Path::parse(bad);
            if bad == "." {
                assert!(parsed.is_ok());
            } else {
                assert!(parsed.is_err(), "{bad} parsed as {parsed:?}");
            }
        }
    }
}

/// Fast extraction for paths of field names only (`.event_id`, `.meta.version`): the JSON
/// text is scanned once, descending only into the named fields, everything else skipped
/// without being built.
mod seek {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    /// The value at `names` below the current one (`None`: absent, or not an object).
    pub struct Seek<'p>(pub &'p [&'p str]);

    impl<'de> DeserializeSeed<'de> for Seek<'_> {
        type Value = Option<Value>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
            match self.0.split_first() {
                None => serde::Deserialize::deserialize(d).map(Some),
                Some((name, rest)) => d.deserialize_any(Field { name, rest }),
            }
        }
    }

    struct Field<'p> {
        name: &'p str,
        rest: &'p [&'p str],
    }

    /// Whether a key is the wanted name (no allocation for plain keys).
    struct IsName<'p>(&'p str);

    impl<'de> DeserializeSeed<'de> for IsName<'_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for IsName<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E>(self, v: &str) -> Result<bool, E> {
            Ok(v == self.0)
        }
    }

    impl<'de> Visitor<'de> for Field<'_> {
        type Value = Option<Value>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
            let mut found = None;
            while let Some(is_name) = map.next_key_seed(IsName(self.name))? {
                if is_name {
                    found = map.next_value_seed(Seek(self.rest))?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_str<E>(self, _: &str) -> Result<Option<Value>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<Value>, E> {
            Ok(None)
        }
    }
}

impl Path {
    /// The value at this path in the JSON text `bytes` (`None`: not JSON, absent, or null).
    /// Paths of field names only are found in one scan without building the value; others
    /// parse it whole.
    pub fn extract(&self, bytes: &[u8]) -> Option<Value> {
        self.extract_checked(bytes).0
    }

    /// [`Path::extract`], and whether `bytes` are JSON when the scan could tell (`None`: it
    /// could not, e.g. too deep for it).
    pub fn extract_checked(&self, bytes: &[u8]) -> (Option<Value>, Option<bool>) {
        let names: Option<Vec<&str>> = self
            .steps
            .iter()
            .map(|s| match s {
                Step::Field(name) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let fast = names.and_then(|names| {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let found = serde::de::DeserializeSeed::deserialize(seek::Seek(&names), &mut de);
            match (found, de.end()) {
                (Ok(found), Ok(())) => Some(found),
                // Too deep for the scan, or not JSON: the whole parse decides.
                _ => None,
            }
        });
        let (found, json) = match fast {
            Some(found) => (found, Some(true)),
            None => match super::compare::parse(bytes) {
                Some(v) => (self.get(&v).cloned(), Some(true)),
                None => (None, None),
            },
        };
        (found.filter(|v| !v.is_null()), json)
    }
}

#[cfg(test)]
mod extract_tests {
    use super::Path;
    use serde_json::json;

    #[test]
    fn fields_are_found_without_building_the_value() {
        let p = Path::parse(".meta.id").unwrap();
        let text = br#"{"a":[1,{"id":2}],"meta":{"x":"y","id":"e-1"},"z":1.5}"#;
        assert_eq!(p.extract(text), Some(json!("e-1")));
        assert_eq!(p.extract(br#"{"meta":5}"#), None);
        assert_eq!(p.extract(br#"{"meta":{"id":null}}"#), None);
        assert_eq!(p.extract(b"not json"), None);
        assert_eq!(
            Path::parse(".v")
                .unwrap()
                .extract(br#"{"v":12345678901234567890123}"#),
            Some(serde_json::from_str("12345678901234567890123").unwrap())
        );
        assert_eq!(
            Path::parse(".a[1].id").unwrap().extract(text),
            Some(json!(2))
        );
        assert_eq!(
            Path::parse(r#"."k\"q""#)
                .unwrap()
                .extract(br#"{"k\"q":true}"#),
            Some(json!(true))
        );
    }
}
