//! `evt read`: windows, positions, partitions, order, count.

use crate::family::Kafka;
use crate::harness::*;

const BASE: &str = "2026-01-01T00:00:00Z";

/// 3 partitions × 10 records; record i of partition p at BASE + (i*3 + p) seconds, so the
/// timeline interleaves partitions and differs from partition order.
fn seeded(prefix: &str) -> String {
    let base = ms(BASE);
    let mut records = Vec::new();
    for i in 0..10i64 {
        for p in 0..3i32 {
            let ts = base + (i * 3 + i64::from(p)) * 1000;
            records.push(Record::json(
                p,
                &format!("k{p}-{i}"),
                &format!("{{\"p\":{p},\"i\":{i}}}"),
                ts,
            ));
        }
    }
    Kafka.seeded_in(prefix, 3, &records)
}

fn offsets_of(positions: &[(i64, i64)], partition: i64) -> Vec<i64> {
    positions
        .iter()
        .filter(|(p, _)| *p == partition)
        .map(|(_, o)| *o)
        .collect()
}

#[test]
fn reads_the_whole_topic_as_one_timeline() {
    let topic = seeded("whole");
    let run = evt(&["read", &topic]);
    run.ok();
    let events = run.envelopes();
    assert_eq!(events.len(), 30);
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "timeline order");
    assert_eq!(events[0]["key"], "k0-0");
    assert_eq!(events[0]["value"], serde_json::json!({"p": 0, "i": 0}));
    assert_eq!(events[1]["partition"], 1);
    assert_eq!(events[0]["topic"], topic.as_str());
}

#[test]
fn partition_order_streams_each_partition_in_offset_order() {
    let topic = seeded("porder");
    let run = evt(&["read", &topic, "--order", "partition"]);
    run.ok();
    let positions = run.positions();
    assert_eq!(positions.len(), 30);
    for p in 0..3 {
        assert_eq!(
            offsets_of(&positions, p),
            (0..10).collect::<Vec<_>>(),
            "partition {p}"
        );
    }
}

#[test]
fn time_window_from_timestamp_until_timestamp() {
    let topic = seeded("twindow");
    // From BASE+10s (inclusive) until BASE+20s (exclusive): records with i*3+p in 10..20.
    let run = evt(&[
        "read",
        &topic,
        "--from",
        "2026-01-01T00:00:10Z",
        "--until",
        "2026-01-01T00:00:20Z",
    ]);
    run.ok();
    let positions = run.positions();
    assert_eq!(positions.len(), 10);
    assert_eq!(offsets_of(&positions, 0), vec![4, 5, 6]); // ts 12, 15, 18
    assert_eq!(offsets_of(&positions, 1), vec![3, 4, 5, 6]); // ts 10, 13, 16, 19
    assert_eq!(offsets_of(&positions, 2), vec![3, 4, 5]); // ts 11, 14, 17
}

#[test]
fn time_window_from_epoch_millis() {
    let topic = seeded("tepoch");
    let from = format!("@{}", ms(BASE) + 25_000);
    let run = evt(&["read", &topic, "--from", &from]);
    run.ok();
    let positions = run.positions();
    assert_eq!(offsets_of(&positions, 0), vec![9]); // ts 27
    assert_eq!(offsets_of(&positions, 1), vec![8, 9]); // ts 25, 28
    assert_eq!(offsets_of(&positions, 2), vec![8, 9]); // ts 26, 29
}

#[test]
fn time_window_from_a_duration_ago() {
    let topic = unique_topic("ago");
    create_topic(&topic, 2);
    let now = chrono::Utc::now().timestamp_millis();
    let hour = 3_600_000;
    // Partition 0: 5h, 3h, 1h ago; partition 1: 4h, 2h30m, 30m ago.
    produce(
        &topic,
        &[
            Record::json(0, "a", "1", now - 5 * hour),
            Record::json(0, "a", "2", now - 3 * hour),
            Record::json(0, "a", "3", now - hour),
            Record::json(1, "b", "4", now - 4 * hour),
            Record::json(1, "b", "5", now - 5 * hour / 2),
            Record::json(1, "b", "6", now - hour / 2),
        ],
    );
    let run = evt(&["read", &topic, "--from", "2h"]);
    run.ok();
    assert_eq!(run.positions(), vec![(0, 2), (1, 2)]);
    let run = evt(&["read", &topic, "--from", "3h30m", "--until", "90m"]);
    run.ok();
    assert_eq!(run.positions(), vec![(0, 1), (1, 1)]);
}

#[test]
fn relative_and_absolute_offsets() {
    let topic = seeded("relative");
    let run = evt(&["read", &topic, "--from", "-2", "--order", "partition"]);
    run.ok();
    let positions = run.positions();
    for p in 0..3 {
        assert_eq!(offsets_of(&positions, p), vec![8, 9], "partition {p}");
    }
    let run = evt(&["read", &topic, "-p", "1", "--from", "+3", "--until", "+5"]);
    run.ok();
    assert_eq!(run.positions(), vec![(1, 3), (1, 4)]);
    let run = evt(&["read", &topic, "-p", "2", "--from", "7"]);
    run.ok();
    assert_eq!(run.positions(), vec![(2, 7), (2, 8), (2, 9)]);
    // Clamped to the watermarks: far past the end is an empty window, not an error.
    let run = evt(&["read", &topic, "--from", "1000"]);
    run.ok();
    assert_eq!(run.stdout, "");
    let run = evt(&["read", &topic, "-p", "0", "--from", "-1000", "--until", "2"]);
    run.ok();
    assert_eq!(run.positions(), vec![(0, 0), (0, 1)]);
}

