//! What a schema may read: its own file and, through `$ref`, regular files inside the schema
//! directory, each at most [`SCHEMA_FILE_CAP`] bytes. Also finds `$ref` cycles that never
//! reach the event (`a.json` → `b.json` → `a.json`), which the validator would otherwise
//! treat as "anything is valid".

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The largest schema file evt reads (the file given and each file a `$ref` names): 16 MiB.
pub const SCHEMA_FILE_CAP: u64 = 16 * 1024 * 1024;

/// Reads a schema file: a regular file (a FIFO, a device or a directory is refused before it
/// is opened, so nothing blocks) of at most [`SCHEMA_FILE_CAP`] bytes.
pub fn read_text(path: &Path) -> Result<String, String> {
    let kind = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    check_kind(&kind)?;
    // O_NONBLOCK: a file swapped for a FIFO after the check still never blocks the open.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| format!("cannot read it: {e}"))?;
    let opened = file
        .metadata()
        .map_err(|e| format!("cannot read it: {e}"))?;
    check_kind(&opened)?;
    let mut bytes = Vec::new();
    file.take(SCHEMA_FILE_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > SCHEMA_FILE_CAP {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|_| "not valid JSON: it is not UTF-8 text".to_string())
}

fn check_kind(meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "not a file"
        };
        return Err(format!("not a regular file ({what})"));
    }
    if meta.len() > SCHEMA_FILE_CAP {
        return Err(too_big());
    }
    Ok(())
}

fn too_big() -> String {
    format!(
        "larger than {} MiB, the most a schema file may have",
        SCHEMA_FILE_CAP / (1024 * 1024)
    )
}

/// Reads and parses a schema file.
pub fn read_json(path: &Path) -> Result<Value, String> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))
}

/// Where a `$ref` to a local file may point: `path` (canonical), when it is inside `root`.
pub fn confined(path: &Path, root: &Path) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(path).map_err(|e| format!("cannot read it: {e}"))?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(format!(
            "outside the schema directory {}; a $ref may only name files inside it",
            root.display()
        ))
    }
}

/// `file://` URI of an absolute path, percent-encoding what a URI path cannot hold.
pub fn file_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// Keywords whose values are data, not schemas: a `$ref` inside them is not followed.
const DATA: [&str; 4] = ["const", "enum", "examples", "default"];

/// Keywords whose subschemas apply to the same instance: a cycle through only these (and
/// `$ref`) never reaches a smaller part of the event, so it never ends.
const IN_PLACE_ONE: [&str; 4] = ["not", "if", "then", "else"];
const IN_PLACE_MANY: [&str; 3] = ["allOf", "anyOf", "oneOf"];

/// A schema location: a canonical file and a JSON pointer inside it.
type Node = (PathBuf, String);

/// A step of the depth-first walk: the node, whether a `$ref` led to it, its in-place edges
/// (each with the same flag) and the next edge to follow.
type Frame = (Node, bool, Vec<(Node, bool)>, usize);

/// Every file a schema reaches through `$ref`, read once, checked for place, kind and size.
pub struct RefGraph {
    root: PathBuf,
    docs: HashMap<PathBuf, Value>,
}

impl RefGraph {
    /// Loads `file` (canonical, already parsed as `schema`) and every local file its `$ref`s
    /// reach. An error names the `$ref` and the file holding it.
    pub fn load(file: &Path, schema: Value, root: &Path) -> Result<RefGraph, String> {
        let mut graph = RefGraph {
            root: root.to_path_buf(),
            docs: HashMap::new(),
        };
        graph.docs.insert(file.to_path_buf(), schema);
        let mut pending = vec![file.to_path_buf()];
        while let Some(doc) = pending.pop() {
            let mut refs = Vec::new();
            collect_refs(&graph.docs[&doc], &mut refs);
            for reference in refs {
                let Some(target) = local_file(&doc, &reference) else {
                    continue;
                };
                if !target.exists() {
                    // Maybe an embedded `$id`; the validator reports it if not.
                    continue;
                }
                let failed =
                    |why: String| format!("$ref '{reference}' in {}: {why}", graph.name(&doc));
                let real = confined(&target, root).map_err(failed)?;
                if graph.docs.contains_key(&real) {
                    continue;
                }
                let value = read_json(&real).map_err(failed)?;
                graph.docs.insert(real.clone(), value);
                pending.push(real);
            }
        }
        Ok(graph)
    }

