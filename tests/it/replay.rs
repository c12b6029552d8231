//! `evt replay` and `evt produce` against tansu, with faults injected on the mock cluster.

use evt::broker::mock::MockBroker;
use evt::event::Event;
use std::collections::{BTreeMap, BTreeSet};

use crate::family::Kafka;
use crate::harness::*;

/// Records that every lossy pipe breaks: binary keys and values, tombstones, duplicate and
/// null headers, backdated timestamps, an empty value and the bytes `null`.
fn tricky(partition: i32, n: i64) -> Record {
    let base = ms("2024-02-29T12:00:00Z");
    let mut r = Record {
        partition,
        key: Some(format!("k{n}").into_bytes()),
        value: Some(format!(r#"{{"n": {n}}}"#).into_bytes()),
        headers: vec![
            ("h".into(), Some(b"1".to_vec())),
            ("h".into(), Some(b"2".to_vec())),
            ("nul".into(), None),
        ],
        timestamp: base + n * 1000,
    };
    match n % 5 {
        0 => r.value = None,
        1 => r.value = Some(vec![0xff, 0x00, 0xfe]),
        2 => r.key = Some(vec![0x80, 0x81]),
        3 => r.value = Some(b"null".to_vec()),
        _ => r.value = Some(Vec::new()),
    }
    r
}

fn seeded(prefix: &str, partitions: i32, per_partition: i64) -> String {
    let records: Vec<Record> = (0..per_partition)
        .flat_map(|n| {
            (0..partitions).map(move |p| tricky(p, n * i64::from(partitions) + i64::from(p)))
        })
        .collect();
    Kafka.seeded_in(prefix, partitions, &records)
}

/// Every record of a topic as decoded events, by partition and offset.
fn events_of(brokers: &str, topic: &str) -> Vec<Event> {
    let mut command = evt_command();
    command.args([
        "-b",
        brokers,
        "read",
        topic,
        "--order",
        "partition",
        "--format",
        "json",
    ]);
    let run = run(command);
    run.ok();
    let mut events: Vec<Event> = run
        .stdout
        .lines()
        .map(|l| parse_envelope(l).unwrap())
        .collect();
    events.sort_by_key(|e| (e.partition, e.offset));
    events
}

/// A record without where it lives and without evt's provenance header.
type Content = (
    i32,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
    Option<i64>,
);

fn content(e: &Event) -> Content {
    let headers = e
        .headers
        .iter()
        .filter(|h| h.name != "evt-source")
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    (
        e.partition.expect("a record names its partition"),
        e.key.clone(),
        e.value.clone(),
        headers,
        e.timestamp,
    )
}

fn provenance(e: &Event) -> String {
    let h = e
        .headers
        .iter()
        .find(|h| h.name == "evt-source")
        .expect("an evt-source header");
    String::from_utf8(h.value.clone().unwrap()).unwrap()
}

#[test]
fn replay_copies_a_window_byte_for_byte() {
    let source = seeded("replaysrc", 3, 20);
    let target = unique_topic("sandbox");
    let run = evt(&[
        "replay", &source, "--from", "+5", "--until", "+15", "--to", &target,
    ]);
    run.ok();
    assert!(run.stderr.contains("written 30"), "{}", run.stderr);
    let copied = events_of(&broker().addr, &target);
    let original: Vec<Event> = events_of(&broker().addr, &source)
        .into_iter()
        .filter(|e| e.offset.is_some_and(|o| (5..15).contains(&o)))
        .collect();
    assert_eq!(copied.len(), 30);
    assert_eq!(
        copied.iter().map(content).collect::<Vec<_>>(),
        original.iter().map(content).collect::<Vec<_>>()
    );
    for (c, o) in copied.iter().zip(&original) {
        assert_eq!(
            provenance(c),
            format!("{source}/{}/{}", o.partition.unwrap(), o.offset.unwrap())
        );
    }
    let bare = unique_topic("bare");
    evt(&[
        "replay",
        &source,
        "--to",
        &bare,
        "--no-provenance",
        "-p",
        "1",
    ])
    .ok();
    let bare = events_of(&broker().addr, &bare);
    assert_eq!(bare.len(), 20, "partition 1 of the source");
    assert!(bare
        .iter()
        .all(|e| e.headers.iter().all(|h| h.name != "evt-source")));
}

#[test]
fn dump_and_produce_round_trip() {
    let source = seeded("dumpsrc", 2, 15);
    let dump = evt(&["read", &source, "--format", "json"]);
    dump.ok();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.jsonl");
    std::fs::write(&file, &dump.stdout).unwrap();
    let restored = unique_topic("restored");
    create_topic(&restored, 2);
    let run = evt(&["produce", &restored, file.to_str().unwrap()]);
    run.ok();
    assert!(run.stderr.contains("wrote 30 event(s)"), "{}", run.stderr);
    let a: Vec<_> = events_of(&broker().addr, &source)
        .iter()
        .map(content)
        .collect();
    let b: Vec<_> = events_of(&broker().addr, &restored)
        .iter()
        .map(content)
        .collect();
    assert_eq!(
        a, b,
        "every key, value, header, timestamp and partition survives"
    );
    // An envelope file is a replay source too.
    let from_file = unique_topic("fromfile");
    create_topic(&from_file, 2);
    evt(&["replay", file.to_str().unwrap(), "--to", &from_file]).ok();
    let c: Vec<_> = events_of(&broker().addr, &from_file)
        .iter()
        .map(content)
        .collect();
    assert_eq!(a, c);
}

#[test]
fn produce_reports_bad_lines() {
    let topic = unique_topic("badlines");
    create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        "{\"key\":\"a\",\"value\":1}\n{oops\n{\"key\":\"b\",\"value\":2}\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let run = evt(&["produce", &topic, path]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!("{path}:2: not an envelope")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the 1 event(s) before it were written, nothing after it"),
        "{}",
        run.stderr
    );
    assert_eq!(events_of(&broker().addr, &topic).len(), 1);
    evt(&["produce", &topic, path, "--skip-bad"]).ok();
    assert_eq!(events_of(&broker().addr, &topic).len(), 3);
    let values = dir.path().join("values.jsonl");
    std::fs::write(&values, "{\"a\": 1}\n[1, 2]\n").unwrap();
    evt(&["produce", &topic, values.to_str().unwrap(), "--values"]).ok();
    let all = events_of(&broker().addr, &topic);
    assert_eq!(all.len(), 5);
    assert_eq!(
        all[3].value.as_deref(),
        Some(&b"{\"a\": 1}"[..]),
        "the line's bytes, spaces kept"
    );
}

