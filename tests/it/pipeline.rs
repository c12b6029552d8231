//! One pipeline (issue 9): files and topics through the same sources, window, filters and
//! printers; honest windows; one table; plain jq output; JSON reports.

use evt::broker::mock::MockBroker;
use evt::broker::produce::Writer;
use evt::event::Event;

use crate::harness::*;

/// evt with no broker at all: file sources need none.
fn offline(args: &[&str]) -> Run {
    let mut command = evt_command();
    command
        .args(["-b", "127.0.0.1:1", "--timeout", "1s"])
        .args(args);
    run(command)
}

/// An envelope line at `ts` (epoch ms) with a JSON value.
fn envelope(topic: &str, offset: i64, ts: i64, key: &str, value: &str) -> String {
    let time = chrono::DateTime::from_timestamp_millis(ts)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ");
    format!(
        r#"{{"topic":"{topic}","partition":0,"offset":{offset},"timestamp":"{time}","timestamp_type":"create","key":"{key}","headers":[],"value":{value}}}"#
    )
}

const T0: i64 = 1_790_000_000_000;

fn dump(dir: &tempfile::TempDir, name: &str, lines: &[String]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

fn orders_dump(dir: &tempfile::TempDir) -> String {
    let lines: Vec<String> = (0..10)
        .map(|n| {
            let status = if n % 3 == 0 { "FAILED" } else { "PAID" };
            envelope(
                "orders",
                n,
                T0 + n * 60_000,
                &format!("order-{n}"),
                &format!(r#"{{"order_id":{n},"status":"{status}"}}"#),
            )
        })
        .collect();
    dump(dir, "dump.jsonl", &lines)
}

#[test]
fn read_takes_files_with_the_same_filters_windows_and_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = orders_dump(&dir);
    let failed = offline(&["read", &file, "--where", r#".status == "FAILED""#]);
    failed.ok();
    assert_eq!(failed.keys(), ["order-0", "order-3", "order-6", "order-9"]);
    assert!(
        failed.stderr.contains("scanned 10 events, matched 4"),
        "{}",
        failed.stderr
    );
    // The envelope read back is the envelope written: a dump stays a dump.
    let all = offline(&["read", &file]);
    all.ok();
    assert_eq!(all.stdout, std::fs::read_to_string(&file).unwrap());
    // Time windows apply to files by the envelope timestamp: [from, until).
    let from = chrono::DateTime::from_timestamp_millis(T0 + 2 * 60_000)
        .unwrap()
        .to_rfc3339();
    let until = format!("@{}", T0 + 5 * 60_000);
    let window = offline(&["read", &file, "--from", &from, "--until", &until]);
    window.ok();
    assert_eq!(window.keys(), ["order-2", "order-3", "order-4"]);
    let values = offline(&["read", &file, "--key", "order-7", "--format", "value"]);
    values.ok();
    assert_eq!(values.stdout, "{\"order_id\":7,\"status\":\"PAID\"}\n");
    // Offsets count records in a topic; a file has none.
    let offsets = offline(&["read", &file, "--from", "-3"]);
    offsets.expect_code(2);
    assert!(
        offsets.stderr.contains("files are windowed by time"),
        "{}",
        offsets.stderr
    );
}

#[test]
fn several_files_merge_into_one_timeline_and_one_table() {
    let dir = tempfile::tempdir().unwrap();
    let a: Vec<String> = [0, 2, 4]
        .iter()
        .map(|n| envelope("a", *n, T0 + n * 1000, &format!("a{n}"), "1"))
        .collect();
    let b: Vec<String> = [1, 3, 5]
        .iter()
        .map(|n| envelope("b", *n, T0 + n * 1000, &format!("b{n}"), "2"))
        .collect();
    let a = dump(&dir, "a.jsonl", &a);
    let b = dump(&dir, "b.jsonl", &b);
    let merged = offline(&["read", &a, &b]);
    merged.ok();
    assert_eq!(merged.keys(), ["a0", "b1", "a2", "b3", "a4", "b5"]);
    let table = offline(&["read", &a, &b, "--format", "table"]);
    table.ok();
    assert_eq!(
        table.stdout.matches("timestamp").count(),
        1,
        "{}",
        table.stdout
    );
    assert_eq!(table.stdout.lines().count(), 2 + 6, "{}", table.stdout);
}

#[test]
fn a_jsonl_line_is_one_event_whatever_its_json_type() {
    let dir = tempfile::tempdir().unwrap();
    let file = dump(
        &dir,
        "values.jsonl",
        &[
            "[1,1]".into(),
            "{\"value\": 3, \"unit\": \"kg\"}".into(),
            "7".into(),
        ],
    );
    let run = offline(&["read", &file, "--format", "value"]);
    run.ok();
    assert_eq!(run.stdout, "[1,1]\n{\"value\": 3, \"unit\": \"kg\"}\n7\n");
    // validate sees the array as one value, so an object schema rejects it.
    let schema = dir.path().join("object.json");
    std::fs::write(&schema, r#"{"type":"object"}"#).unwrap();
    let checked = offline(&["validate", "--schema", schema.to_str().unwrap(), &file]);
    checked.expect_code(1);
    assert!(
        checked.stdout.contains("values.jsonl:1: invalid"),
        "{}",
        checked.stdout
    );
    assert!(
        checked.stdout.contains("values.jsonl:3: invalid"),
        "{}",
        checked.stdout
    );
    // --input json reads the same bytes as one document (here: not one valid document).
    let whole = offline(&["read", &file, "--input", "json", "--format", "value"]);
    whole.ok();
    assert!(
        whole.stderr.contains("not a valid JSON array") || whole.stderr.contains("not an envelope"),
        "{}",
        whole.stderr
    );
}

#[test]
fn jq_output_is_plain_json_never_an_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let file = orders_dump(&dir);
    let run = offline(&[
        "read",
        &file,
        "--jq",
        "{id: .order_id}",
        "--format",
        "json",
        "-c",
        "3",
    ]);
    run.ok();
    assert_eq!(run.stdout, "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n");
    let fan_out = offline(&[
        "read",
        &file,
        "--jq",
        ".order_id, .status",
        "-c",
        "3",
        "--format",
        "json",
    ]);
    fan_out.ok();
    assert_eq!(fan_out.stdout, "0\n\"FAILED\"\n1\n");
}

#[test]
fn explain_prints_json_with_format_json() {
    let topic = unique_topic("explainjson");
    create_topic(&topic, 2);
    produce(&topic, &[Record::json(1, "k", "{}", T0)]);
    let run = evt(&["read", &topic, "--explain", "--format", "json"]);
    run.ok();
    let plan: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(plan["total"], 1);
    assert_eq!(plan["partitions"].as_array().unwrap().len(), 2);
    assert_eq!(plan["partitions"][1]["end"], 1);
    let sandbox = unique_topic("sandbox");
    let dry = evt(&[
        "replay",
        &topic,
        "--to",
        &sandbox,
        "--dry-run",
        "--format",
        "json",
    ]);
    dry.ok();
    let plan: serde_json::Value = serde_json::from_str(dry.stdout.trim()).unwrap();
    assert_eq!(plan["total"], 1);
    assert_eq!(
        plan["target_partitions"],
        serde_json::Value::Null,
        "to be created"
    );
    assert_eq!(plan["partitions"][1]["count"], 1);
}

#[test]
fn files_and_topics_merge_into_one_timeline() {
    let topic = unique_topic("mixed");
    create_topic(&topic, 1);
    produce(
        &topic,
        &[
            Record::json(0, "t1", "{}", T0 + 1000),
            Record::json(0, "t3", "{}", T0 + 3000),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dump(
        &dir,
        "between.jsonl",
        &[
            envelope("file", 0, T0 + 2000, "f2", "{}"),
            envelope("file", 1, T0 + 4000, "f4", "{}"),
        ],
    );
    let run = evt(&["read", &topic, &file]);
    run.ok();
    assert_eq!(run.keys(), ["t1", "f2", "t3", "f4"]);
}

/// A time window never prints events outside it, even where the offset range holds
/// timestamps out of order (the mock cluster has no time index, so evt bisects).
#[test]
fn a_time_window_prints_only_events_inside_it_and_says_what_it_skipped() {
    let mock = MockBroker::start(1).unwrap();
    let topic = unique_topic("honest");
    mock.create_topic(&topic, 1).unwrap();
    let writer = Writer::new(mock.bootstrap(), &[]).unwrap();
    // Minutes 0..20, with two late events (offsets 12, 13) stamped an hour earlier: inside
    // the offset range the bisection finds for the window, outside the window itself.
    let minute = 60_000;
    let mut stamps: Vec<i64> = (0..20).map(|m| T0 + m * minute).collect();
    for late in [12, 13] {
        stamps[late] = T0 - 3_600_000;
    }
    for (n, ts) in stamps.iter().enumerate() {
        let event = Event {
            partition: Some(0),
            timestamp: Some(*ts),
            key: Some(format!("k{n}").into_bytes()),
            value: Some(b"{}".to_vec()),
            ..Event::made("test", n as u64, std::sync::Arc::from(topic.as_str()))
        };
        writer.send(&event).unwrap();
    }
    writer.flush(DEADLINE).unwrap();
    let from = format!("@{}", T0 + 5 * minute);
    let until = format!("@{}", T0 + 15 * minute);
    let mut command = evt_command();
    command.args([
        "-b",
        mock.bootstrap(),
        "read",
        &topic,
        "--from",
        &from,
        "--until",
        &until,
    ]);
    let run = run(command);
    run.ok();
    let printed: Vec<i64> = run
        .envelopes()
        .iter()
        .map(|e| ms(e["timestamp"].as_str().unwrap()))
        .collect();
    assert!(!printed.is_empty(), "{}", run.stderr);
    assert!(
        printed
            .iter()
            .all(|ts| (T0 + 5 * minute..T0 + 15 * minute).contains(ts)),
        "every printed event is inside the window: {printed:?}"
    );
    assert_eq!(
        printed.len(),
        8,
        "minutes 5-11 and 14: {printed:?}\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("2 event(s) in the offset range had timestamps outside the time window"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "1 event(s) earlier than their predecessor in {topic}/0"
        )),
        "{}",
        run.stderr
    );
}