    /// How reports name a file: relative to the schema directory.
    fn name(&self, file: &Path) -> String {
        file.strip_prefix(&self.root)
            .unwrap_or(file)
            .display()
            .to_string()
    }

    fn show(&self, (file, pointer): &Node) -> String {
        if pointer.is_empty() {
            self.name(file)
        } else {
            format!("{}#{pointer}", self.name(file))
        }
    }

    /// The first `$ref` cycle that applies to the same part of an event forever, as
    /// `a.json → b.json → a.json`.
    pub fn cycle(&self) -> Option<String> {
        let mut done: HashSet<Node> = HashSet::new();
        let mut files: Vec<&PathBuf> = self.docs.keys().collect();
        files.sort();
        for file in files {
            let mut starts = Vec::new();
            schema_nodes(&self.docs[file], String::new(), &mut starts);
            for pointer in starts {
                if let Some(cycle) = self.cycle_from((file.clone(), pointer), &mut done) {
                    return Some(cycle);
                }
            }
        }
        None
    }

    /// Depth-first along in-place edges, without recursion (chains can be long).
    fn cycle_from(&self, start: Node, done: &mut HashSet<Node>) -> Option<String> {
        if done.contains(&start) {
            return None;
        }
        let mut stack: Vec<Frame> = Vec::new();
        let mut on_stack: HashSet<Node> = HashSet::new();
        let edges = self.edges(&start);
        on_stack.insert(start.clone());
        stack.push((start, true, edges, 0));
        while let Some((_, _, edges, next)) = stack.last_mut() {
            let Some((child, by_ref)) = edges.get(*next).cloned() else {
                let (node, ..) = stack.pop().expect("a frame");
                on_stack.remove(&node);
                done.insert(node);
                continue;
            };
            *next += 1;
            if on_stack.contains(&child) {
                let at = stack
                    .iter()
                    .position(|(n, ..)| *n == child)
                    .expect("on the stack");
                return Some(self.describe(&stack[at..], by_ref));
            }
            if done.contains(&child) {
                continue;
            }
            let edges = self.edges(&child);
            on_stack.insert(child.clone());
            stack.push((child, by_ref, edges, 0));
        }
        None
    }

    /// A cycle as the `$ref`s it follows, from a file's root when it passes one:
    /// `a.json → b.json#/$defs/y → a.json`. `closing` is how the last edge enters the first.
    fn describe(&self, cycle: &[Frame], closing: bool) -> String {
        let mut steps: Vec<(&Node, bool)> = cycle
            .iter()
            .enumerate()
            .map(|(i, (node, by_ref, ..))| (node, if i == 0 { closing } else { *by_ref }))
            .collect();
        if steps.iter().any(|(_, by_ref)| *by_ref) {
            steps.retain(|(_, by_ref)| *by_ref);
        }
        let first = (0..steps.len())
            .min_by_key(|&i| steps[i].0 .1.len())
            .unwrap_or(0);
        steps.rotate_left(first);
        let mut names: Vec<String> = steps.iter().map(|(n, _)| self.show(n)).collect();
        names.push(names[0].clone());
        names.join(" → ")
    }

    /// The subschemas that apply to the same instance as `node`, and whether each is a `$ref`.
    fn edges(&self, (file, pointer): &Node) -> Vec<(Node, bool)> {
        let Some(Value::Object(schema)) = self.docs.get(file).and_then(|d| d.pointer(pointer))
        else {
            return Vec::new();
        };
        let mut edges = Vec::new();
        if let Some(Value::String(reference)) = schema.get("$ref") {
            if let Some(target) = self.resolve(file, reference) {
                edges.push((target, true));
            }
        }
        for key in IN_PLACE_ONE {
            if schema.get(key).is_some_and(Value::is_object) {
                edges.push(((file.clone(), format!("{pointer}/{key}")), false));
            }
        }
        for key in IN_PLACE_MANY {
            if let Some(Value::Array(items)) = schema.get(key) {
                for i in 0..items.len() {
                    edges.push(((file.clone(), format!("{pointer}/{key}/{i}")), false));
                }
            }
        }
        if let Some(Value::Object(map)) = schema.get("dependentSchemas") {
            for name in map.keys() {
                let child = format!("{pointer}/dependentSchemas/{}", escape(name));
                edges.push(((file.clone(), child), false));
            }
        }
        edges
    }

