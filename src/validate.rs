//! JSON Schema validation: choosing the schema for an event, compiling schemas once (local
//! `$ref`s resolve to files inside the schema directory, nothing is fetched from the network,
//! see [`refs`]), and turning the validator's errors into violations a report can place.

mod refs;

pub use refs::SCHEMA_FILE_CAP;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::EvtError;

/// What to do with an event for which no schema file exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingSchema {
    /// Report it as invalid.
    Error,
    /// Warn on stderr and count it as unchecked.
    Warn,
    /// Count it as unchecked, silently.
    Ignore,
}

/// One failed check inside an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the event's value (`""` is the whole value).
    pub pointer: String,
    pub keyword: String,
    /// JSON pointer into the schema.
    pub schema_path: String,
    pub message: String,
}

/// The outcome for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid {
        schema: String,
    },
    Invalid {
        schema: String,
        violations: Vec<Violation>,
    },
    /// No schema applies (see [`MissingSchema`]).
    Unchecked {
        reason: String,
    },
}

impl Verdict {
    /// Text that is not JSON, which no schema can accept: a violation of its own.
    pub fn not_json(message: impl Into<String>) -> Verdict {
        Verdict::Invalid {
            schema: "(not JSON)".into(),
            violations: vec![Violation {
                pointer: String::new(),
                keyword: "json".into(),
                schema_path: String::new(),
                message: message.into(),
            }],
        }
    }
}

/// A compiled schema and the name reports use for it.
struct Compiled {
    name: String,
    validator: jsonschema::Validator,
}

/// The schemas of a run: one file, or a directory chosen per event.
pub struct Schemas {
    single: Option<Compiled>,
    dir: Option<PathBuf>,
    /// Where `$ref`s may point: the schema directory, or the schema file's directory.
    root: PathBuf,
    /// `.type` → the value's `type` field names the schema file.
    by_field: Option<Vec<String>>,
    cache: HashMap<String, Option<Compiled>>,
    missing: MissingSchema,
}

impl Schemas {
    /// Loads `path` (a schema file, or a directory of `<name>.json` files).
    pub fn load(
        path: &Path,
        by_field: Option<&str>,
        missing: MissingSchema,
    ) -> anyhow::Result<Schemas> {
        let by_field = by_field.map(parse_field).transpose()?;
        if path.is_dir() {
            let root = std::fs::canonicalize(path).map_err(|e| {
                EvtError::BadSchema(format!("schema {}: cannot read it: {e}", path.display()))
            })?;
            return Ok(Schemas {
                single: None,
                dir: Some(path.to_path_buf()),
                root,
                by_field,
                cache: HashMap::new(),
                missing,
            });
        }
        if by_field.is_some() {
            return Err(EvtError::usage(format!(
                "--schema-by needs a directory of schemas; {} is a file",
                path.display()
            )));
        }
        let root = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let compiled = compile(path, &root)?;
        Ok(Schemas {
            single: Some(compiled),
            dir: None,
            root,
            by_field: None,
            cache: HashMap::new(),
            missing,
        })
    }

