//! The inspect commands against tansu (topics, describe, offsets, groups, lag) and `evt stats`,
//! librdkafka's mock cluster where tansu lacks an API or the mock is what the playground runs.
//! Every figure is checked against what the test itself produced and committed.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::Value;

use crate::family::Kafka;

use crate::harness::{broker, create_topic, evt, evt_command, produce, run, unique_topic, Record};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Commits `offsets` (partition → next offset to read) for `group` on `topic`, as a
/// consumer that assigned its partitions itself.
fn commit(bootstrap: &str, group: &str, topic: &str, offsets: &[(i32, i64)]) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("a consumer");
    let mut tpl = TopicPartitionList::new();
    for (p, o) in offsets {
        tpl.add_partition_offset(topic, *p, Offset::Offset(*o))
            .unwrap();
    }
    consumer
        .commit(&tpl, CommitMode::Sync)
        .expect("offsets committed");
}

/// A topic with events at known times: partition p holds `counts[p]` events, event i of it
/// at `base + i * 60 s`.
fn seeded(prefix: &str, counts: &[i64], base: i64) -> String {
    let records: Vec<Record> = counts
        .iter()
        .enumerate()
        .flat_map(|(p, n)| {
            (0..*n).map(move |i| {
                Record::json(
                    p as i32,
                    &format!("k{i}"),
                    &format!("{{\"i\":{i}}}"),
                    base + i * 60_000,
                )
            })
        })
        .collect();
    Kafka.seeded_in(prefix, counts.len() as i32, &records)
}

#[test]
fn topics_lists_partitions_replication_and_events() {
    let topic = seeded("inspect-topics", &[4, 2, 0], now_ms() - 3_600_000);
    let run = evt(&["topics", &topic, "--format", "json"]);
    run.ok();
    let v = json(&run.stdout);
    let found = &v["topics"][0];
    assert_eq!(found["name"], topic.as_str());
    assert_eq!(found["partitions"], 3);
    assert_eq!(found["replication"], 1);
    assert_eq!(found["events"], 6);
    // tansu reports no configs for a topic created without any.
    assert_eq!(found["configs_reported"], false);
    // A glob finds it among others; a table for people.
    let table = evt(&["topics", "inspect-topics*"]);
    table.ok();
    assert!(table.stdout.contains(&topic), "{}", table.stdout);
    // A plain name that does not exist is a usage error with a suggestion.
    let typo = evt(&["topics", &topic[..topic.len() - 1]]);
    typo.expect_code(2);
    assert!(typo.stderr.contains("did you mean"), "{}", typo.stderr);
}

#[test]
fn describe_tells_how_far_back_one_can_travel_and_when_history_expires() {
    let base = now_ms() - 2 * 3_600_000;
    let topic = unique_topic("inspect-describe");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &broker().addr)
        .create()
        .unwrap();
    let day = 86_400_000i64.to_string();
    let new = NewTopic::new(&topic, 2, TopicReplication::Fixed(1))
        .set("retention.ms", &day)
        .set("cleanup.policy", "delete");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for r in rt
        .block_on(admin.create_topics([&new], &AdminOptions::new()))
        .unwrap()
    {
        r.unwrap();
    }
    let records: Vec<Record> = (0..3)
        .map(|i| Record::json(0, "k", "{}", base + i * 60_000))
        .chain((0..2).map(|i| Record::json(1, "k", "{}", base + 3_600_000 + i * 1000)))
        .collect();
    produce(&topic, &records);
    let run = evt(&["describe", &topic, "--format", "json"]);
    run.ok();
    let t = &json(&run.stdout)["topics"][0];
    let p0 = &t["partitions"][0];
    assert_eq!(
        (p0["low"].as_i64(), p0["high"].as_i64()),
        (Some(0), Some(3))
    );
    assert_eq!(p0["oldest_ms"].as_i64(), Some(base));
    assert_eq!(p0["newest_ms"].as_i64(), Some(base + 120_000));
    assert_eq!(p0["leader"], t["partitions"][1]["leader"]);
    assert_eq!(
        t["partitions"][1]["newest_ms"].as_i64(),
        Some(base + 3_601_000)
    );
    assert_eq!(t["oldest_ms"].as_i64(), Some(base));
    assert_eq!(t["configs"]["retention.ms"], day.as_str());
    assert_eq!(t["configs"]["cleanup.policy"], "delete");
    assert_eq!(t["oldest_expires_ms"].as_i64(), Some(base + 86_400_000));
    let table = evt(&["describe", &topic]);
    table.ok();
    assert!(
        table.stdout.contains("you can travel back to")
            && table.stdout.contains("(2 h ago)")
            && table.stdout.contains("the oldest events expire in ~21 h"),
        "{}",
        table.stdout
    );
    let unknown = evt(&["describe", "no-such-topic-anywhere"]);
    unknown.expect_code(2);
    assert!(unknown.stderr.contains("not found"), "{}", unknown.stderr);
}

