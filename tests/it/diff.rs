//! `evt diff` against tansu topics and files: pairing, verdicts, JSON awareness, ignores,
//! envelope comparison, output formats, exit codes and the memory budget.

use evt::broker::partitioner::partition_for;
use serde_json::{json, Value};

use crate::harness::*;

/// `evt diff ARGS` against the test broker.
fn diff(args: &[&str]) -> Run {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    evt(&all)
}

/// `evt diff ARGS` without naming a broker: for file sides only.
fn diff_files(args: &[&str]) -> Run {
    let mut command = evt_command();
    command.arg("diff").args(args);
    run(command)
}

/// What `--format json` printed: the difference objects, then the summary of the last line.
struct Report {
    diffs: Vec<Value>,
    summary: Value,
}

fn report(run: &Run) -> Report {
    let mut lines = run.envelopes();
    let last = lines.pop().unwrap_or_else(|| {
        panic!(
            "no summary line\n--- stdout ---\n{}\n--- stderr ---\n{}",
            run.stdout, run.stderr
        )
    });
    assert!(
        last.get("summary").is_some(),
        "the last line is the summary: {last}"
    );
    for d in &lines {
        assert!(
            d.get("verdict").is_some(),
            "a difference has a verdict: {d}"
        );
    }
    Report {
        diffs: lines,
        summary: last["summary"].clone(),
    }
}

/// The counts a user reads: events per side, then same, changed, only-left, only-right,
/// reordered.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    left: i64,
    right: i64,
    same: i64,
    changed: i64,
    only_left: i64,
    only_right: i64,
    reordered: i64,
    identical: bool,
}

fn counts(summary: &Value) -> Counts {
    let n = |name: &str| {
        summary[name]
            .as_i64()
            .unwrap_or_else(|| panic!("summary.{name} is a number: {summary}"))
    };
    Counts {
        left: n("left"),
        right: n("right"),
        same: n("same"),
        changed: n("changed"),
        only_left: n("only_left"),
        only_right: n("only_right"),
        reordered: n("reordered"),
        identical: summary["identical"]
            .as_bool()
            .unwrap_or_else(|| panic!("summary.identical is a boolean: {summary}")),
    }
}

/// Counts for a comparison: `[left, right, same, changed, only_left, only_right, reordered]`;
/// `identical` follows from them.
fn expect(n: [i64; 7]) -> Counts {
    Counts {
        left: n[0],
        right: n[1],
        same: n[2],
        changed: n[3],
        only_left: n[4],
        only_right: n[5],
        reordered: n[6],
        identical: n[3] + n[4] + n[5] + n[6] == 0,
    }
}

/// The verdicts in printed order.
fn verdicts(diffs: &[Value]) -> Vec<&str> {
    diffs
        .iter()
        .map(|d| d["verdict"].as_str().unwrap())
        .collect()
}