    /// Checks every schema file of a directory up front, so a broken one fails the run (exit 2)
    /// before any event is read.
    pub fn check_all(&mut self) -> anyhow::Result<()> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| EvtError::usage(format!("cannot read {}: {e}", dir.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let compiled = compile(&path, &self.root)?;
                self.cache.insert(name, Some(compiled));
            }
        }
        Ok(())
    }

    /// Validates `value`; `topic` chooses the schema in a directory without --schema-by.
    pub fn check(&mut self, value: &Value, topic: Option<&str>) -> anyhow::Result<Verdict> {
        let missing = self.missing;
        // A directory picks by topic or field: events with neither (plain values of a file)
        // can never be checked; one usage error, not one violation per event.
        if let (Some(dir), None, None) = (&self.dir, topic, &self.by_field) {
            return Err(EvtError::usage(format!(
                "{} is a directory of schemas, chosen by topic or --schema-by FIELD, and these events have no topic; name one schema file, or add --schema-by .type",
                dir.display()
            )));
        }
        let Some(compiled) = self.choose(value, topic)? else {
            let reason = self.why_missing(value, topic);
            return Ok(match missing {
                MissingSchema::Error => Verdict::Invalid {
                    schema: "(none)".into(),
                    violations: vec![Violation {
                        pointer: String::new(),
                        keyword: "schema".into(),
                        schema_path: String::new(),
                        message: reason,
                    }],
                },
                _ => Verdict::Unchecked { reason },
            });
        };
        let violations: Vec<Violation> = compiled
            .validator
            .iter_errors(value)
            .map(|e| Violation {
                pointer: e.instance_path().to_string(),
                keyword: e.kind().keyword().to_string(),
                schema_path: e.schema_path().to_string(),
                message: e.to_string(),
            })
            .collect();
        let schema = compiled.name.clone();
        Ok(if violations.is_empty() {
            Verdict::Valid { schema }
        } else {
            Verdict::Invalid { schema, violations }
        })
    }

    fn name_for(&self, value: &Value, topic: Option<&str>) -> Option<String> {
        match &self.by_field {
            Some(path) => {
                let found = path.iter().try_fold(value, |v, k| v.get(k))?;
                found.as_str().map(str::to_string)
            }
            None => topic.map(str::to_string),
        }
    }

    fn choose(&mut self, value: &Value, topic: Option<&str>) -> anyhow::Result<Option<&Compiled>> {
        if let Some(single) = &self.single {
            return Ok(Some(single));
        }
        let Some(name) = self.name_for(value, topic).filter(|n| is_plain_name(n)) else {
            return Ok(None);
        };
        if !self.cache.contains_key(&name) {
            let path = self
                .dir
                .as_ref()
                .expect("a directory when not single")
                .join(format!("{name}.json"));
            let compiled = if path.is_file() {
                Some(compile(&path, &self.root)?)
            } else {
                None
            };
            self.cache.insert(name.clone(), compiled);
        }
        Ok(self.cache.get(&name).and_then(Option::as_ref))
    }

    fn why_missing(&self, value: &Value, topic: Option<&str>) -> String {
        let dir = self
            .dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        match (&self.by_field, self.name_for(value, topic)) {
            (Some(path), None) => format!(
                "the event has no string field .{} to choose a schema by",
                path.join(".")
            ),
            (None, None) => {
                "no topic to choose a schema by (use --schema-by FIELD or one schema file)".into()
            }
            (_, Some(name)) => format!("no schema for '{name}' (looked for {dir}/{name}.json)"),
        }
    }
}

/// A schema name must be a plain file name: no path separators or parent references.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != ".." && name != "."
}

/// `.type` or `.meta.kind` → ["type"] or ["meta", "kind"].
fn parse_field(text: &str) -> anyhow::Result<Vec<String>> {
    let path: Vec<String> = text
        .trim_start_matches('.')
        .split('.')
        .map(str::to_string)
        .collect();
    if path.iter().any(String::is_empty) {
        return Err(EvtError::usage(format!(
            "--schema-by '{text}' is not a field path; try .type or .meta.kind"
        )));
    }
    Ok(path)
}

/// Resolves `$ref`s to files inside the schema directory; refuses anything remote.
struct LocalFiles {
    root: PathBuf,
}

impl jsonschema::Retrieve for LocalFiles {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.scheme().as_str() != "file" {
            return Err(format!("remote $ref '{}' is not fetched: evt makes no network requests; copy it next to the schema", uri.as_str()).into());
        }
        let path = PathBuf::from(uri.path().decode().to_string_lossy().into_owned());
        let failed = |why: String| format!("$ref '{}': {why}", path.display());
        let real = refs::confined(&path, &self.root).map_err(failed)?;
        Ok(refs::read_json(&real).map_err(failed)?)
    }
}