#[test]
fn partition_selection() {
    let topic = seeded("psel");
    let run = evt(&["read", &topic, "-p", "0,2"]);
    run.ok();
    let positions = run.positions();
    assert_eq!(positions.len(), 20);
    assert!(positions.iter().all(|(p, _)| *p == 0 || *p == 2));
    let run = evt(&["read", &topic, "-p", "7"]);
    run.expect_code(2);
    assert!(run.stderr.contains("has no partition 7"), "{}", run.stderr);
}

#[test]
fn count_stops_early() {
    let topic = seeded("count");
    let run = evt(&["read", &topic, "-c", "4"]);
    run.ok();
    assert_eq!(run.positions(), vec![(0, 0), (1, 0), (2, 0), (0, 1)]);
}

#[test]
fn several_topics_merge_into_one_timeline() {
    let left = unique_topic("multi-a");
    let right = unique_topic("multi-b");
    create_topic(&left, 1);
    create_topic(&right, 1);
    let base = ms(BASE);
    produce(
        &left,
        &[
            Record::json(0, "a", "1", base),
            Record::json(0, "a", "3", base + 2000),
        ],
    );
    produce(
        &right,
        &[
            Record::json(0, "b", "2", base + 1000),
            Record::json(0, "b", "4", base + 3000),
        ],
    );
    let run = evt(&["read", &left, &right]);
    run.ok();
    let values: Vec<String> = run
        .envelopes()
        .iter()
        .map(|e| e["value"].to_string())
        .collect();
    assert_eq!(values, ["1", "2", "3", "4"]);
    let topics: Vec<String> = run
        .envelopes()
        .iter()
        .map(|e| e["topic"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(topics, [left.clone(), right.clone(), left, right]);
}

#[test]
fn explain_prints_the_plan_and_reads_nothing() {
    let topic = seeded("explain");
    let run = evt(&["read", &topic, "--from", "-4", "--explain"]);
    run.ok();
    assert!(
        run.stdout.contains("partition") && run.stdout.contains("start"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("total: 12 events in 3 partition(s)"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("\"offset\""),
        "explain must not read events"
    );
}

#[test]
fn empty_topic_ends_at_once() {
    let topic = unique_topic("empty");
    create_topic(&topic, 2);
    let run = evt(&["read", &topic]);
    run.ok();
    assert_eq!(run.stdout, "");
}

#[test]
fn a_bounded_read_terminates_while_producers_keep_writing() {
    // The end is snapshotted when evt starts, so a busy topic cannot keep a read going.
    let topic = seeded("snapshot");
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (started, writing) = std::sync::mpsc::channel();
    let writer = {
        let (topic, busy) = (topic.clone(), busy.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while busy.load(std::sync::atomic::Ordering::Relaxed) && n < 200 {
                produce(
                    &topic,
                    &[Record::json(0, "late", "{}", ms(BASE) + 100_000 + n)],
                );
                if n == 0 {
                    started.send(()).ok();
                }
                n += 1;
            }
            n
        })
    };
    // The first late record is acknowledged: the producer is busy before evt starts.
    writing.recv_timeout(DEADLINE).expect("the writer produced");
    let run = evt(&["read", &topic]);
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    let produced = writer.join().unwrap();
    run.ok();
    let positions = run.positions();
    assert!(
        positions.len() > 30,
        "at least the first late record: {}",
        positions.len()
    );
    let late = i64::try_from(positions.len()).unwrap() - 30;
    assert!(
        late < produced,
        "stopped at the snapshot ({late} late), not at the producer's last record ({produced})"
    );
}

#[test]
fn ctrl_c_stops_a_read_mid_output_with_exit_130() {
    let topic = unique_topic("readint");
    create_topic(&topic, 1);
    let total = 5_000;
    let records: Vec<Record> = (0..total)
        .map(|i| Record::json(0, "k", &format!("{{\"n\":{i}}}"), ms(BASE) + i))
        .collect();
    produce(&topic, &records);
    // stdout is read only as fast as the test takes lines: evt blocks writing mid-window.
    let read = spawn_evt_backpressured(&["read", &topic], 16);
    let mut printed = 0;
    while printed < 100 {
        let line = read.line(DEADLINE);
        assert!(line.contains("\"n\":"), "an event: {line}");
        printed += 1;
    }
    read.interrupt();
    let interrupted = std::time::Instant::now();
    while read.try_line(DEADLINE).is_some() {
        printed += 1;
    }
    let (code, stderr) = read.wait_with_stderr(DEADLINE);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        interrupted.elapsed() < std::time::Duration::from_secs(5),
        "exited {:?} after Ctrl-C",
        interrupted.elapsed()
    );
    assert!(
        (100..usize::try_from(total).unwrap()).contains(&printed),
        "the read was interrupted mid-output, after the lines already read ({printed} printed)"
    );
}

#[test]
fn a_time_after_every_record_is_an_empty_window() {
    // tansu 0.6 answers the log start for such a time; evt checks the answer and reads nothing.
    let topic = seeded("future");
    let run = evt(&["read", &topic, "--from", "2026-01-01T00:10:00Z"]);
    run.ok();
    assert_eq!(run.stdout, "");
    let run = evt(&[
        "read",
        &topic,
        "--from",
        "2026-01-01T00:00:25Z",
        "--until",
        "2027-01-01",
    ]);
    run.ok();
    assert_eq!(run.positions().len(), 5, "{}", run.stdout);
}