#[test]
fn replay_guards() {
    let source = seeded("guarded", 2, 3);
    let same = evt(&["replay", &source, "--to", &source]);
    same.expect_code(2);
    assert!(
        same.stderr.contains("into itself on the same cluster"),
        "{}",
        same.stderr
    );
    // --append lifts the non-empty guard, never this one: a topic replayed into itself
    // would double every event (and, followed, never end).
    let appended = evt(&["replay", &source, "--to", &source, "--append"]);
    appended.expect_code(2);
    assert!(
        appended.stderr.contains("into itself on the same cluster"),
        "{}",
        appended.stderr
    );
    assert_eq!(
        events_of(&broker().addr, &source).len(),
        6,
        "nothing written"
    );

    let target = unique_topic("nonempty");
    create_topic(&target, 2);
    produce(&target, &[Record::json(0, "x", "{}", 1)]);
    let full = evt(&["replay", &source, "--to", &target]);
    full.expect_code(2);
    assert!(
        full.stderr
            .contains("already holds 1 event(s); add --append"),
        "{}",
        full.stderr
    );
    evt(&["replay", &source, "--to", &target, "--append"]).ok();
    assert_eq!(events_of(&broker().addr, &target).len(), 7);

    let narrow = unique_topic("narrow");
    create_topic(&narrow, 1);
    let refused = evt(&["replay", &source, "--to", &narrow]);
    refused.expect_code(2);
    assert!(
        refused
            .stderr
            .contains("has 1 partition(s) but the source has 2; add --partitioner key"),
        "{}",
        refused.stderr
    );
    evt(&["replay", &source, "--to", &narrow, "--partitioner", "key"]).ok();
    assert_eq!(events_of(&broker().addr, &narrow).len(), 6);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.prod]\nbrokers = \"{}\"\nreadonly = true\n",
            broker().addr
        ),
    )
    .unwrap();
    let mut command = evt_command();
    command.env("EVT_CONFIG", &config).args([
        "replay",
        &source,
        "--to",
        "anything",
        "--to-profile",
        "prod",
    ]);
    let readonly = run(command);
    readonly.expect_code(2);
    assert!(
        readonly.stderr.contains("profile 'prod' is readonly"),
        "{}",
        readonly.stderr
    );

    let planned = unique_topic("planned");
    let dry = evt(&["replay", &source, "--to", &planned, "--dry-run"]);
    dry.ok();
    assert!(
        dry.stdout.contains("first time") && dry.stdout.contains("2024-02-29T12:00:"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("will be created with 2 partitions"),
        "{}",
        dry.stdout
    );
    let missing = evt(&["read", &planned]);
    missing.expect_code(2);
}