/// Reads and compiles one schema file; every problem names the file. `$ref`s may reach files
/// inside `root` only.
fn compile(path: &Path, root: &Path) -> anyhow::Result<Compiled> {
    let bad = |what: String| -> anyhow::Error {
        EvtError::BadSchema(format!("schema {}: {what}", path.display())).into()
    };
    let schema = refs::read_json(path).map_err(bad)?;
    let absolute = std::fs::canonicalize(path).map_err(|e| bad(e.to_string()))?;
    let graph = refs::RefGraph::load(&absolute, schema.clone(), root).map_err(bad)?;
    if let Some(cycle) = graph.cycle() {
        return Err(bad(format!(
            "$ref cycle: {cycle} (it never reaches the event, so it would accept anything)"
        )));
    }
    let validator = jsonschema::options()
        .with_retriever(LocalFiles {
            root: root.to_path_buf(),
        })
        .with_base_uri(refs::file_uri(&absolute))
        .build(&schema)
        .map_err(|e| bad(one_line(&e.to_string())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Compiled { name, validator })
}

/// Joins a multi-line message into one line.
fn one_line(text: &str) -> String {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn one_schema_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "order.json",
            r#"{"type":"object","required":["id"],"properties":{"id":{"type":"integer"}}}"#,
        );
        let mut schemas = Schemas::load(&path, None, MissingSchema::Error).unwrap();
        assert_eq!(
            schemas.check(&json!({"id": 1}), None).unwrap(),
            Verdict::Valid {
                schema: "order.json".into()
            }
        );
        let Verdict::Invalid { violations, .. } = schemas.check(&json!({"id": "x"}), None).unwrap()
        else {
            panic!()
        };
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].pointer, "/id");
        assert_eq!(violations[0].keyword, "type");
        assert_eq!(violations[0].schema_path, "/properties/id/type");
        assert!(
            violations[0].message.contains("is not of type"),
            "{}",
            violations[0].message
        );
    }

    #[test]
    fn directory_by_field_or_topic_with_local_refs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "money.json", r#"{"type":"number","minimum":0}"#);
        write(
            dir.path(),
            "Paid.json",
            r#"{"type":"object","properties":{"amount":{"$ref":"money.json"}}}"#,
        );
        write(
            dir.path(),
            "orders.json",
            r#"{"type":"object","required":["id"]}"#,
        );
        let mut by_type = Schemas::load(dir.path(), Some(".type"), MissingSchema::Error).unwrap();
        assert!(matches!(
            by_type
                .check(&json!({"type":"Paid","amount":3}), None)
                .unwrap(),
            Verdict::Valid { .. }
        ));
        let Verdict::Invalid { violations, schema } = by_type
            .check(&json!({"type":"Paid","amount":-3}), None)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (schema.as_str(), violations[0].keyword.as_str()),
            ("Paid.json", "minimum")
        );
        let Verdict::Invalid { violations, .. } =
            by_type.check(&json!({"type":"Nope"}), None).unwrap()
        else {
            panic!()
        };
        assert!(
            violations[0].message.contains("no schema for 'Nope'"),
            "{violations:?}"
        );
        let mut by_topic = Schemas::load(dir.path(), None, MissingSchema::Warn).unwrap();
        assert!(matches!(
            by_topic.check(&json!({}), Some("orders")).unwrap(),
            Verdict::Invalid { .. }
        ));
        assert!(matches!(
            by_topic.check(&json!({}), Some("unknown")).unwrap(),
            Verdict::Unchecked { .. }
        ));
        assert!(matches!(
            by_topic.check(&json!({}), Some("../etc")).unwrap(),
            Verdict::Unchecked { .. }
        ));
    }

    #[test]
    fn drafts_follow_dollar_schema() {
        let dir = tempfile::tempdir().unwrap();
        // exclusiveMinimum is a boolean in draft 4 and a number from draft 6 on.
        let d4 = write(
            dir.path(),
            "d4.json",
            r#"{"$schema":"http://json-schema.org/draft-04/schema#","minimum":5,"exclusiveMinimum":true}"#,
        );
        let mut s4 = Schemas::load(&d4, None, MissingSchema::Error).unwrap();
        assert!(matches!(
            s4.check(&json!(5), None).unwrap(),
            Verdict::Invalid { .. }
        ));
        let d7 = write(
            dir.path(),
            "d7.json",
            r#"{"$schema":"http://json-schema.org/draft-07/schema#","exclusiveMinimum":5}"#,
        );
        let mut s7 = Schemas::load(&d7, None, MissingSchema::Error).unwrap();
        assert!(matches!(
            s7.check(&json!(6), None).unwrap(),
            Verdict::Valid { .. }
        ));
        // 2020-12 is the default: prefixItems exists there.
        let d = write(
            dir.path(),
            "d.json",
            r#"{"prefixItems":[{"type":"string"}]}"#,
        );
        let mut s = Schemas::load(&d, None, MissingSchema::Error).unwrap();
        assert!(matches!(
            s.check(&json!([1]), None).unwrap(),
            Verdict::Invalid { .. }
        ));
    }

    #[test]
    fn broken_and_remote_schemas_are_usage_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let not_json = write(dir.path(), "a.json", "{");
        let err = Schemas::load(&not_json, None, MissingSchema::Error)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("a.json: not valid JSON"), "{err}");
        let bad_type = write(dir.path(), "b.json", r#"{"type": 12}"#);
        let err = Schemas::load(&bad_type, None, MissingSchema::Error)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("b.json"), "{err}");
        let remote = write(
            dir.path(),
            "c.json",
            r#"{"$ref":"https://example.com/s.json"}"#,
        );
        let err = Schemas::load(&remote, None, MissingSchema::Error)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("https://example.com/s.json"), "{err}");
    }
}