/// The changes of a `changed` difference as (path, left, right), absent sides as `None`,
/// sorted by path (the contract does not fix their order).
fn changes(d: &Value) -> Vec<(String, Option<Value>, Option<Value>)> {
    assert_eq!(d["verdict"], "changed", "{d}");
    let mut all: Vec<_> = d["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("a change list: {d}"))
        .iter()
        .map(|c| {
            (
                c["path"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a path: {c}"))
                    .to_string(),
                c.get("left").cloned(),
                c.get("right").cloned(),
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn change(
    path: &str,
    left: Option<Value>,
    right: Option<Value>,
) -> (String, Option<Value>, Option<Value>) {
    (path.to_string(), left, right)
}

/// Files in a private directory; their paths as evt is given them (and names them back).
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Files {
        Files {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn write(&self, name: &str, lines: &[&str]) -> String {
        let path = self.dir.path().join(name);
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(&path, text).expect("a file written");
        path.to_str().unwrap().to_string()
    }

    fn write_owned(&self, name: &str, lines: &[String]) -> String {
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        self.write(name, &lines)
    }
}

/// Seeds a new topic with `records` and returns its name.
fn topic(prefix: &str, partitions: i32, records: &[Record]) -> String {
    let name = unique_topic(prefix);
    create_topic(&name, partitions);
    produce(&name, records);
    name
}

const T0: &str = "2024-03-01T10:00:00Z";

#[test]
fn a_replayed_topic_is_identical_to_its_source() {
    let base = ms(T0);
    // Keys repeat (three events per key, in one partition) so pairing in order is exercised.
    let records: Vec<Record> = (0..30)
        .map(|n| {
            let key = format!("k{}", n % 10);
            let value = format!(r#"{{"n":{n},"status":"S{}"}}"#, n % 4);
            Record::json((n % 10) % 3, &key, &value, base + i64::from(n) * 1000)
        })
        .collect();
    let source = topic("diffsrc", 3, &records);
    let sandbox = unique_topic("diffsandbox");
    evt(&["replay", &source, "--to", &sandbox]).ok();

    let run = diff(&[&source, &sandbox, "--format", "json"]);
    run.ok();
    let r = report(&run);
    assert!(r.diffs.is_empty(), "no difference printed: {}", run.stdout);
    assert_eq!(counts(&r.summary), expect([30, 30, 30, 0, 0, 0, 0]));
}

/// Left and right files with one event per verdict: `a` same, `b` changed (a field changed,
/// one removed, one added), `c` only left, `r` two events swapped, `d` only right.
fn every_verdict(files: &Files) -> (String, String) {
    let left = files.write(
        "left.jsonl",
        &[
            r#"{"key":"a","value":{"status":"PAID","n":1}}"#,
            r#"{"key":"b","value":{"status":"PAID","amount":10,"note":"gift"}}"#,
            r#"{"key":"c","value":{"x":1}}"#,
            r#"{"key":"r","value":{"step":1}}"#,
            r#"{"key":"r","value":{"step":2}}"#,
        ],
    );
    let right = files.write(
        "right.jsonl",
        &[
            r#"{"key":"a","value":{"status":"PAID","n":1}}"#,
            r#"{"key":"b","value":{"status":"FAILED","amount":10,"reason":"card"}}"#,
            r#"{"key":"r","value":{"step":2}}"#,
            r#"{"key":"r","value":{"step":1}}"#,
            r#"{"key":"d","value":{"y":2}}"#,
        ],
    );
    (left, right)
}

#[test]
fn every_verdict_in_one_run_as_json() {
    let files = Files::new();
    let (left, right) = every_verdict(&files);
    let run = diff_files(&[&left, &right, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    // reordered counts events: both r events are in another place under their id.
    assert_eq!(counts(&r.summary), expect([5, 5, 1, 1, 1, 1, 2]));
    assert_eq!(
        verdicts(&r.diffs),
        [
            "changed",
            "reordered",
            "reordered",
            "only-left",
            "only-right"
        ],
        "changed/reordered in discovery order, then only-left, then only-right:\n{}",
        run.stdout
    );

    let changed = &r.diffs[0];
    assert_eq!(changed["id"], "b");
    assert_eq!(changed["left"], format!("{left}:2"));
    assert_eq!(changed["right"], format!("{right}:2"));
    assert_eq!(
        changes(changed),
        [
            change("/note", Some(json!("gift")), None),
            change("/reason", None, Some(json!("card"))),
            change("/status", Some(json!("PAID")), Some(json!("FAILED"))),
        ],
        "a field absent on one side has no value for that side: {changed}"
    );

    // Each reordered event names where its equal partner is: left 4 is right 4, left 5 is
    // right 3.
    for (d, (l, rr)) in r.diffs[1..3].iter().zip([(4, 4), (5, 3)]) {
        assert_eq!(d["id"], "r", "{d}");
        assert_eq!(d["left"], format!("{left}:{l}"), "{d}");
        assert_eq!(d["right"], format!("{right}:{rr}"), "{d}");
        assert!(d.get("changes").is_none(), "{d}");
    }

    let only_left = &r.diffs[3];
    assert_eq!(only_left["id"], "c");
    assert_eq!(only_left["left"], format!("{left}:3"));
    assert!(only_left.get("right").is_none(), "{only_left}");
    assert_eq!(only_left["event"]["key"], "c");
    assert_eq!(only_left["event"]["value"], json!({"x":1}));

    let only_right = &r.diffs[4];
    assert_eq!(only_right["id"], "d");
    assert_eq!(only_right["right"], format!("{right}:5"));
    assert!(only_right.get("left").is_none(), "{only_right}");
    assert_eq!(only_right["event"]["key"], "d");
    assert_eq!(only_right["event"]["value"], json!({"y":2}));
}

#[test]
fn every_verdict_in_one_run_as_text() {
    let files = Files::new();
    let (left, right) = every_verdict(&files);
    // No --format: text is the default, also when piped; no colour when piped.
    let run = diff_files(&[&left, &right]);
    run.expect_code(1);
    let out = &run.stdout;
    assert!(!out.contains('\x1b'), "no colour codes when piped:\n{out}");
    let lines: Vec<&str> = out.lines().collect();
    let trimmed: Vec<&str> = lines.iter().map(|l| l.trim()).collect();

    let at = |start: &str, needles: &[&str]| -> usize {
        trimmed
            .iter()
            .position(|l| l.starts_with(start) && needles.iter().all(|n| l.contains(n)))
            .unwrap_or_else(|| panic!("a line starting {start:?} with {needles:?}:\n{out}"))
    };
    let changed = at(
        "changed",
        &[" b ", &format!("{left}:2"), "→", &format!("{right}:2")],
    );
    let block: Vec<&str> = trimmed[changed + 1..].to_vec();
    let status = block
        .iter()
        .position(|l| *l == "/status")
        .unwrap_or_else(|| panic!("/status under the changed block:\n{out}"));
    assert_eq!(block[status + 1], r#"- "PAID""#, "{out}");
    assert_eq!(block[status + 2], r#"+ "FAILED""#, "{out}");
    let reason = block
        .iter()
        .position(|l| *l == "/reason")
        .unwrap_or_else(|| panic!("/reason under the changed block:\n{out}"));
    assert_eq!(
        block[reason + 1],
        r#"+ "card""#,
        "an added field has only a + line"
    );
    assert!(
        block.get(reason + 2).is_none_or(|l| !l.starts_with("- ")),
        "no - line for an added field:\n{out}"
    );

    let reordered = at(
        "reordered",
        &[" r ", &format!("{left}:4"), "↔", &format!("{right}:4")],
    );
    at(
        "reordered",
        &[" r ", &format!("{left}:5"), "↔", &format!("{right}:3")],
    );
    let only_left = at("only-left", &[" c ", &format!("{left}:3")]);
    assert!(
        trimmed[only_left + 1].starts_with("- ") && trimmed[only_left + 1].contains(r#""x""#),
        "the only-left value on a - line:\n{out}"
    );
    let only_right = at("only-right", &[" d ", &format!("{right}:5")]);
    assert!(
        trimmed[only_right + 1].starts_with("+ ") && trimmed[only_right + 1].contains(r#""y""#),
        "the only-right value on a + line:\n{out}"
    );
    assert!(
        changed < only_left && reordered < only_left && only_left < only_right,
        "{out}"
    );
    // The summary names every verdict.
    for word in ["same", "changed", "only-left", "only-right", "reordered"] {
        assert!(
            out.lines()
                .take(changed.min(reordered))
                .any(|l| l.contains(word)),
            "the summary before the differences names {word}:\n{out}"
        );
    }

    let coloured = diff_files(&[&left, &right, "--color", "always"]);
    coloured.expect_code(1);
    assert!(
        coloured.stdout.contains("\x1b["),
        "--color always colours: {}",
        coloured.stdout
    );
}

#[test]
fn json_values_compare_as_json() {
    let files = Files::new();
    let left = files.write(
        "left.jsonl",
        &[
            r#"{"key":"a","value":{"a":1,"b":[1,2],"c":{"x":"y","z":null}}}"#,
            r#"{"key":"b","value":{"price":10,"qty":2}}"#,
        ],
    );
    let right = files.write(
        "right.jsonl",
        &[
            r#"{"key":"a","value":{ "c" : { "z" : null , "x" : "y" } , "b" : [ 1 , 2 ] , "a" : 1.0 }}"#,
            r#"{"key":"b","value":{"qty":2.0,"price":1e1}}"#,
        ],
    );
    let run = diff_files(&[&left, &right, "--format", "json"]);
    run.ok();
    let r = report(&run);
    assert!(r.diffs.is_empty(), "{}", run.stdout);
    assert_eq!(counts(&r.summary), expect([2, 2, 2, 0, 0, 0, 0]));

    // The same files with a real difference: a number, and the order of an array.
    let changed = files.write(
        "changed.jsonl",
        &[
            r#"{"key":"a","value":{"c":{"x":"y","z":null},"b":[2,1],"a":1.0}}"#,
            r#"{"key":"b","value":{"qty":2.5,"price":10}}"#,
        ],
    );
    let run = diff_files(&[&left, &changed, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(counts(&r.summary), expect([2, 2, 0, 2, 0, 0, 0]));
    assert_eq!(r.diffs[0]["id"], "a");
    assert!(
        changes(&r.diffs[0]).iter().all(|c| c.0.starts_with("/b")),
        "array order matters: {}",
        r.diffs[0]
    );
    assert_eq!(
        changes(&r.diffs[1]),
        [change("/qty", Some(json!(2)), Some(json!(2.5)))]
    );
}

/// Numbers are compared as numbers, but never by rounding them: two different integers
/// beyond 64 bits are different. (A null key is an id too: the events pair under null.)
#[test]
fn large_integers_keep_their_precision() {
    let files = Files::new();
    let left = files.write(
        "left.jsonl",
        &[r#"{"key":null,"value":{"id":123456789012345678901234567890,"n":100}}"#],
    );
    let right = files.write(
        "right.jsonl",
        &[r#"{"key":null,"value":{"id":123456789012345678901234567891,"n":1e2}}"#],
    );
    let run = diff_files(&[&left, &right, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(counts(&r.summary), expect([1, 1, 0, 1, 0, 0, 0]));
    assert_eq!(r.diffs[0]["id"], Value::Null);
    let c = changes(&r.diffs[0]);
    assert_eq!(c.len(), 1, "{}", r.diffs[0]);
    assert_eq!(
        c[0].0, "/id",
        "100 and 1e2 are the same number: {}",
        r.diffs[0]
    );
}

/// JSON nested deeper than serde's default limit (128 levels) is still JSON: compared as
/// JSON, not as bytes.
#[test]
fn json_nested_deeper_than_128_levels_compares_as_json() {
    let depth = 200;
    let nested = |open: &str, inner: &str, close: &str| {
        format!(
            r#"{{"key":"deep","value":{{"a":{}{inner}{}}}}}"#,
            open.repeat(depth),
            close.repeat(depth)
        )
    };
    let files = Files::new();
    let left = files.write_owned("left.jsonl", &[nested("[", "1", "]")]);
    let spaced = files.write_owned("spaced.jsonl", &[nested("[ ", "1.0", " ]")]);
    let run = diff_files(&[&left, &spaced, "--format", "json"]);
    run.ok();
    assert_eq!(counts(&report(&run).summary), expect([1, 1, 1, 0, 0, 0, 0]));
    let other = files.write_owned("other.jsonl", &[nested("[", "2", "]")]);
    let run = diff_files(&[&left, &other, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    let path = format!("/a{}", "/0".repeat(depth));
    assert_eq!(
        changes(&r.diffs[0]),
        [change(&path, Some(json!(1)), Some(json!(2)))],
        "the change is found at its path"
    );
}

#[test]
fn ignored_paths_make_their_differences_disappear() {
    let files = Files::new();
    let left = files.write(
        "left.jsonl",
        &[
            r#"{"key":"o1","value":{"id":1,"updated_at":"t1","items":[{"sku":"x","updated_at":"t1"},{"sku":"y","updated_at":"t1"}]}}"#,
            r#"{"key":"o2","value":{"id":2,"updated_at":"t1","items":[{"sku":"x","updated_at":"t1"},{"sku":"y","updated_at":"t1"}]}}"#,
        ],
    );
    let right = files.write(
        "right.jsonl",
        &[
            r#"{"key":"o1","value":{"id":1,"updated_at":"t2","items":[{"sku":"x","updated_at":"t2"},{"sku":"y","updated_at":"t3"}]}}"#,
            r#"{"key":"o2","value":{"id":2,"updated_at":"t2","items":[{"sku":"x","updated_at":"t2"},{"sku":"z","updated_at":"t3"}]}}"#,
        ],
    );
    let plain = diff_files(&[&left, &right, "--format", "json"]);
    plain.expect_code(1);
    let r = report(&plain);
    assert_eq!(counts(&r.summary), expect([2, 2, 0, 2, 0, 0, 0]));
    assert_eq!(
        changes(&r.diffs[0]),
        [
            change("/items/0/updated_at", Some(json!("t1")), Some(json!("t2"))),
            change("/items/1/updated_at", Some(json!("t1")), Some(json!("t3"))),
            change("/updated_at", Some(json!("t1")), Some(json!("t2"))),
        ]
    );

    let top = diff_files(&[&left, &right, "--format", "json", "--ignore", ".updated_at"]);
    top.expect_code(1);
    let r = report(&top);
    assert_eq!(counts(&r.summary), expect([2, 2, 0, 2, 0, 0, 0]));
    assert_eq!(
        changes(&r.diffs[0]),
        [
            change("/items/0/updated_at", Some(json!("t1")), Some(json!("t2"))),
            change("/items/1/updated_at", Some(json!("t1")), Some(json!("t3"))),
        ],
        "--ignore .updated_at ignores the top-level field only"
    );

    let both = diff_files(&[
        &left,
        &right,
        "--format",
        "json",
        "--ignore",
        ".updated_at",
        "--ignore",
        ".items[].updated_at",
    ]);
    both.expect_code(1);
    let r = report(&both);
    assert_eq!(
        counts(&r.summary),
        expect([2, 2, 1, 1, 0, 0, 0]),
        "o1 differs only in ignored fields: {}",
        both.stdout
    );
    assert_eq!(r.diffs.len(), 1);
    assert_eq!(r.diffs[0]["id"], "o2");
    assert_eq!(
        changes(&r.diffs[0]),
        [change("/items/1/sku", Some(json!("y")), Some(json!("z")))],
        "what is not ignored is still reported"
    );

    // Only the ignored differences: identical, exit 0.
    let only_o1 = diff_files(&[
        &left,
        &right,
        "--format",
        "json",
        "--key",
        "o1",
        "--ignore",
        ".updated_at",
        "--ignore",
        ".items[].updated_at",
    ]);
    only_o1.ok();
    assert_eq!(
        counts(&report(&only_o1).summary),
        expect([1, 1, 1, 0, 0, 0, 0])
    );
}

#[test]
fn duplicates_under_one_id_pair_in_order() {
    let base = ms(T0);
    let left = topic(
        "diffdupl",
        1,
        &[
            Record::json(0, "order-17", r#"{"s":"CREATED"}"#, base),
            Record::json(0, "order-18", r#"{"s":"CREATED"}"#, base + 1000),
            Record::json(0, "order-17", r#"{"s":"PAID"}"#, base + 2000),
        ],
    );
    let right = topic(
        "diffdupr",
        1,
        &[
            Record::json(0, "order-17", r#"{"s":"CREATED"}"#, base),
            Record::json(0, "order-17", r#"{"s":"FAILED"}"#, base + 1000),
            Record::json(0, "order-18", r#"{"s":"CREATED"}"#, base + 2000),
        ],
    );
    let run = diff(&[&left, &right, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(counts(&r.summary), expect([3, 3, 2, 1, 0, 0, 0]));
    assert_eq!(r.diffs.len(), 1, "{}", run.stdout);
    let d = &r.diffs[0];
    assert_eq!(d["id"], "order-17");
    assert_eq!(d["left"], format!("{left}/0@2"), "the second left order-17");
    assert_eq!(
        d["right"],
        format!("{right}/0@1"),
        "the second right order-17"
    );
    assert_eq!(
        changes(d),
        [change("/s", Some(json!("PAID")), Some(json!("FAILED")))]
    );
}

#[test]
fn topics_with_different_partition_counts_compare_by_key() {
    let base = ms(T0);
    // Placed by key, as producers do: a key's events are in one partition, in order.
    let records: Vec<Record> = (0..60)
        .map(|n| {
            let key = format!("order-{}", n % 20);
            let value = format!(r#"{{"n":{n}}}"#);
            let partition = partition_for(key.as_bytes(), 6);
            Record::json(partition, &key, &value, base + i64::from(n) * 1000)
        })
        .collect();
    let wide = topic("diffwide", 6, &records);
    let narrow = unique_topic("diffnarrow");
    create_topic(&narrow, 3);
    evt(&["replay", &wide, "--to", &narrow, "--partitioner", "key"]).ok();

    let run = diff(&[&wide, &narrow, "--format", "json"]);
    run.ok();
    let r = report(&run);
    assert!(r.diffs.is_empty(), "{}", run.stdout);
    assert_eq!(counts(&r.summary), expect([60, 60, 60, 0, 0, 0, 0]));

    // The same topics paired by position are not the same at all: the layout differs.
    let by_offset = diff(&[&wide, &narrow, "--format", "json", "--by", "offset"]);
    by_offset.expect_code(1);
    let c = counts(&report(&by_offset).summary);
    assert_eq!((c.left, c.right), (60, 60));
    assert!(!c.identical);
}

#[test]
fn a_dump_file_against_its_topic() {
    let base = ms(T0);
    let records: Vec<Record> = (0..15)
        .map(|n| {
            let value = format!(r#"{{"order":{n},"status":"PAID"}}"#);
            Record::json(
                n % 3,
                &format!("order-{n}"),
                &value,
                base + i64::from(n) * 1000,
            )
        })
        .collect();
    let t = topic("diffdump", 3, &records);
    let dump = evt(&["read", &t, "--format", "json"]);
    dump.ok();
    let files = Files::new();
    let lines: Vec<String> = dump.stdout.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 15);
    let file = files.write_owned("dump.jsonl", &lines);

    let run = diff(&[&file, &t, "--format", "json"]);
    run.ok();
    assert_eq!(
        counts(&report(&run).summary),
        expect([15, 15, 15, 0, 0, 0, 0])
    );

    // Change the status of the fifth line.
    let mut edited = lines.clone();
    let mut envelope: Value = serde_json::from_str(&edited[4]).unwrap();
    let key = envelope["key"].as_str().unwrap().to_string();
    let origin = format!(
        "{t}/{}@{}",
        envelope["partition"].as_i64().unwrap(),
        envelope["offset"].as_i64().unwrap()
    );
    envelope["value"]["status"] = json!("REFUNDED");
    edited[4] = envelope.to_string();
    let file = files.write_owned("edited.jsonl", &edited);
    let run = diff(&[&file, &t, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(counts(&r.summary), expect([15, 15, 14, 1, 0, 0, 0]));
    let d = &r.diffs[0];
    assert_eq!(d["id"], key.as_str());
    assert_eq!(d["left"], format!("{file}:5"));
    assert_eq!(d["right"], origin);
    assert_eq!(
        changes(d),
        [change(
            "/status",
            Some(json!("REFUNDED")),
            Some(json!("PAID"))
        )]
    );
}

#[test]
fn two_time_windows_of_one_topic() {
    let first = ms("2024-03-01T10:00:00Z");
    let second = ms("2024-03-01T11:00:00Z");
    let mut records = Vec::new();
    for n in 0..5i64 {
        let value = format!(r#"{{"n":{n},"status":"PAID"}}"#);
        records.push(Record::json(
            (n % 2) as i32,
            &format!("k{n}"),
            &value,
            first + n * 1000,
        ));
    }
    for n in 0..5i64 {
        let status = if n == 2 { "FAILED" } else { "PAID" };
        let value = format!(r#"{{"n":{n},"status":"{status}"}}"#);
        records.push(Record::json(
            (n % 2) as i32,
            &format!("k{n}"),
            &value,
            second + n * 1000,
        ));
    }
    let t = topic("diffwindows", 2, &records);
    let run = diff(&[
        &t,
        &t,
        "--left-from",
        "2024-03-01T10:00:00Z",
        "--left-until",
        "2024-03-01T10:30:00Z",
        "--right-from",
        "2024-03-01T11:00:00Z",
        "--format",
        "json",
    ]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(counts(&r.summary), expect([5, 5, 4, 1, 0, 0, 0]));
    assert_eq!(r.diffs.len(), 1, "{}", run.stdout);
    let d = &r.diffs[0];
    assert_eq!(d["id"], "k2");
    // k2 is the third record of batch one: partition 0, offset 1; of batch two: offset 4.
    assert_eq!(d["left"], format!("{t}/0@1"));
    assert_eq!(d["right"], format!("{t}/0@4"));
    assert_eq!(
        changes(d),
        [change(
            "/status",
            Some(json!("PAID")),
            Some(json!("FAILED"))
        )]
    );

    // The whole topic against itself is identical.
    let run = diff(&[&t, &t, "--format", "json"]);
    run.ok();
    assert_eq!(
        counts(&report(&run).summary),
        expect([10, 10, 10, 0, 0, 0, 0])
    );

    // Each side on its own connection: the global one is never used.
    let addr = &broker().addr;
    let mut command = evt_command();
    command
        .args(["-b", "127.0.0.1:1", "--timeout", "5s", "diff", &t, &t])
        .args(["--left-brokers", addr, "--right-brokers", addr])
        .args(["--left-until", "2024-03-01T10:30:00Z"])
        .args(["--right-from", "2024-03-01T11:00:00Z", "--format", "json"]);
    let split = crate::harness::run(command);
    split.expect_code(1);
    let r = report(&split);
    assert_eq!(counts(&r.summary), expect([5, 5, 4, 1, 0, 0, 0]));
    assert_eq!(r.diffs[0]["id"], "k2");
}

fn raw(partition: i32, key: &str, value: &[u8], timestamp: i64) -> Record {
    Record {
        partition,
        key: Some(key.as_bytes().to_vec()),
        value: Some(value.to_vec()),
        headers: vec![],
        timestamp,
    }
}

#[test]
fn non_json_values_compare_byte_by_byte() {
    let base = ms(T0);
    let left = topic(
        "diffbytesl",
        1,
        &[
            raw(0, "text", b"plain text, not JSON", base),
            raw(0, "bin", &[0xff, 0x00, 0xfe], base + 1),
            raw(0, "text2", b"abc def", base + 2),
            raw(0, "bin2", &[0xff, 0x01], base + 3),
            raw(0, "spaced", b"not json  ", base + 4),
        ],
    );
    let right = topic(
        "diffbytesr",
        1,
        &[
            raw(0, "text", b"plain text, not JSON", base),
            raw(0, "bin", &[0xff, 0x00, 0xfe], base + 1),
            raw(0, "text2", b"abc deg", base + 2),
            raw(0, "bin2", &[0xff, 0x02], base + 3),
            raw(0, "spaced", b"not json", base + 4),
        ],
    );
    let run = diff(&[&left, &right, "--format", "json"]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(counts(&r.summary), expect([5, 5, 2, 3, 0, 0, 0]));
    let ids: Vec<&str> = r.diffs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["text2", "bin2", "spaced"]);
    for d in &r.diffs {
        let c = changes(d);
        assert_eq!(c.len(), 1, "{d}");
        assert_eq!(c[0].0, "", "a non-JSON value changes at the root: {d}");
        assert!(c[0].1.is_some() && c[0].2.is_some(), "{d}");
        assert_ne!(c[0].1, c[0].2, "{d}");
    }
    // Bytes are shown as {"bytes": TEXT} or {"bytes": {"base64": …}}, never as a JSON
    // string they are not.
    let side = |d: &Value| {
        let c = changes(d);
        (c[0].1.clone().unwrap(), c[0].2.clone().unwrap())
    };
    assert_eq!(
        side(&r.diffs[0]),
        (json!({"bytes": "abc def"}), json!({"bytes": "abc deg"}))
    );
    assert_eq!(
        side(&r.diffs[1]),
        (
            json!({"bytes": {"base64": "/wE="}}),
            json!({"bytes": {"base64": "/wI="}})
        )
    );
}

#[test]
fn pairing_by_a_field_and_by_offset() {
    let files = Files::new();
    let left = files.write(
        "left.jsonl",
        &[
            r#"{"key":"a","value":{"order_id":17,"s":"PAID"}}"#,
            r#"{"key":"b","value":{"order_id":18,"s":"NEW"}}"#,
            r#"{"key":"c","value":{"other":1}}"#,
        ],
    );
    let right = files.write(
        "right.jsonl",
        &[
            r#"{"key":"zz","value":{"order_id":18,"s":"NEW"}}"#,
            r#"{"key":"yy","value":{"order_id":17,"s":"FAILED"}}"#,
            r#"{"key":"xx","value":{"other":1}}"#,
        ],
    );
    let by_key = diff_files(&[&left, &right, "--format", "json"]);
    by_key.expect_code(1);
    assert_eq!(
        counts(&report(&by_key).summary),
        expect([3, 3, 0, 0, 3, 3, 0]),
        "by key nothing pairs"
    );

    let by_field = diff_files(&[&left, &right, "--format", "json", "--by", ".order_id"]);
    by_field.expect_code(1);
    let r = report(&by_field);
    assert_eq!(
        counts(&r.summary),
        expect([3, 3, 2, 1, 0, 0, 0]),
        "a missing field is the id null, which pairs too: {}",
        by_field.stdout
    );
    let d = &r.diffs[0];
    assert_eq!(d["id"], json!(17), "the id is the JSON value found");
    assert_eq!(d["left"], format!("{left}:1"));
    assert_eq!(d["right"], format!("{right}:2"));
    assert_eq!(
        changes(d),
        [change("/s", Some(json!("PAID")), Some(json!("FAILED")))]
    );

    // By offset: the same positions in two topics, whatever the keys.
    let base = ms(T0);
    let lt = topic(
        "diffoffl",
        2,
        &[
            Record::json(0, "a", r#"{"v":1}"#, base),
            Record::json(1, "b", r#"{"v":2}"#, base + 1),
            Record::json(0, "c", r#"{"v":3}"#, base + 2),
        ],
    );
    let rt = topic(
        "diffoffr",
        2,
        &[
            Record::json(0, "x", r#"{"v":1}"#, base),
            Record::json(1, "y", r#"{"v":2}"#, base + 1),
            Record::json(0, "z", r#"{"v":4}"#, base + 2),
        ],
    );
    let by_offset = diff(&[&lt, &rt, "--format", "json", "--by", "offset"]);
    by_offset.expect_code(1);
    let r = report(&by_offset);
    assert_eq!(counts(&r.summary), expect([3, 3, 2, 1, 0, 0, 0]));
    let d = &r.diffs[0];
    assert_eq!(d["id"], "0@1");
    assert_eq!(d["left"], format!("{lt}/0@1"));
    assert_eq!(d["right"], format!("{rt}/0@1"));
    assert_eq!(changes(d), [change("/v", Some(json!(3)), Some(json!(4)))]);
}

#[test]
fn envelope_comparison_headers_and_timestamps() {
    let files = Files::new();
    let left = files.write(
        "left.jsonl",
        &[
            r#"{"key":"a","timestamp":"2024-03-01T10:00:00Z","headers":[["trace","1"]],"value":{"v":1}}"#,
            r#"{"key":"b","timestamp":"2024-03-01T10:00:01Z","headers":[],"value":{"v":2}}"#,
        ],
    );
    let right = files.write(
        "right.jsonl",
        &[
            r#"{"key":"a","timestamp":"2024-03-01T10:00:00Z","headers":[["trace","2"]],"value":{"v":1}}"#,
            r#"{"key":"b","timestamp":"2024-03-01T10:00:05Z","headers":[],"value":{"v":2}}"#,
        ],
    );
    // Values only (the default): the same.
    let values = diff_files(&[&left, &right, "--format", "json"]);
    values.ok();
    assert_eq!(
        counts(&report(&values).summary),
        expect([2, 2, 2, 0, 0, 0, 0])
    );

    let envelope = diff_files(&[&left, &right, "--format", "json", "--compare", "envelope"]);
    envelope.expect_code(1);
    let r = report(&envelope);
    assert_eq!(counts(&r.summary), expect([2, 2, 0, 2, 0, 0, 0]));
    let a = changes(&r.diffs[0]);
    assert_eq!(r.diffs[0]["id"], "a");
    assert!(
        !a.is_empty() && a.iter().all(|c| c.0.starts_with("/headers")),
        "a header difference is under /headers: {}",
        r.diffs[0]
    );
    assert_eq!(r.diffs[1]["id"], "b");
    let b = changes(&r.diffs[1]);
    assert_eq!(b.len(), 1, "{}", r.diffs[1]);
    assert_eq!(b[0].0, "/timestamp", "{}", r.diffs[1]);

    let no_headers = diff_files(&[
        &left,
        &right,
        "--format",
        "json",
        "--compare",
        "envelope",
        "--ignore-headers",
    ]);
    no_headers.expect_code(1);
    let r = report(&no_headers);
    assert_eq!(counts(&r.summary), expect([2, 2, 1, 1, 0, 0, 0]));
    assert_eq!(r.diffs[0]["id"], "b");

    let neither = diff_files(&[
        &left,
        &right,
        "--format",
        "json",
        "--compare",
        "envelope",
        "--ignore-headers",
        "--ignore-timestamps",
    ]);
    neither.ok();
    assert_eq!(
        counts(&report(&neither).summary),
        expect([2, 2, 2, 0, 0, 0, 0])
    );

    // A value difference under envelope comparison is under /value.
    let valued = files.write(
        "valued.jsonl",
        &[
            r#"{"key":"a","timestamp":"2024-03-01T10:00:00Z","headers":[["trace","1"]],"value":{"v":9}}"#,
        ],
    );
    let run = diff_files(&[
        &left,
        &valued,
        "--format",
        "json",
        "--compare",
        "envelope",
        "--key",
        "a",
    ]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(
        changes(&r.diffs[0]),
        [change("/value/v", Some(json!(1)), Some(json!(9)))]
    );
}

/// Applies RFC 6902 add/remove/replace operations (the ones a diff produces) to `doc`,
/// failing on anything a correct patch would not do.
fn apply_patch(doc: &mut Value, ops: &[Value]) {
    fn token(t: &str) -> String {
        t.replace("~1", "/").replace("~0", "~")
    }
    for op in ops {
        let kind = op["op"].as_str().unwrap_or_else(|| panic!("an op: {op}"));
        let path = op["path"]
            .as_str()
            .unwrap_or_else(|| panic!("a path: {op}"));
        if path.is_empty() {
            assert!(matches!(kind, "add" | "replace"), "{op}");
            *doc = op["value"].clone();
            continue;
        }
        let mut tokens: Vec<String> = path
            .strip_prefix('/')
            .unwrap_or_else(|| panic!("a JSON pointer starts with /: {op}"))
            .split('/')
            .map(token)
            .collect();
        let last = tokens.pop().unwrap();
        let mut parent = &mut *doc;
        for t in &tokens {
            parent = match parent {
                Value::Object(m) => m.get_mut(t).unwrap_or_else(|| panic!("no {t}: {op}")),
                Value::Array(a) => {
                    let i: usize = t.parse().unwrap_or_else(|_| panic!("index {t}: {op}"));
                    a.get_mut(i).unwrap_or_else(|| panic!("no index {i}: {op}"))
                }
                _ => panic!("{path} goes through a scalar: {op}"),
            };
        }
        let value = || {
            op.get("value")
                .cloned()
                .unwrap_or_else(|| panic!("a value: {op}"))
        };
        match (kind, parent) {
            ("add", Value::Object(m)) => {
                m.insert(last, value());
            }
            ("add", Value::Array(a)) => {
                if last == "-" {
                    a.push(value());
                } else {
                    let i: usize = last.parse().unwrap();
                    assert!(i <= a.len(), "{op}");
                    a.insert(i, value());
                }
            }
            ("remove", Value::Object(m)) => {
                assert!(m.remove(&last).is_some(), "removes what is there: {op}");
            }
            ("remove", Value::Array(a)) => {
                let i: usize = last.parse().unwrap();
                assert!(i < a.len(), "{op}");
                a.remove(i);
            }
            ("replace", Value::Object(m)) => {
                assert!(m.contains_key(&last), "replaces what is there: {op}");
                m.insert(last, value());
            }
            ("replace", Value::Array(a)) => {
                let i: usize = last.parse().unwrap();
                assert!(i < a.len(), "{op}");
                a[i] = value();
            }
            (kind, parent) => panic!("cannot {kind} at {path} in {parent}: {op}"),
        }
    }
}

#[test]
fn patch_output_is_rfc_6902() {
    let files = Files::new();
    let lefts = [
        json!({"a":1,"b":{"c":2},"arr":[1,2,3],"list":[{"a":1}],"gone":true,"a/b":1,"t~":1}),
        json!({"same":true}),
        json!({"x":1}),
    ];
    let rights = [
        json!({"a":2,"b":{"c":2,"d":3},"arr":[1,2],"list":[{"a":1},{"b":2}],"new":"x","a/b":2,"t~":2}),
        json!({"same":true}),
        json!([1]),
    ];
    let line = |key: &str, v: &Value| json!({"key": key, "value": v}).to_string();
    let left = files.write_owned(
        "left.jsonl",
        &[
            line("p1", &lefts[0]),
            line("p2", &lefts[1]),
            line("p3", &lefts[2]),
        ],
    );
    let right = files.write_owned(
        "right.jsonl",
        &[
            line("p1", &rights[0]),
            line("p2", &rights[1]),
            line("p3", &rights[2]),
        ],
    );
    let run = diff_files(&[&left, &right, "--format", "patch"]);
    run.expect_code(1);
    let patches = run.envelopes();
    assert_eq!(
        patches.len(),
        2,
        "one line per changed pair:\n{}",
        run.stdout
    );
    for (p, (i, id)) in patches.iter().zip([(0, "p1"), (2, "p3")]) {
        assert_eq!(p["id"], id, "{p}");
        assert_eq!(p["left"], format!("{left}:{}", i + 1));
        assert_eq!(p["right"], format!("{right}:{}", i + 1));
        let ops = p["patch"].as_array().unwrap_or_else(|| panic!("{p}"));
        let mut doc = lefts[i].clone();
        apply_patch(&mut doc, ops);
        assert_eq!(doc, rights[i], "the patch turns left into right: {p}");
    }
    // The pointer escapes ~ and / in names (RFC 6901).
    let ops = patches[0]["patch"].as_array().unwrap();
    let paths: Vec<&str> = ops.iter().map(|o| o["path"].as_str().unwrap()).collect();
    assert!(
        paths.contains(&"/a~1b") && paths.contains(&"/t~0"),
        "{paths:?}"
    );
    assert!(
        ops.contains(&json!({"op":"replace","path":"/a","value":2})),
        "{ops:?}"
    );
    assert!(
        ops.contains(&json!({"op":"remove","path":"/gone"})),
        "{ops:?}"
    );
    assert!(
        ops.contains(&json!({"op":"add","path":"/new","value":"x"})),
        "{ops:?}"
    );
}

#[test]
fn exit_codes_quiet_and_max_diffs() {
    let files = Files::new();
    let (left, right) = every_verdict(&files);

    let same = diff_files(&[&left, &left]);
    same.ok();

    let quiet = diff_files(&[&left, &right, "--quiet"]);
    quiet.expect_code(1);
    assert_eq!(quiet.stdout, "", "--quiet prints nothing");
    let quiet = diff_files(&[&left, &left, "-q"]);
    quiet.ok();
    assert_eq!(quiet.stdout, "");

    let one = diff_files(&[&left, &right, "--format", "json", "--max-diffs", "1"]);
    one.expect_code(1);
    let r = report(&one);
    assert_eq!(r.diffs.len(), 1, "{}", one.stdout);
    assert_eq!(r.diffs[0]["verdict"], "changed");
    assert_eq!(
        counts(&r.summary),
        expect([5, 5, 1, 1, 1, 1, 2]),
        "the counts stay complete"
    );
    let one_text = diff_files(&[&left, &right, "--max-diffs", "1"]);
    one_text.expect_code(1);
    assert!(
        !one_text
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("only-right")),
        "{}",
        one_text.stdout
    );

    let usage = |args: &[&str], mentions: &str| {
        let run = diff_files(args);
        run.expect_code(2);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr.contains(mentions),
            "{args:?}: the error names {mentions}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    };
    usage(&[&left, &right, "--by", "foo"], "foo");
    usage(&[&left, &right, "--jq", ".a"], "--jq");
    usage(&[&left, &right, "--ignore", ".items[["], ".items[[");
    usage(&[&left, &right, "--ignore", "updated_at"], "updated_at");
    let missing = format!("{}/missing.jsonl", files.dir.path().display());
    usage(&[&left, &missing], "missing.jsonl");
    usage(&["-", "-"], "stdin");
    usage(&[&left, &right, "--max-memory", "lots"], "--max-memory");

    // A topic that does not exist is bad input, named in the error.
    let unknown = diff(&["diff-no-such-topic", &left]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("diff-no-such-topic") && unknown.stderr.contains("not found"),
        "{}",
        unknown.stderr
    );

    // The broker is down: exit 3, within the timeout, for a topic on either side.
    for args in [vec!["orders", "sandbox"], vec![left.as_str(), "orders"]] {
        let mut command = evt_command();
        command
            .args(["-b", "127.0.0.1:1", "--timeout", "2s", "diff"])
            .args(&args);
        let down = run(command);
        down.expect_code(3);
        assert!(
            down.elapsed < std::time::Duration::from_secs(20),
            "{:?}",
            down.elapsed
        );
        assert_eq!(down.stdout, "");
    }
}

/// `n` envelope lines with keys `k00000`…, a little payload each.
fn numbered(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            json!({"key": format!("k{i:05}"), "value": {"n": i, "payload": "x".repeat(40)}})
                .to_string()
        })
        .collect()
}

/// Events that arrive in the same order on both sides are compared as they come: a small
/// budget holds a stream of any length.
#[test]
fn same_order_streams_within_a_small_memory_budget() {
    let files = Files::new();
    let lines = numbered(3000);
    let left = files.write_owned("left.jsonl", &lines);

    // Same order, a few thousand events (about 250 KB a side): streams under 64K.
    let run = diff_files(&[&left, &left, "--format", "json", "--max-memory", "64K"]);
    run.ok();
    assert_eq!(
        counts(&report(&run).summary),
        expect([3000, 3000, 3000, 0, 0, 0, 0])
    );

    // Two neighbours swapped and one value changed: still within 64K.
    let mut near = lines.clone();
    near.swap(100, 101);
    let mut changed: Value = serde_json::from_str(&near[2000]).unwrap();
    changed["value"]["n"] = json!(-1);
    near[2000] = changed.to_string();
    let right = files.write_owned("near.jsonl", &near);
    let run = diff_files(&[&left, &right, "--format", "json", "--max-memory", "64K"]);
    run.expect_code(1);
    let r = report(&run);
    assert_eq!(
        counts(&r.summary),
        expect([3000, 3000, 2999, 1, 0, 0, 0]),
        "the order of different ids does not matter"
    );
    assert_eq!(r.diffs[0]["id"], "k02000");

    // Large events (200 of 50 KB, 10 MB a side), the same on both sides: within 4M.
    let big: Vec<String> = (0..200)
        .map(|i| {
            json!({"key": format!("b{i}"), "value": {"n": i, "blob": "y".repeat(50_000)}})
                .to_string()
        })
        .collect();
    let big = files.write_owned("big.jsonl", &big);
    let run = diff_files(&[&big, &big, "--format", "json", "--max-memory", "4M"]);
    run.ok();
    assert_eq!(
        counts(&report(&run).summary),
        expect([200, 200, 200, 0, 0, 0, 0])
    );
}

/// Sides in opposite orders must be indexed: past the budget evt stops with exit 2 and one
/// line naming --max-memory, instead of growing until the OS kills it.
#[test]
fn a_shuffled_diff_over_the_memory_budget_stops_with_exit_2() {
    let files = Files::new();
    let lines = numbered(3000);
    let left = files.write_owned("left.jsonl", &lines);
    let mut reversed = lines.clone();
    reversed.reverse();
    let right = files.write_owned("reversed.jsonl", &reversed);
    let run = diff_files(&[&left, &right, "--format", "json", "--max-memory", "1K"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("--max-memory"),
        "the error names --max-memory: {}",
        run.stderr
    );
    assert_eq!(
        run.stderr.trim().lines().count(),
        1,
        "one line: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("(0 MiB)"),
        "the budget is not shown as 0 MiB: {}",
        run.stderr
    );
    // With the default budget the reversed files are the same.
    let run = diff_files(&[&left, &right, "--format", "json"]);
    run.ok();
    assert_eq!(
        counts(&report(&run).summary),
        expect([3000, 3000, 3000, 0, 0, 0, 0])
    );
}
