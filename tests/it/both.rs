//! Behaviour that holds on every broker family, written once and run on each (Kafka through
//! tansu, RabbitMQ Streams through a private node): windows by offset, relative offset and
//! time, filters, the envelope's fields, tail, diff and replay across families.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::family::*;
use crate::harness::*;

/// 2026-01-01T00:00:00Z: seeded events are a second apart from here.
const BASE: i64 = 1_767_225_600_000;

fn records(n: i64) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            partition: 0,
            key: Some(format!("order-{}", i % 4).into_bytes()),
            value: Some(if i == 5 {
                vec![0xff, 0x00, 0xfe] // binary
            } else {
                format!(
                    r#"{{"n":{i},"type":"{}"}}"#,
                    if i % 3 == 0 {
                        "OrderCreated"
                    } else {
                        "OrderPaid"
                    }
                )
                .into_bytes()
            }),
            headers: vec![
                ("trace-id".into(), Some(format!("t{i}").into_bytes())),
                ("tenant".into(), Some(b"eu".to_vec())),
            ],
            timestamp: BASE + i * 1000,
        })
        .collect()
}

fn offsets(run: &Run) -> Vec<i64> {
    run.positions().into_iter().map(|(_, o)| o).collect()
}

fn rfc(ms: i64) -> String {
    evt::event::format_timestamp(ms).unwrap()
}

#[test]
fn windows_filters_and_the_envelope_agree_on_both_families() {
    let seeded = records(12);
    for family in families() {
        let name = family.name();
        let topic = family.seeded("windows", &seeded);
        let all = family.evt(&["read", &topic]);
        all.ok();
        let events = all.envelopes();
        assert_eq!(events.len(), 12, "{name}");
        for (e, r) in events.iter().zip(&seeded) {
            let parsed = parse_envelope(&e.to_string()).unwrap();
            assert_eq!(parsed.key, r.key, "{name}");
            assert_eq!(parsed.value, r.value, "{name}: values byte for byte");
            assert_eq!(parsed.timestamp, Some(r.timestamp), "{name}");
            assert_eq!(e["timestamp_type"], "create", "{name}");
            let headers: Vec<(String, Option<Vec<u8>>)> = parsed
                .headers
                .iter()
                .map(|h| (h.name.clone(), h.value.clone()))
                .collect();
            assert_eq!(headers, r.headers, "{name}: headers in order");
        }
        let window = family.evt(&["read", &topic, "--from", "3", "--until", "7"]);
        assert_eq!(offsets(window.ok()), [3, 4, 5, 6], "{name}");
        let last = family.evt(&["read", &topic, "--from", "-2"]);
        assert_eq!(offsets(last.ok()), [10, 11], "{name}");
        let skip = family.evt(&["read", &topic, "--from", "+9"]);
        assert_eq!(offsets(skip.ok()), [9, 10, 11], "{name}");
        let times = family.evt(&[
            "read",
            &topic,
            "--from",
            &rfc(BASE + 4_000),
            "--until",
            &rfc(BASE + 7_500),
        ]);
        assert_eq!(offsets(times.ok()), [4, 5, 6, 7], "{name}: a time window");
        let late = family.evt(&["read", &topic, "--from", &rfc(BASE + 60_000)]);
        assert_eq!(offsets(late.ok()), Vec::<i64>::new(), "{name}");
        let keyed = family.evt(&["read", &topic, "--key", "order-1"]);
        assert_eq!(offsets(keyed.ok()), [1, 5, 9], "{name}");
        let jq = family.evt(&["read", &topic, "--where", ".type == \"OrderCreated\""]);
        assert_eq!(offsets(jq.ok()), [0, 3, 6, 9], "{name}");
        let header = family.evt(&["read", &topic, "--header", "trace-id=t7"]);
        assert_eq!(offsets(header.ok()), [7], "{name}");
        let explain = family.evt(&["read", &topic, "--from", "-3", "--explain"]);
        explain.ok();
        assert!(
            explain.stdout.contains(&topic),
            "{name}: {}",
            explain.stdout
        );
        let missing = family.evt(&["read", &format!("{topic}-missing")]);
        missing.expect_code(2);
        assert!(
            missing.stderr.contains("not found"),
            "{name}: {}",
            missing.stderr
        );
    }
}

#[test]
fn tail_follows_new_events_on_both_families() {
    for family in families() {
        let name = family.name();
        let topic = family.seeded("tail", &records(3));
        let tail = family.spawn(&["tail", &topic, "--format", "json"]);
        // Wait until the tail follows (nothing old is printed), then write.
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(
            tail.try_line(Duration::from_millis(10)),
            None,
            "{name}: only new events"
        );
        let mut more = records(6);
        more.drain(..3);
        family.seed(&topic, &more);
        let mut seen = Vec::new();
        for _ in 0..3 {
            let line = tail.line(DEADLINE);
            let e: serde_json::Value = serde_json::from_str(&line).unwrap();
            seen.push(e["offset"].as_i64().unwrap());
        }
        assert_eq!(seen, [3, 4, 5], "{name}");
        tail.interrupt();
        let (code, stderr) = tail.wait_with_stderr(DEADLINE);
        assert_eq!(
            code,
            Some(0),
            "{name}: Ctrl-C ends a tail cleanly: {stderr}"
        );
    }
}

