//! Filters against the real broker: every kind, combinations, pruning by key, and errors.

use std::time::Duration;

use evt::broker::partitioner::partition_for;
use evt::broker::produce::Writer;
use evt::event::{Event, Header, TimestampType};

use crate::harness::*;

/// 60 orders over 4 partitions, placed by librdkafka's murmur2 partitioner from their keys.
fn orders(prefix: &str) -> String {
    let topic = unique_topic(prefix);
    create_topic(&topic, 4);
    let writer = Writer::new(&broker().addr, &[]).unwrap();
    let statuses = ["CREATED", "PAID", "FAILED"];
    for n in 0..60i64 {
        let status = statuses[usize::try_from(n % 3).unwrap()];
        let mut headers = vec![Header {
            name: "trace-id".into(),
            value: Some(format!("t{}", n % 7).into_bytes()),
        }];
        if n % 10 == 0 {
            headers.push(Header {
                name: "retry".into(),
                value: Some(b"1".to_vec()),
            });
        }
        let value = if n == 59 {
            b"plain text, FAILED but not JSON".to_vec()
        } else {
            format!(
                r#"{{"order_id":{n},"status":"{status}","amount":{}}}"#,
                n * 10
            )
            .into_bytes()
        };
        writer
            .send(&Event {
                timestamp: Some(1_790_000_000_000 + n * 1000),
                timestamp_type: TimestampType::Create,
                key: Some(format!("order-{}", n % 12).into_bytes()),
                value: Some(value),
                headers,
                ..Event::made("test", n as u64, std::sync::Arc::from(topic.as_str()))
            })
            .unwrap();
    }
    writer.flush(DEADLINE).unwrap();
    topic
}

fn field(run: &Run, name: &str) -> Vec<serde_json::Value> {
    run.envelopes()
        .iter()
        .map(|e| e["value"][name].clone())
        .collect()
}

