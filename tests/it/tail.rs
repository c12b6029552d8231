//! `evt tail`: live events, `-n`, `--count`, Ctrl-C, new partitions.

use crate::harness::*;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[test]
fn tail_picks_up_events_produced_after_it_started() {
    let topic = unique_topic("tail");
    create_topic(&topic, 2);
    produce(&topic, &[Record::json(0, "old", "{\"old\":true}", now())]);
    let mut tail = spawn_evt(&["-v", "tail", &topic, "--format", "json", "-c", "3"]);
    tail.wait_for_stderr("following 2 partition(s)", DEADLINE);
    produce(
        &topic,
        &[
            Record::json(0, "a", "{\"n\":1}", now()),
            Record::json(1, "b", "{\"n\":2}", now()),
            Record::json(0, "c", "{\"n\":3}", now()),
        ],
    );
    let mut keys: Vec<String> = (0..3)
        .map(|_| {
            let line = tail.line(DEADLINE);
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            v["key"].as_str().unwrap().to_string()
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["a", "b", "c"],
        "the old event is not shown, the new ones are"
    );
    assert_eq!(tail.wait(DEADLINE), Some(0));
}

#[test]
fn tail_n_shows_the_last_events_of_each_partition_first() {
    let topic = unique_topic("tailn");
    create_topic(&topic, 2);
    let records: Vec<Record> = (0..5)
        .flat_map(|i| (0..2).map(move |p| Record::json(p, "k", &format!("{i}"), now())))
        .collect();
    produce(&topic, &records);
    let run = evt(&["tail", &topic, "-n", "2", "-c", "4"]);
    run.ok();
    let mut positions = run.positions();
    positions.sort();
    assert_eq!(positions, vec![(0, 3), (0, 4), (1, 3), (1, 4)]);
}

#[test]
fn ctrl_c_ends_tail_with_exit_0() {
    let topic = unique_topic("tailint");
    create_topic(&topic, 1);
    let mut tail = spawn_evt(&["-v", "tail", &topic]);
    tail.wait_for_stderr("following 1 partition(s)", DEADLINE);
    tail.interrupt();
    assert_eq!(tail.wait(DEADLINE), Some(0));
}

#[test]
fn tail_until_a_time_in_the_future_stops_on_the_clock() {
    let topic = unique_topic("tailuntil");
    create_topic(&topic, 2);
    let until = now() + 6_000;
    let mut tail = spawn_evt(&[
        "-v",
        "tail",
        &topic,
        "--until",
        &format!("@{until}"),
        "--format",
        "json",
    ]);
    tail.wait_for_stderr("following 2 partition(s)", DEADLINE);
    let sent = now();
    assert!(
        sent + 1_000 < until,
        "evt took too long to start for this test: {}ms left",
        until - sent
    );
    // Events before the deadline are shown (live, while the window is open); one stamped
    // after it is not.
    produce(
        &topic,
        &[
            Record::json(0, "a", "{\"n\":1}", sent),
            Record::json(1, "b", "{\"n\":2}", sent),
            Record::json(0, "late", "{\"n\":3}", until + 60_000),
        ],
    );
    let mut keys: Vec<String> = (0..2)
        .map(|_| {
            let line = tail.line(DEADLINE);
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            v["key"].as_str().unwrap().to_string()
        })
        .collect();
    keys.sort();
    assert_eq!(keys, ["a", "b"]);
    let (code, rest, stderr) = tail.wait_with_rest(DEADLINE);
    let ended = now();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        ended >= until,
        "ended {}ms before the --until time",
        until - ended
    );
    assert!(
        ended < until + 5_000,
        "ended {}ms after the --until time",
        ended - until
    );
    assert_eq!(
        rest,
        Vec::<String>::new(),
        "nothing stamped after the deadline"
    );
}

#[test]
fn tail_says_when_the_broker_goes_away_and_comes_back() {
    let mock = evt::broker::mock::MockBroker::start(1).unwrap();
    mock.create_topic("live", 1).unwrap();
    let mut command = evt_command();
    command.args(["-b", mock.bootstrap(), "-v", "tail", "live", "-c", "1"]);
    let mut tail = Spawned::start(command);
    tail.wait_for_stderr("following 1 partition(s)", DEADLINE);
    mock.set_broker_up(1, false).unwrap();
    tail.wait_for_stderr("lost the broker", DEADLINE);
    mock.set_broker_up(1, true).unwrap();
    let writer = evt::broker::produce::Writer::new(mock.bootstrap(), &[]).unwrap();
    let event =
        crate::harness::parse_envelope(r#"{"topic":"live","key":"k","value":{"back":true}}"#)
            .unwrap();
    writer.send(&event).unwrap();
    writer.flush(DEADLINE).unwrap();
    let line = tail.line(DEADLINE);
    assert!(line.contains(r#""back":true"#), "{line}");
    assert_eq!(tail.wait(DEADLINE), Some(0));
}