/// A stream and a topic holding the same events are the same to `diff`; one changed event
/// is found and named on both sides.
#[test]
fn diff_compares_a_stream_with_a_topic() {
    let seeded = records(8);
    let topic = Kafka.seeded("diff", &seeded);
    let stream = Streams.seeded("diff", &seeded);
    let diff = |right: &str| {
        let mut command = evt_command();
        command.args([
            "-b",
            &Kafka.brokers(),
            "diff",
            &topic,
            right,
            "--right-brokers",
            &Streams.brokers(),
            "--compare",
            "envelope",
        ]);
        run(command)
    };
    // Keys, values, headers and timestamps: the same on both.
    let same = diff(&stream);
    same.ok();
    let mut changed = seeded.clone();
    changed[6].value = Some(br#"{"n":6,"type":"OrderRefunded"}"#.to_vec());
    let other = Streams.seeded("diff-changed", &changed);
    let found = diff(&other);
    found.expect_code(1);
    assert!(found.stdout.contains("OrderRefunded"), "{}", found.stdout);
}

/// Every event of a replay Kafka → stream → Kafka arrives once, byte for byte, and a replay
/// killed part way and resumed writes nothing twice: two source partitions meet in the one
/// stream (`--partitioner key`), so only the stream's publisher deduplication knows what the
/// lagging checkpoint does not.
#[test]
fn replay_across_families_loses_nothing_and_doubles_nothing() {
    let mut seeded: Vec<Record> = records(400);
    for (i, r) in seeded.iter_mut().enumerate() {
        r.partition = (i % 2) as i32;
    }
    let source = Kafka.seeded_in("xreplay", 2, &seeded);
    let stream = unique_topic("xreplay-stream");
    let replay = |more: &[&str]| {
        let mut command = evt_command();
        command.args(["-b", &Kafka.brokers(), "replay", &source, "--to", &stream]);
        command.args(["--to-brokers", &Streams.brokers(), "--partitioner", "key"]);
        command.args(more);
        command
    };
    let checkpoint = workdir().join(format!(".evt-replay-{source}-{stream}.json"));
    let mut running = Spawned::start(replay(&["--rate", "200/s"]));
    running.wait_for_stderr("created", DEADLINE);
    running.wait_for("a checkpoint with progress", |_| {
        std::fs::read_to_string(&checkpoint)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|cp| cp["partitions"][1]["next_offset"].as_i64())
            .is_some_and(|n| n > 0)
    });
    // SIGKILL: the periodic checkpoint lags behind what the stream holds.
    std::thread::sleep(Duration::from_millis(300));
    running.kill();
    let written = Streams.evt(&["read", &stream]).envelopes().len();
    assert!((1..400).contains(&written), "stopped part way: {written}");
    run(replay(&["--resume", checkpoint.to_str().unwrap()])).ok();
    let copied = Streams.evt(&["read", &stream]);
    let events = copied.ok().envelopes();
    let origins: Vec<String> = events
        .iter()
        .map(|e| {
            let parsed = parse_envelope(&e.to_string()).unwrap();
            let h = parsed
                .headers
                .iter()
                .find(|h| h.name == "evt-source")
                .unwrap();
            String::from_utf8(h.value.clone().unwrap()).unwrap()
        })
        .collect();
    let unique: BTreeSet<&String> = origins.iter().collect();
    assert_eq!(unique.len(), origins.len(), "no event doubled");
    assert_eq!(origins.len(), 400, "no event lost");
    for (e, r) in events.iter().zip(&seeded) {
        let parsed = parse_envelope(&e.to_string()).unwrap();
        assert_eq!(
            (parsed.key.as_ref(), parsed.value.as_ref()),
            (r.key.as_ref(), r.value.as_ref())
        );
        assert_eq!(parsed.timestamp, Some(r.timestamp));
    }

    // And back into Kafka: the same events, their headers with them.
    let back = unique_topic("xreplay-back");
    let mut home = evt_command();
    home.args([
        "-b",
        &Streams.brokers(),
        "replay",
        &stream,
        "--to",
        &back,
        "--to-brokers",
        &Kafka.brokers(),
    ]);
    run(home).ok();
    let returned = Kafka.evt(&["read", &back]);
    let returned = returned.ok().envelopes();
    assert_eq!(returned.len(), 400);
    for (e, r) in returned.iter().zip(&seeded) {
        let parsed = parse_envelope(&e.to_string()).unwrap();
        assert_eq!(parsed.value, r.value);
        assert_eq!(parsed.timestamp, Some(r.timestamp));
        let trace = parsed
            .headers
            .iter()
            .find(|h| h.name == "trace-id")
            .unwrap();
        assert_eq!(Some(&trace.value), r.headers.first().map(|(_, v)| v));
    }
}