#[test]
fn where_selects_by_value_and_counts_non_json() {
    let topic = orders("where");
    let run = evt(&["read", &topic, "--where", r#".status == "FAILED""#]);
    run.ok();
    assert_eq!(run.envelopes().len(), 19, "n % 3 == 2 for n < 59");
    assert!(field(&run, "status").iter().all(|s| s == "FAILED"));
    assert!(
        run.stderr.contains("scanned 60 events, matched 19"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("non-JSON skipped 1"), "{}", run.stderr);
    let run = evt(&[
        "read",
        &topic,
        "--where",
        r#".status == "FAILED" and .amount > 300"#,
    ]);
    run.ok();
    assert_eq!(field(&run, "order_id").len(), 9);
    // Repeated --where is AND; jq's `or` is OR.
    let run = evt(&[
        "read",
        &topic,
        "--where",
        ".amount >= 100",
        "--where",
        ".amount < 200",
    ]);
    run.ok();
    assert_eq!(field(&run, "order_id").len(), 10);
    let run = evt(&[
        "read",
        &topic,
        "--where",
        ".order_id == 1 or .order_id == 2",
    ]);
    run.ok();
    assert_eq!(field(&run, "order_id").len(), 2);
}

#[test]
fn key_filters_and_partition_pruning() {
    let topic = orders("key");
    let pruned = evt(&[
        "-v",
        "read",
        &topic,
        "--key",
        "order-5",
        "--order",
        "partition",
    ]);
    pruned.ok();
    let all = evt(&[
        "read",
        &topic,
        "--key",
        "order-5",
        "--no-prune",
        "--order",
        "partition",
    ]);
    all.ok();
    assert_eq!(pruned.keys(), vec!["order-5"; 5]);
    assert_eq!(pruned.positions(), all.positions(), "pruning loses nothing");
    let expected = partition_for(b"order-5", 4);
    assert!(
        pruned
            .positions()
            .iter()
            .all(|(p, _)| *p == i64::from(expected)),
        "murmur2 placed the key there"
    );
    assert!(
        pruned
            .stderr
            .contains(&format!("partition(s) [{expected}] of {topic} (4 in all)")),
        "{}",
        pruned.stderr
    );
    assert!(
        pruned.stderr.contains("scanned") && !pruned.stderr.contains("scanned 60 events"),
        "{}",
        pruned.stderr
    );
    let several = evt(&["read", &topic, "--key", "order-5", "--key", "order-7"]);
    several.ok();
    assert_eq!(several.envelopes().len(), 10);
    let regex = evt(&["read", &topic, "--key-regex", "^order-1[01]$"]);
    regex.ok();
    assert_eq!(regex.envelopes().len(), 10);
    let mut found = regex.keys();
    found.sort();
    found.dedup();
    assert_eq!(found, ["order-10", "order-11"]);
}

/// The partitioner masks the sign bit of the hash (`& 0x7fffffff`); `abs()` gives another
/// partition for negative hashes, and "order-2" hashes negative (order-5 does not).
#[test]
fn pruning_finds_keys_whose_hash_is_negative() {
    let topic = orders("negkey");
    assert!(
        evt::broker::partitioner::murmur2(b"order-2") < 0,
        "the premise: a negative hash"
    );
    let everywhere = evt(&[
        "read",
        &topic,
        "--key",
        "order-2",
        "--no-prune",
        "--order",
        "partition",
    ]);
    everywhere.ok();
    // Where librdkafka's partitioner put the key, as a read of every partition shows:
    // (-1055499005 & 0x7fffffff) % 4 == 3, while abs(-1055499005) % 4 == 1.
    assert_eq!(
        everywhere
            .positions()
            .iter()
            .map(|(p, _)| *p)
            .collect::<Vec<_>>(),
        vec![3; 5]
    );
    let pruned = evt(&[
        "-v",
        "read",
        &topic,
        "--key",
        "order-2",
        "--order",
        "partition",
    ]);
    pruned.ok();
    assert_eq!(
        pruned.positions(),
        everywhere.positions(),
        "pruning loses nothing"
    );
    assert!(
        pruned
            .stderr
            .contains(&format!("partition(s) [3] of {topic} (4 in all)")),
        "{}",
        pruned.stderr
    );
}

#[test]
fn header_and_grep_filters() {
    let topic = orders("header");
    let retried = evt(&["read", &topic, "--header", "retry"]);
    retried.ok();
    assert_eq!(
        field(&retried, "order_id"),
        (0..6)
            .map(|n| serde_json::json!(n * 10))
            .collect::<Vec<_>>()
    );
    let traced = evt(&["read", &topic, "--header", "trace-id=^t3$"]);
    traced.ok();
    assert_eq!(traced.envelopes().len(), 9); // n % 7 == 3 for n < 60
    let grep = evt(&["read", &topic, "--grep", "not JSON|order-11"]);
    grep.ok();
    // Keys order-11 are n = 11, 23, 35, 47, 59; n = 59 also holds the text payload.
    assert_eq!(grep.envelopes().len(), 5);
    let combined = evt(&[
        "read",
        &topic,
        "--header",
        "retry",
        "--where",
        r#".status == "PAID""#,
    ]);
    combined.ok();
    assert_eq!(
        field(&combined, "order_id"),
        [serde_json::json!(10), serde_json::json!(40)]
    );
}

#[test]
fn where_envelope_and_jq_transform() {
    let topic = orders("envelope");
    let run = evt(&[
        "read",
        &topic,
        "--where-envelope",
        r#".key == "order-3" and .offset >= 0"#,
    ]);
    run.ok();
    assert_eq!(run.envelopes().len(), 5);
    let run = evt(&[
        "read",
        &topic,
        "--where",
        r#".status == "PAID""#,
        "--jq",
        "{id: .order_id, cents: (.amount * 100)}",
        "--format",
        "value",
        "-c",
        "2",
    ]);
    run.ok();
    assert_eq!(
        run.stdout,
        "{\"id\":1,\"cents\":1000}\n{\"id\":4,\"cents\":4000}\n"
    );
}

#[test]
fn jq_and_regex_errors_are_usage_errors_before_connecting() {
    for (flag, text, message) in [
        (
            "--where",
            ".status ==",
            "--where '.status ==': jq syntax error at column 11",
        ),
        ("--jq", "{a: }", "--jq '{a: }': jq syntax error"),
        ("--where", "nosuch(1)", "undefined filter 'nosuch'"),
        (
            "--grep",
            "(unclosed",
            "--grep '(unclosed' is not a valid regular expression",
        ),
        (
            "--header",
            "x=[",
            "--header '[' is not a valid regular expression",
        ),
    ] {
        let mut command = evt_command();
        command.args(["-b", "127.0.0.1:1", "read", "orders", flag, text]);
        let run = run(command);
        run.expect_code(2);
        assert!(
            run.stderr.contains(message),
            "{flag} {text}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
        assert!(
            run.elapsed < Duration::from_secs(2),
            "no connection attempt"
        );
    }
}

#[test]
fn tail_filters_live_events() {
    let topic = unique_topic("tailfilter");
    create_topic(&topic, 2);
    let mut tail = spawn_evt(&["-v", "tail", &topic, "--where", ".keep", "-c", "2"]);
    tail.wait_for_stderr("following 2 partition(s)", DEADLINE);
    let now = chrono::Utc::now().timestamp_millis();
    produce(
        &topic,
        &[
            Record::json(0, "a", r#"{"keep":false,"n":1}"#, now),
            Record::json(1, "b", r#"{"keep":true,"n":2}"#, now),
            Record::json(0, "c", r#"{"keep":true,"n":3}"#, now),
        ],
    );
    let lines: Vec<String> = (0..2).map(|_| tail.line(DEADLINE)).collect();
    let shown = |n: &str| lines.iter().any(|l| l.contains(&format!("\"n\":{n}}}")));
    assert!(shown("2") && shown("3") && !shown("1"), "{lines:?}");
    assert_eq!(tail.wait(DEADLINE), Some(0));
}

/// `--format value` and `--jq` print no headers, so evt does not ask the broker for them;
/// a header filter still sees them (issue 9).
#[test]
fn header_filters_work_when_headers_are_not_printed() {
    let topic = orders("headervalue");
    let values = evt(&["read", &topic, "--header", "retry", "--format", "value"]);
    values.ok();
    assert_eq!(values.stdout.lines().count(), 6, "{}", values.stderr);
    let envelope = evt(&[
        "read",
        &topic,
        "--where-envelope",
        r#".headers | any(.[0] == "retry")"#,
        "--jq",
        ".order_id",
    ]);
    envelope.ok();
    assert_eq!(envelope.stdout.lines().count(), 6, "{}", envelope.stderr);
}