#[test]
fn replay_applies_filters() {
    let source = unique_topic("filtered");
    create_topic(&source, 1);
    let records: Vec<Record> = (0..10)
        .map(|n| Record::json(0, "k", &format!(r#"{{"n":{n}}}"#), 1_700_000_000_000 + n))
        .collect();
    produce(&source, &records);
    let target = unique_topic("evens");
    let run = evt(&["replay", &source, "--to", &target, "--where", ".n % 2 == 0"]);
    run.ok();
    assert!(
        run.stderr.contains("read 10, written 5, filtered out 5"),
        "{}",
        run.stderr
    );
    assert_eq!(events_of(&broker().addr, &target).len(), 5);
}

fn assert_exactly_once(source: &str, target: &str) {
    let originals: BTreeSet<String> = events_of(&broker().addr, source)
        .iter()
        .map(|e| format!("{source}/{}/{}", e.partition.unwrap(), e.offset.unwrap()))
        .collect();
    let copies: Vec<String> = events_of(&broker().addr, target)
        .iter()
        .map(provenance)
        .collect();
    let unique: BTreeSet<String> = copies.iter().cloned().collect();
    assert_eq!(copies.len(), unique.len(), "no event doubled");
    assert_eq!(unique, originals, "no event lost");
}

#[test]
fn interrupted_replay_resumes_without_duplicates_or_gaps() {
    let source = seeded("resume", 3, 200);
    let target = unique_topic("resumed");
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("cp.json");
    let cp = checkpoint.to_str().unwrap();
    let mut replay = spawn_evt(&[
        "replay",
        &source,
        "--to",
        &target,
        "--rate",
        "100/s",
        "--checkpoint",
        cp,
    ]);
    replay.wait_for_stderr("created", DEADLINE);
    // Interrupted once the periodic checkpoint shows copied events, well before the end.
    replay.wait_for("a checkpoint with progress", |_| {
        copied_per(&checkpoint).is_some_and(|n| n > 0)
    });
    replay.interrupt();
    let (code, stderr) = replay.wait_with_stderr(DEADLINE);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("continue with: evt replay"), "{stderr}");
    assert!(replay_stderr_mentions_resume(&checkpoint));
    let written = events_of(&broker().addr, &target).len();
    assert!((1..600).contains(&written), "stopped part way: {written}");
    let resumed = evt(&["replay", &source, "--to", &target, "--resume", cp]);
    resumed.ok();
    assert!(
        !checkpoint.exists(),
        "a finished replay removes its checkpoint"
    );
    assert_exactly_once(&source, &target);
}

/// Events a checkpoint counts as copied (every window here starts at offset 0), if the file
/// is there.
fn copied_per(checkpoint: &std::path::Path) -> Option<i64> {
    let text = std::fs::read_to_string(checkpoint).ok()?;
    let cp: serde_json::Value = serde_json::from_str(&text).ok()?;
    cp["partitions"]
        .as_array()?
        .iter()
        .map(|p| p["next_offset"].as_i64().unwrap_or(0))
        .sum::<i64>()
        .into()
}

fn replay_stderr_mentions_resume(checkpoint: &std::path::Path) -> bool {
    let cp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(checkpoint).unwrap()).unwrap();
    cp["partitions"].as_array().is_some_and(|p| p.len() == 3)
}

#[test]
fn killed_replay_resumes_exactly_once() {
    // SIGKILL leaves only the periodic checkpoint, which may lag behind the target; the
    // evt-source header of each target partition's last record says where to go on.
    let source = seeded("killed", 2, 300);
    let target = unique_topic("afterkill");
    // No --checkpoint: the default place is the working directory, the harness's own.
    let checkpoint = workdir().join(format!(".evt-replay-{source}-{target}.json"));
    let mut replay = spawn_evt(&["replay", &source, "--to", &target, "--rate", "250/s"]);
    replay.wait_for_stderr("created", DEADLINE);
    replay.wait_for("a checkpoint with progress", |_| {
        copied_per(&checkpoint).is_some_and(|n| n > 0)
    });
    replay.kill();
    let copied = copied_per(&checkpoint).expect("the periodic checkpoint survives SIGKILL");
    assert!((1..600).contains(&copied), "stopped part way: {copied}");
    let cp = checkpoint.to_str().unwrap();
    evt(&["replay", &source, "--to", &target, "--resume", cp]).ok();
    assert!(
        !checkpoint.exists(),
        "a finished replay removes its checkpoint"
    );
    assert_exactly_once(&source, &target);
}

/// Faults on the target (librdkafka's mock cluster): retriable produce errors are retried by
/// the idempotent producer; a broker that goes away stops the replay with a checkpoint.
#[test]
fn target_faults_lose_nothing_and_double_nothing() {
    let source = seeded("faults", 2, 100);
    let mock = MockBroker::start(1).unwrap();
    let target = "sandbox";
    mock.create_topic(target, 2).unwrap();
    mock.fail_produce_requests(5);
    let retried = evt(&[
        "replay",
        &source,
        "--to",
        target,
        "--to-brokers",
        mock.bootstrap(),
    ]);
    retried.ok();
    let copies = events_of(mock.bootstrap(), target);
    assert_eq!(copies.len(), 200, "retried, not lost or doubled");

    let second = "sandbox2";
    mock.create_topic(second, 2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    let mut command = evt_command();
    command.args([
        "-b",
        &broker().addr,
        "--timeout",
        "1s",
        "replay",
        &source,
        "--to",
        second,
    ]);
    command.args([
        "--to-brokers",
        mock.bootstrap(),
        "--rate",
        "100/s",
        "--checkpoint",
        cp.to_str().unwrap(),
    ]);
    let mut replay = Spawned::start(command);
    // The target goes away once the periodic checkpoint shows copied events.
    replay.wait_for("a checkpoint with progress", |_| {
        copied_per(&cp).is_some_and(|n| n > 0)
    });
    mock.set_broker_up(1, false).unwrap();
    let (code, stderr) = replay.wait_with_stderr(DEADLINE);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("continue with: evt replay"), "{stderr}");
    mock.set_broker_up(1, true).unwrap();
    let mut command = evt_command();
    command.args([
        "-b",
        &broker().addr,
        "replay",
        &source,
        "--to",
        second,
        "--to-brokers",
        mock.bootstrap(),
    ]);
    command.args(["--resume", cp.to_str().unwrap()]);
    run(command).ok();
    let copies = events_of(mock.bootstrap(), second);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for e in &copies {
        *seen.entry(provenance(e)).or_default() += 1;
    }
    assert_eq!(seen.len(), 200, "nothing lost");
    assert!(
        seen.values().all(|n| *n == 1),
        "nothing doubled: {:?}",
        seen.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
}

#[test]
fn a_broker_that_cannot_create_the_target_is_said_so() {
    let source = seeded("nocreate", 1, 3);
    let mock = MockBroker::start(1).unwrap();
    let mut command = evt_command();
    command.args([
        "-b",
        &broker().addr,
        "--timeout",
        "3s",
        "replay",
        &source,
        "--to",
        "missing",
        "--to-brokers",
        mock.bootstrap(),
    ]);
    let run = run(command);
    assert_ne!(run.status, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot create topic 'missing'")
            && run.stderr.contains("create it with 1 partition(s)"),
        "{}",
        run.stderr
    );
}

/// SIGTERM while the target does not answer: evt waits at most `--timeout` for what is in
/// flight (it waited three times that before), saves the checkpoint, exits 130, and a resume
/// copies everything exactly once.
#[test]
fn sigterm_with_an_unanswering_target_stops_within_the_timeout() {
    let source = seeded("drain", 2, 100);
    let mock = MockBroker::start(1).unwrap();
    let target = "drained";
    mock.create_topic(target, 2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cp = dir.path().join("cp.json");
    let mut command = evt_command();
    command.args(["-b", &broker().addr, "--timeout", "2s", "replay", &source]);
    command.args(["--to", target, "--to-brokers", mock.bootstrap()]);
    command.args(["--rate", "100/s", "--checkpoint", cp.to_str().unwrap()]);
    let mut replay = Spawned::start(command);
    replay.wait_for("a checkpoint with progress", |_| {
        copied_per(&cp).is_some_and(|n| n > 0)
    });
    mock.set_broker_up(1, false).unwrap();
    let terminated = std::time::Instant::now();
    replay.terminate();
    let (code, stderr) = replay.wait_with_stderr(DEADLINE);
    let took = terminated.elapsed();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        took < std::time::Duration::from_millis(4_500),
        "stopped {took:?} after SIGTERM with --timeout 2s:\n{stderr}"
    );
    assert!(stderr.contains("continue with: evt replay"), "{stderr}");
    mock.set_broker_up(1, true).unwrap();
    let mut command = evt_command();
    command.args(["-b", &broker().addr, "replay", &source, "--to", target]);
    command.args([
        "--to-brokers",
        mock.bootstrap(),
        "--resume",
        cp.to_str().unwrap(),
    ]);
    run(command).ok();
    let copies = events_of(mock.bootstrap(), target);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for e in &copies {
        *seen.entry(provenance(e)).or_default() += 1;
    }
    assert_eq!(seen.len(), 200, "nothing lost");
    assert!(seen.values().all(|n| *n == 1), "nothing doubled");
}

/// One event typed by hand: key, headers and a value given as text, read from stdin (its
/// closing newline is not the value's) or from a file (byte for byte).
#[test]
fn produce_writes_one_event_typed_by_hand() {
    let topic = unique_topic("typed");
    create_topic(&topic, 1);
    evt(&[
        "produce",
        &topic,
        "--key",
        "order-7",
        "--header",
        "trace=t1",
        "--header",
        "src=cli",
        "--value",
        r#"{"typed":true}"#,
    ])
    .ok();
    let mut piped = evt_command();
    piped.args(["-b", &broker().addr, "produce", &topic, "--key", "order-8"]);
    piped.stdin(std::process::Stdio::piped());
    let mut child = piped
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"from\":\"stdin\"}\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("value.bin");
    std::fs::write(&file, [0xff, 0x00, b'\n']).unwrap();
    evt(&["produce", &topic, "--value-file", file.to_str().unwrap()]).ok();

    let events = events_of(&broker().addr, &topic);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].key.as_deref(), Some(&b"order-7"[..]));
    assert_eq!(events[0].value.as_deref(), Some(&br#"{"typed":true}"#[..]));
    let headers: Vec<(&str, Option<&[u8]>)> = events[0]
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_deref()))
        .collect();
    assert_eq!(
        headers,
        [("trace", Some(&b"t1"[..])), ("src", Some(&b"cli"[..]))]
    );
    assert_eq!(
        events[1].value.as_deref(),
        Some(&br#"{"from":"stdin"}"#[..])
    );
    assert_eq!(events[2].key, None);
    assert_eq!(events[2].value.as_deref(), Some(&[0xff, 0x00, b'\n'][..]));

    let bad = evt(&["produce", &topic, "--header", "no-equals-sign"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("expected NAME=VALUE"), "{}", bad.stderr);
}