#[test]
fn offsets_at_a_time_per_partition() {
    let base = now_ms() - 3_600_000;
    let topic = seeded("inspect-offsets", &[10, 5], base);
    let at = format!("@{}", base + 3 * 60_000 + 1);
    let run = evt(&["offsets", &topic, "--at", &at, "--format", "json"]);
    run.ok();
    let v = json(&run.stdout);
    let offsets: Vec<(i64, i64, i64)> = v["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["partition"].as_i64().unwrap(),
                p["offset"].as_i64().unwrap(),
                p["high"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(offsets, [(0, 4, 10), (1, 4, 5)]);
    let relative = evt(&[
        "offsets", &topic, "--at", "-2", "-p", "0", "--format", "json",
    ]);
    relative.ok();
    assert_eq!(json(&relative.stdout)["partitions"][0]["offset"], 8);
    let bad = evt(&["offsets", &topic, "--at", "yesterdayish"]);
    bad.expect_code(2);
}

#[test]
fn lag_in_events_and_time_with_exit_codes_for_alerts() {
    let now = now_ms();
    let base = now - 600_000;
    // p0: 10 events a minute apart; p1: 4; p2: one event stamped an hour in the future.
    let topic = unique_topic("inspect-lag");
    create_topic(&topic, 3);
    let mut records: Vec<Record> = (0..10)
        .map(|i| Record::json(0, "k", "{}", base + i * 60_000))
        .collect();
    records.extend((0..4).map(|i| Record::json(1, "k", "{}", base + i * 60_000)));
    records.push(Record::json(2, "k", "{}", now + 3_600_000));
    produce(&topic, &records);
    let group = format!("{topic}-billing");
    // Next to read: p0 offset 6 (4 left), p1 caught up, p2 offset 0 (the future event).
    commit(&broker().addr, &group, &topic, &[(0, 6), (1, 4), (2, 0)]);
    let run = evt(&["lag", &group, "--format", "json"]);
    run.ok();
    let v = json(&run.stdout);
    let g = &v["groups"][0];
    assert_eq!(g["group"], group.as_str());
    let parts = g["partitions"].as_array().unwrap();
    let p = |n: usize| &parts[n];
    assert_eq!(
        (
            p(0)["committed"].as_i64(),
            p(0)["end"].as_i64(),
            p(0)["lag"].as_i64()
        ),
        (Some(6), Some(10), Some(4))
    );
    // The first unconsumed event is offset 6, stamped base + 6 min: within a second.
    let expected_age = v["time_ms"].as_i64().unwrap() - (base + 6 * 60_000);
    let age = p(0)["lag_ms"].as_i64().unwrap();
    assert!(
        (age - expected_age).abs() <= 1000,
        "age {age}, expected {expected_age}"
    );
    assert_eq!(
        (p(1)["lag"].as_i64(), p(1)["lag_ms"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(p(1)["status"], "caught up");
    assert_eq!(
        (p(2)["lag"].as_i64(), p(2)["lag_ms"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(p(2)["clock_skew"], true);
    assert_eq!(g["lag"], 5);
    assert_eq!(g["status"], "behind");
    // Alerts: over the limits exits 1, within them 0.
    evt(&["lag", &group, "--max-lag", "4"]).expect_code(1);
    evt(&["lag", &group, "--max-lag", "5"]).ok();
    evt(&["lag", &group, "--max-lag-time", "1m"]).expect_code(1);
    evt(&["lag", &group, "--max-lag-time", "1h"]).ok();
    // Two samples while nothing moves: behind and not committing is "stopped".
    let watched = evt(&[
        "lag",
        &group,
        "--watch",
        "200ms",
        "--samples",
        "2",
        "--format",
        "json",
    ]);
    watched.ok();
    let last = watched.stdout.lines().last().unwrap();
    assert_eq!(
        json(last)["groups"][0]["status"],
        "stopped",
        "{}",
        watched.stdout
    );
    // The table names the group, and a typo gets a suggestion.
    let table = evt(&["lag", &group]);
    table.ok();
    assert!(
        table.stdout.contains("behind") && table.stdout.contains("clock skew"),
        "{}",
        table.stdout
    );
    let typo = evt(&["lag", &group[..group.len() - 1]]);
    typo.expect_code(2);
    assert!(typo.stderr.contains("did you mean"), "{}", typo.stderr);
}

#[test]
fn groups_lists_groups_and_the_topics_they_committed_for() {
    let topic = seeded("inspect-groups", &[3], now_ms() - 60_000);
    let group = format!("{topic}-shipping");
    commit(&broker().addr, &group, &topic, &[(0, 1)]);
    let run = evt(&["groups", &group, "--format", "json"]);
    run.ok();
    let v = json(&run.stdout);
    assert_eq!(v["groups"][0]["group"], group.as_str());
    assert_eq!(v["groups"][0]["topics"], serde_json::json!([topic]));
}

/// librdkafka's mock cluster (the playground's broker) lists no groups and answers no
/// DescribeConfigs: lag still works for named groups, and configs say they are not reported.
#[test]
fn on_the_mock_cluster_named_groups_and_unreported_configs() {
    let mock = evt::broker::mock::MockBroker::start(1).unwrap();
    mock.create_topic("events", 2).unwrap();
    let writer = evt::broker::produce::Writer::new(mock.bootstrap(), &[]).unwrap();
    for i in 0..6 {
        let mut e = evt::event::Event::new(evt::event::Origin::Made { by: "test", seq: i });
        e.value = Some(b"{}".to_vec());
        e.timestamp = Some(now_ms() - 1000);
        e.topic = Some("events".into());
        e.partition = Some((i % 2) as i32);
        writer.send(&e).unwrap();
    }
    writer.flush(Duration::from_secs(10)).unwrap();
    commit(mock.bootstrap(), "audit", "events", &[(0, 1), (1, 3)]);
    let mut command = evt_command();
    command
        .args(["-b", mock.bootstrap(), "lag", "audit", "--format", "json"])
        .arg("--all-partitions");
    let run = run(command);
    run.ok();
    let g = &json(&run.stdout)["groups"][0];
    assert_eq!(g["lag"], 2);
    let mut command = evt_command();
    command.args(["-b", mock.bootstrap(), "describe", "events"]);
    let described = crate::harness::run(command);
    described.ok();
    assert!(
        described
            .stdout
            .contains("configs: not reported by this broker"),
        "{}",
        described.stdout
    );
}

/// `evt stats` finds exactly what the test planted: duplicate ids across partitions with the
/// origin of each copy, a timestamp that goes back, a quiet gap, a per-key sequence gap and
/// regression; `--fail-on` turns findings into exit 1.
#[test]
fn stats_finds_the_planted_faults() {
    let base = now_ms() - 3_600_000;
    let topic = unique_topic("stats");
    create_topic(&topic, 2);
    let ev = |p: i32, key: &str, id: &str, version: i64, ts: i64| {
        Record::json(
            p,
            key,
            &format!(r#"{{"event_id":"{id}","version":{version}}}"#),
            ts,
        )
    };
    let records = vec![
        ev(0, "o1", "e1", 1, base),
        ev(0, "o1", "e2", 2, base + 1_000),
        ev(1, "o2", "e3", 1, base + 2_000),
        // A redelivery of e2 on the other partition.
        ev(1, "o1", "e2", 2, base + 3_000),
        // Five quiet minutes, then o1 skips version 3 and o2 goes back to version 0.
        ev(0, "o1", "e4", 4, base + 303_000),
        ev(1, "o2", "e5", 0, base + 304_000),
        // Partition 0 goes back 200 s in time.
        ev(0, "o3", "e6", 1, base + 104_000),
    ];
    produce(&topic, &records);
    let run = evt(&[
        "stats",
        &topic,
        "--id",
        ".event_id",
        "--seq",
        ".version",
        "--gap",
        "1m",
        "--format",
        "json",
    ]);
    run.ok();
    let v = json(&run.stdout);
    assert_eq!(v["events"], 7);
    assert_eq!(v["duplicates"]["extra_copies"], 1);
    let dup = &v["duplicates"]["list"][0];
    assert_eq!(dup["id"], "e2");
    assert_eq!(
        dup["origins"],
        serde_json::json!([format!("{topic}/0@1"), format!("{topic}/1@1")])
    );
    assert_eq!(v["out_of_order"]["count"], 1);
    assert_eq!(v["out_of_order"]["worst_ms"], 199_000);
    assert_eq!(v["out_of_order"]["worst_at"], format!("{topic}/0@3"));
    assert_eq!(v["sequence"]["gaps"], 1);
    // The redelivered e2 (version 2 again) and o2's version 0 both go back.
    assert_eq!(v["sequence"]["regressions"], 2);
    assert_eq!(v["gaps"]["count"], 1);
    let gaps = v["gaps"]["longest"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{}", v["gaps"]);
    assert_eq!(
        (gaps[0]["from_ms"].as_i64(), gaps[0]["to_ms"].as_i64()),
        (Some(base + 3_000), Some(base + 303_000))
    );
    assert_eq!(v["keys"]["distinct"], 3);
    let fail = evt(&[
        "stats",
        &topic,
        "--id",
        ".event_id",
        "--fail-on",
        "duplicates",
    ]);
    fail.expect_code(1);
    // With a schema that wants versions from 1: o2's version 0 is the one invalid event.
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("payment.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","required":["event_id","version"],"properties":{"version":{"type":"integer","minimum":1}}}"#,
    )
    .unwrap();
    let schema = schema.to_str().unwrap();
    let checked = evt(&["stats", &topic, "--schema", schema, "--format", "json"]);
    checked.ok();
    assert_eq!(
        json(&checked.stdout)["schemas"],
        serde_json::json!([{"schema": "payment.json", "valid": 6, "invalid": 1}])
    );
    evt(&["stats", &topic, "--schema", schema, "--fail-on", "invalid"]).expect_code(1);
    evt(&["stats", &topic, "--fail-on", "invalid"]).expect_code(2);
    // Without --id, a duplicate is the same key and value: the redelivered e2 is one too.
    evt(&["stats", &topic, "--fail-on", "duplicates"]).expect_code(1);
    let clean = seeded("stats-clean", &[3], base);
    evt(&["stats", &clean, "--fail-on", "duplicates,out-of-order"]).ok();
}

/// `evt trace`: one order's events across two topics as one timeline in time order, what
/// changed at each step, and the verdict on the expected flow (exit 1 when it stopped or a
/// compensation is missing); also by a field of the value and by a header.
#[test]
fn trace_follows_one_order_across_topics_and_judges_the_saga() {
    let base = now_ms() - 600_000;
    let orders = unique_topic("trace-orders");
    let payments = unique_topic("trace-payments");
    create_topic(&orders, 2);
    create_topic(&payments, 1);
    let ev = |p: i32, key: &str, body: &str, ts: i64| Record::json(p, key, body, ts);
    // Keyed events sit where the default partitioner puts them (trace prunes by key).
    let (p1, p2) = (
        evt::broker::partitioner::partition_for(b"o-1", 2),
        evt::broker::partitioner::partition_for(b"o-2", 2),
    );
    produce(
        &orders,
        &[
            ev(
                p1,
                "o-1",
                r#"{"type":"OrderCreated","order_id":"o-1","status":"NEW"}"#,
                base,
            ),
            ev(
                p2,
                "o-2",
                r#"{"type":"OrderCreated","order_id":"o-2","status":"NEW"}"#,
                base + 10,
            ),
            ev(
                p1,
                "o-1",
                r#"{"type":"OrderConfirmed","order_id":"o-1","status":"PAID"}"#,
                base + 3_000,
            ),
        ],
    );
    let mut failed = ev(
        0,
        "p-9",
        r#"{"type":"PaymentFailed","order":"o-2"}"#,
        base + 2_000,
    );
    failed.headers = vec![("trace-id".into(), Some(b"o-2".to_vec()))];
    produce(
        &payments,
        &[
            ev(
                0,
                "o-1",
                r#"{"type":"PaymentAuthorized","order_id":"o-1","amount":5}"#,
                base + 1_000,
            ),
            failed,
        ],
    );
    let expect =
        "OrderCreated,PaymentAuthorized,OrderConfirmed,OrderShipped,PaymentFailed->OrderCancelled";
    let run = evt(&[
        "trace", "o-1", &orders, &payments, "--expect", expect, "--format", "json",
    ]);
    run.expect_code(1);
    let v = json(&run.stdout);
    let events = v["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["OrderCreated", "PaymentAuthorized", "OrderConfirmed"]
    );
    assert_eq!(events[1]["topic"], payments.as_str());
    // Against the payment before it: amount gone, status new, another type.
    assert_eq!(
        events[2]["changed"],
        serde_json::json!(["/amount", "/status", "/type"])
    );
    assert_eq!(
        v["verdict"],
        "flow stopped after step 3 (OrderConfirmed): OrderShipped never came"
    );
    // o-2's payment failed and nothing cancelled it: found by the header, and by a field.
    let by_header = evt(&[
        "trace", "o-2", &orders, &payments, "--header", "trace-id", "--expect", expect,
    ]);
    by_header.expect_code(1);
    assert!(
        by_header.stdout.contains(
            "compensation missing: PaymentFailed at step 2 was not followed by OrderCancelled"
        ),
        "{}",
        by_header.stdout
    );
    let by_field = evt(&[
        "trace",
        "o-2",
        &orders,
        &payments,
        "--field",
        ".order",
        "--field",
        ".order_id",
        "--format",
        "json",
    ]);
    by_field.ok();
    assert_eq!(
        json(&by_field.stdout)["events"].as_array().unwrap().len(),
        2
    );
}

/// `trace --follow`: the window, then each new event of the id as it is produced, the verdict
/// so far after each; a completed flow ends the watch (exit 0), and Ctrl-C on a flow whose
/// compensation is missing exits 1.
#[test]
fn trace_follow_watches_a_saga_until_it_ends() {
    use crate::harness::{spawn_evt, DEADLINE};
    let orders = unique_topic("follow-orders");
    let payments = unique_topic("follow-payments");
    create_topic(&orders, 1);
    create_topic(&payments, 1);
    let at = now_ms();
    let ev = |key: &str, body: &str| Record::json(0, key, body, at);
    produce(&orders, &[ev("o-7", r#"{"type":"OrderCreated","n":1}"#)]);
    let expect = "OrderCreated,PaymentAuthorized,OrderConfirmed,PaymentFailed->OrderCancelled";
    let step = |line: &str| -> Value { json(line) };
    let watch = spawn_evt(&[
        "trace", "o-7", &orders, &payments, "--follow", "--expect", expect, "--format", "json",
    ]);
    assert_eq!(step(&watch.line(DEADLINE))["type"], "OrderCreated");
    let so_far = step(&watch.line(DEADLINE));
    assert_eq!(so_far["final"], false, "{so_far}");
    // Live: another order's event in between is not o-7's.
    produce(&orders, &[ev("o-8", r#"{"type":"OrderCreated","n":9}"#)]);
    produce(
        &payments,
        &[ev("o-7", r#"{"type":"PaymentAuthorized","n":2}"#)],
    );
    let paid = step(&watch.line(DEADLINE));
    assert_eq!(
        (paid["step"].as_i64(), paid["type"].as_str()),
        (Some(2), Some("PaymentAuthorized"))
    );
    assert_eq!(paid["topic"], payments.as_str());
    assert_eq!(paid["changed"], serde_json::json!(["/n", "/type"]));
    assert_eq!(
        step(&watch.line(DEADLINE))["verdict"],
        "flow stopped after step 2 (PaymentAuthorized): OrderConfirmed never came"
    );
    produce(&orders, &[ev("o-7", r#"{"type":"OrderConfirmed","n":3}"#)]);
    assert_eq!(step(&watch.line(DEADLINE))["type"], "OrderConfirmed");
    let done = step(&watch.line(DEADLINE));
    assert_eq!(
        (done["final"].as_bool(), done["broken"].as_bool()),
        (Some(true), Some(false)),
        "{done}"
    );
    assert_eq!(
        watch.wait(DEADLINE),
        Some(0),
        "a completed flow ends the watch"
    );

    // A failure whose compensation never comes: Ctrl-C ends the watch with exit 1.
    produce(&orders, &[ev("o-9", r#"{"type":"OrderCreated"}"#)]);
    let watch = spawn_evt(&[
        "trace", "o-9", &orders, &payments, "--follow", "--expect", expect,
    ]);
    produce(&payments, &[ev("o-9", r#"{"type":"PaymentFailed"}"#)]);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("compensation missing"))
    {
        seen.push(watch.line(DEADLINE));
    }
    assert!(
        seen.iter()
            .any(|l| l.starts_with("so far: compensation missing: PaymentFailed at step 2")),
        "{seen:#?}"
    );
    watch.interrupt();
    assert_eq!(watch.wait(DEADLINE), Some(1));

    // A file has no live end.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(&file, "").unwrap();
    let refused = evt(&["trace", "o-9", file.to_str().unwrap(), "--follow"]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("--follow watches topics"),
        "{}",
        refused.stderr
    );
}