    /// The node a `$ref` in `file` names, when it is a loaded file (or `file` itself).
    fn resolve(&self, file: &Path, reference: &str) -> Option<Node> {
        let (_, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target = if reference.starts_with('#') {
            file.to_path_buf()
        } else {
            let path = local_file(file, reference)?;
            std::fs::canonicalize(path).ok()?
        };
        let doc = self.docs.get(&target)?;
        let fragment = decode(fragment);
        let pointer = if fragment.is_empty() || fragment.starts_with('/') {
            fragment
        } else {
            anchor(doc, &fragment, String::new())?
        };
        Some((target, pointer))
    }
}

/// The local file a `$ref` in `doc` names (`None`: same document or not a local file).
fn local_file(doc: &Path, reference: &str) -> Option<PathBuf> {
    let (address, _) = reference.split_once('#').unwrap_or((reference, ""));
    if address.is_empty() {
        return None;
    }
    let path = match address.split_once(':') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            decode(rest.trim_start_matches("//"))
        }
        // Remote (the validator refuses it with its own error), or `urn:` ids.
        Some((scheme, _)) if !scheme.contains('/') => return None,
        _ => decode(address),
    };
    let path = PathBuf::from(path);
    Some(if path.is_absolute() {
        path
    } else {
        doc.parent().unwrap_or(Path::new("/")).join(path)
    })
}

/// Percent-decoding (lossy), for paths and fragments in `$ref`s.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Every `$ref` string in a schema document (data keywords skipped).
fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    if let Value::String(r) = child {
                        out.push(r.clone());
                    }
                } else if !DATA.contains(&key.as_str()) {
                    collect_refs(child, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The pointer of every object in a schema document (data keywords skipped).
fn schema_nodes(value: &Value, pointer: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if !DATA.contains(&key.as_str()) && (child.is_object() || child.is_array()) {
                    schema_nodes(child, format!("{pointer}/{}", escape(key)), out);
                }
            }
            out.push(pointer);
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                schema_nodes(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The pointer of the subschema with `"$anchor": name`.
fn anchor(value: &Value, name: &str, pointer: String) -> Option<String> {
    match value {
        Value::Object(map) => {
            if map.get("$anchor").and_then(Value::as_str) == Some(name) {
                return Some(pointer);
            }
            map.iter()
                .filter(|(k, _)| !DATA.contains(&k.as_str()))
                .find_map(|(k, v)| anchor(v, name, format!("{pointer}/{}", escape(k))))
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| anchor(v, name, format!("{pointer}/{i}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn graph(files: &[(&str, Value)]) -> (tempfile::TempDir, Option<String>) {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        for (name, value) in files {
            std::fs::write(root.join(name), value.to_string()).unwrap();
        }
        let first = root.join(files[0].0);
        let graph = RefGraph::load(&first, files[0].1.clone(), &root).unwrap();
        let cycle = graph.cycle();
        (dir, cycle)
    }

    #[test]
    fn recursion_through_the_event_is_no_cycle() {
        let (_d, cycle) = graph(&[(
            "tree.json",
            json!({"anyOf": [{"type": "null"}, {"$ref": "#/$defs/node"}],
                   "$defs": {"node": {"properties": {"next": {"$ref": "#"}},
                                      "items": {"$ref": "tree.json"}}}}),
        )]);
        assert_eq!(cycle, None);
    }

    #[test]
    fn in_place_cycles_by_anchor_and_across_files() {
        let (_d, cycle) = graph(&[(
            "a.json",
            json!({"$defs": {"x": {"$anchor": "ex", "oneOf": [{"$ref": "#ex"}]}}}),
        )]);
        assert_eq!(cycle.as_deref(), Some("a.json#/$defs/x → a.json#/$defs/x"));
        let (_d, cycle) = graph(&[
            ("a.json", json!({"if": {"$ref": "b.json#/$defs/y"}})),
            (
                "b.json",
                json!({"$defs": {"y": {"not": {"$ref": "a.json"}}}}),
            ),
        ]);
        assert_eq!(cycle.as_deref(), Some("a.json → b.json#/$defs/y → a.json"));
        // A `$ref` inside data (`const`, `examples`) is not followed.
        let (_d, cycle) = graph(&[("c.json", json!({"const": {"$ref": "#"}}))]);
        assert_eq!(cycle, None);
    }
}
