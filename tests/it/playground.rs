//! The playground (librdkafka's mock cluster inside evt) and time travel on a broker that
//! cannot answer offset-for-timestamp lookups.

use std::collections::HashMap;
use std::time::Duration;

use evt::broker::mock::MockBroker;
use evt::broker::produce::Writer;
use evt::event::{Event, TimestampType};

use crate::harness::*;

fn event(topic: &str, partition: i32, ts: i64, n: usize) -> Event {
    Event {
        partition: Some(partition),
        timestamp: Some(ts),
        timestamp_type: TimestampType::Create,
        key: Some(format!("k{n}").into_bytes()),
        value: Some(format!("{{\"n\":{n}}}").into_bytes()),
        headers: vec![],
        ..Event::made("test", n as u64, std::sync::Arc::from(topic))
    }
}

/// (partition, start, end) rows of `evt read --explain`.
fn plan_rows(run: &Run) -> Vec<(i64, i64, i64)> {
    run.stdout
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .split(['│', '┆'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            match cells.as_slice() {
                [_, p, start, end, ..] => {
                    Some((p.parse().ok()?, start.parse().ok()?, end.parse().ok()?))
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn bisection_on_the_mock_cluster_matches_tansus_time_lookup() {
    let base = ms("2026-03-01T00:00:00Z");
    let topic = unique_topic("bisect");
    // Uneven gaps and several records per millisecond-step, on 3 partitions.
    let mut records = Vec::new();
    for n in 0..600usize {
        let p = i32::try_from(n % 3).unwrap();
        let step = i64::try_from(n * n % 7 + n / 2).unwrap();
        records.push(event(
            &topic,
            p,
            base + i64::try_from(n).unwrap() * 1000 + step,
            n,
        ));
    }
    create_topic(&topic, 3);
    let tansu_writer = Writer::new(&broker().addr, &[]).unwrap();
    let mock = MockBroker::start(1).unwrap();
    mock.create_topic(&topic, 3).unwrap();
    let mock_writer = Writer::new(mock.bootstrap(), &[("compression.type", "lz4")]).unwrap();
    for r in &records {
        tansu_writer.send(r).unwrap();
        mock_writer.send(r).unwrap();
    }
    tansu_writer.flush(DEADLINE).unwrap();
    mock_writer.flush(DEADLINE).unwrap();

    let times = [
        "2026-02-28T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2026-03-01T00:01:40.500Z",
        "2026-03-01T00:04:00Z",
        "2026-03-01T00:09:59Z",
        "2026-03-02T00:00:00Z",
    ];
    for window in times.windows(2) {
        let args = [
            "read",
            topic.as_str(),
            "--from",
            window[0],
            "--until",
            window[1],
            "--explain",
        ];
        let on_tansu = evt(&args);
        on_tansu.ok();
        let mut command = evt_command();
        command.args(["-v", "-b", mock.bootstrap()]).args(args);
        let on_mock = run(command);
        on_mock.ok();
        let rows = plan_rows(&on_tansu);
        assert_eq!(rows.len(), 3, "{}", on_tansu.stdout);
        assert_eq!(
            plan_rows(&on_mock),
            rows,
            "window {window:?}\ntansu:\n{}\nmock:\n{}{}",
            on_tansu.stdout,
            on_mock.stdout,
            on_mock.stderr
        );
        if window[0] == "2026-03-01T00:01:40.500Z" {
            assert!(
                on_mock.stderr.contains("bisected record timestamps"),
                "-v says so: {}",
                on_mock.stderr
            );
        }
    }
}

/// A config directory of its own, so the playground registration is private to the test.
fn isolated(dir: &tempfile::TempDir) -> impl Fn(&[&str]) -> std::process::Command + '_ {
    move |args: &[&str]| {
        let mut command = evt_command();
        command
            .env("EVT_CONFIG", dir.path().join("config.toml"))
            .args(args);
        command
    }
}

#[test]
fn the_playground_registers_a_profile_while_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let refused = run(evt_in(&["--profile", "playground", "read", "orders"]));
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("no playground is running"),
        "{}",
        refused.stderr
    );

    let mut playground =
        Spawned::start(evt_in(&["playground", "--history", "2h", "--rate", "20/s"]));
    playground.wait_for_stderr("Ctrl-C to stop", DEADLINE);
    let addr = playground.line(DEADLINE);
    let read = run(evt_in(&[
        "--profile",
        "playground",
        "read",
        "orders",
        "payments",
        "shipments",
    ]));
    read.ok();
    let events = read.envelopes();
    assert!(events.len() > 500, "two hours of sagas: {}", events.len());
    // Live events arrive while it runs.
    let tail = run(evt_in(&[
        "--profile",
        "playground",
        "tail",
        "trades",
        "orders",
        "-c",
        "2",
        "--timeout",
        "20s",
    ]));
    tail.ok();
    assert_eq!(tail.envelopes().len(), 2);
    // Other clients use the printed address.
    let mut by_addr = evt_command();
    by_addr.args(["-b", &addr, "read", "trades", "-c", "1"]);
    run(by_addr).ok();

    playground.interrupt();
    assert_eq!(playground.wait(DEADLINE), Some(0));
    assert!(
        !dir.path().join("playground.addr").exists(),
        "registration removed on exit"
    );
}

#[test]
fn one_command_playground_shows_the_saga_and_its_faults() {
    let mut command = evt_command();
    command.args([
        "--playground",
        "read",
        "orders",
        "payments",
        "shipments",
        "trades",
        "--from",
        "1d",
    ]);
    let all = run(command);
    all.ok();
    let events = all.envelopes();
    let by_topic = |t: &str| events.iter().filter(|e| e["topic"] == t).count();
    for topic in ["orders", "payments", "shipments", "trades"] {
        assert!(by_topic(topic) > 100, "{topic}: {}", by_topic(topic));
    }
    // One saga shares its key and trace id across topics.
    let first = events
        .iter()
        .find(|e| e["value"]["type"] == "OrderCreated")
        .unwrap();
    let trace = &first["headers"][0];
    assert_eq!(trace[0], "trace-id");
    let saga: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["headers"][0] == *trace)
        .collect();
    assert!(saga.len() >= 3, "{saga:?}");
    assert!(saga.iter().all(|e| e["key"] == first["key"]));
    // Deliberate faults: duplicate deliveries, schema violations, out-of-order timestamps.
    let mut ids: HashMap<String, usize> = HashMap::new();
    for e in &events {
        *ids.entry(e["value"]["event_id"].to_string()).or_default() += 1;
    }
    assert!(ids.values().any(|n| *n == 2), "duplicate deliveries");
    assert!(
        events.iter().any(|e| e["value"]["total"].is_string()),
        "an order violating the schema"
    );
    let mut last: HashMap<i64, String> = HashMap::new();
    let mut jumps_back = 0;
    let mut trades = events
        .iter()
        .filter(|e| e["topic"] == "trades")
        .collect::<Vec<_>>();
    trades.sort_by_key(|e| (e["partition"].as_i64(), e["offset"].as_i64()));
    for e in trades {
        let ts = e["timestamp"].as_str().unwrap().to_string();
        let p = e["partition"].as_i64().unwrap();
        if last.get(&p).is_some_and(|prev| ts < *prev) {
            jumps_back += 1;
        }
        last.insert(p, ts);
    }
    assert!(jumps_back >= 1, "an out-of-order timestamp burst");
}

#[test]
fn kcat_reads_the_playground() {
    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let mut playground = Spawned::start(evt_in(&["playground", "--history", "1h", "--rate", "0"]));
    playground.wait_for_stderr("Ctrl-C to stop", DEADLINE);
    let addr = playground.line(DEADLINE);
    let out = std::process::Command::new("kcat")
        .args(["-b", &addr, "-C", "-t", "orders", "-e", "-q", "-f", "%k\n"])
        .output()
        .expect("kcat is installed by scripts/setup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = String::from_utf8_lossy(&out.stdout);
    assert!(
        keys.lines().count() > 50 && keys.lines().all(|k| k.starts_with("order-")),
        "{keys}"
    );
    playground.interrupt();
    assert_eq!(playground.wait(DEADLINE), Some(0));
}

/// The README's section that starts with `heading`, up to the next `## ` heading.
fn readme_section(heading: &str) -> String {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README.md");
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("the README has a section {heading}"));
    let section = &readme[start..];
    section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)].to_string()
}

/// The README's guided tour, section by section: each planted fault is found where and as the
/// README says (the lines it quotes are lines of evt's output).
#[test]
fn the_readme_tour_finds_each_planted_fault() {
    let tour = readme_section("## Guided tour");
    let tour = tour.as_str();
    // A quoted table row's findings cell, as evt prints it.
    let cell = |line: &str| -> Option<String> {
        let inner = line.trim().trim_start_matches('│').trim_end_matches('│');
        let detail = inner.rsplit('┆').next()?.trim();
        (!detail.is_empty()).then(|| detail.to_string())
    };
    let quoted = |needle: &str| -> Vec<String> {
        tour.lines()
            .filter(|l| l.contains(needle) && l.contains('┆'))
            .filter_map(cell)
            .collect()
    };

    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let mut playground = Spawned::start(evt_in(&["playground"]));
    playground.wait_for_stderr("Ctrl-C to stop", DEADLINE);
    let started = chrono::Utc::now().timestamp_millis();
    let on = |args: &[&str]| {
        let mut all = vec!["--profile", "playground"];
        all.extend_from_slice(args);
        run(evt_in(&all))
    };

    // 1. The restart's re-deliveries: the same five ids, at the same offsets.
    let duplicates = on(&[
        "stats",
        "payments",
        "--from",
        "1d",
        "--id",
        ".event_id",
        "--fail-on",
        "duplicates",
    ]);
    duplicates.expect_code(1);
    let claimed = quoted("×2:");
    assert_eq!(claimed.len(), 5, "{claimed:?}");
    for line in claimed.iter().chain(&quoted("seen more than once")) {
        assert!(
            duplicates.stdout.contains(line.as_str()),
            "README: {line}\nevt:\n{}",
            duplicates.stdout
        );
    }

    // 2. The outage: one gap over 5 minutes, twelve minutes long, four hours before.
    let orders = on(&[
        "stats", "orders", "--from", "1d", "--gap", "5m", "--format", "json",
    ]);
    orders.ok();
    let v: serde_json::Value = serde_json::from_str(&orders.stdout).unwrap();
    assert_eq!(v["gaps"]["count"], 1, "{}", v["gaps"]);
    let gap = &v["gaps"]["longest"][0];
    let ms = gap["ms"].as_i64().unwrap();
    assert!(
        (12 * 60_000 - 1_000..12 * 60_000 + 1_000).contains(&ms),
        "{gap}"
    );
    let four_hours_before = started - 4 * 3_600_000;
    let from = gap["from_ms"].as_i64().unwrap();
    assert!(
        (four_hours_before - 120_000..four_hours_before).contains(&from),
        "{gap}, started {started}"
    );
    assert!(tour.contains("1 longer than 5 min:") && tour.contains("(12 min)"));

    // 3. The skewed clock: 20 steps back, at the origins the README quotes.
    let trades = on(&[
        "stats",
        "trades",
        "--from",
        "1d",
        "--fail-on",
        "out-of-order",
    ]);
    trades.expect_code(1);
    let claimed = quoted("went back");
    assert_eq!(claimed.len(), 1, "{tour}");
    for line in claimed.iter().chain(&quoted("first: trades/")) {
        assert!(
            trades.stdout.contains(line.as_str()),
            "README: {line}\nevt:\n{}",
            trades.stdout
        );
    }

    // 4. The sagas: each order's verdict and exit code as the README's table says.
    let expect = "OrderCreated,PaymentAuthorized,OrderConfirmed,ShipmentStarted,PaymentFailed->OrderCancelled";
    let rows: Vec<Vec<&str>> = tour
        .lines()
        .filter(|l| l.starts_with("| `order-"))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 4, "{tour}");
    for row in rows {
        let order = row[0].trim_matches('`');
        let traced = on(&["trace", order, "--from", "1d", "--expect", expect]);
        traced.expect_code(row[2].parse().unwrap());
        assert!(
            traced.stdout.contains(row[1]),
            "{order}: README says '{}'\nevt:\n{}{}",
            row[1],
            traced.stdout,
            traced.stderr
        );
    }

    // 5. The broken contracts: three orders and two ticks.
    let validated = on(&[
        "validate",
        "orders",
        "trades",
        "--from",
        "1d",
        "--schema",
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/schemas/"),
        "--format",
        "json",
    ]);
    validated.expect_code(1);
    let invalid: HashMap<String, usize> = validated
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| Some(v["topic"].as_str()?.to_string()))
        .fold(HashMap::new(), |mut m, t| {
            *m.entry(t).or_default() += 1;
            m
        });
    assert_eq!(
        (invalid.get("orders"), invalid.get("trades")),
        (Some(&3), Some(&2)),
        "{}",
        validated.stdout
    );
    for (schema, bad) in [("orders.json", "3"), ("trades.json", "2")] {
        let row = quoted(&format!("schema {schema}"));
        assert!(
            row.first().is_some_and(|r| r == bad),
            "README row for {schema}: {row:?}"
        );
    }

    playground.interrupt();
    assert_eq!(playground.wait(DEADLINE), Some(0));
}

/// Splits a shell line into words: spaces separate, single quotes keep spaces.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            _ => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// The README's tour on a stream, line by line: `evt playground --with-rabbitmq` (its own
/// RabbitMQ node, the demo topics copied into streams), then each question, whose comment
/// says the exit code and a phrase evt prints.
#[test]
fn the_readme_tour_runs_on_rabbitmq_streams() {
    let section = readme_section("### Try it: the guided tour on a stream");
    let lines: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("evt --profile playground-rabbitmq "))
        .collect();
    assert!(lines.len() >= 6, "{section}");
    assert!(
        section.contains("evt playground --with-rabbitmq\n"),
        "{section}"
    );

    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let mut playground = Spawned::start(evt_in(&["playground", "--with-rabbitmq"]));
    playground.wait_for_stderr("Ctrl-C to stop", Duration::from_secs(180));
    let stderr = playground.stderr();
    assert!(
        stderr.contains("copied") && stderr.contains("into RabbitMQ streams"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("guest:guest"),
        "no password printed: {stderr}"
    );
    for line in lines {
        let (command, comment) = line.split_once('#').unwrap_or((line, ""));
        let words = shell_words(command.trim());
        let mut command = evt_in(&[]);
        command.current_dir(env!("CARGO_MANIFEST_DIR"));
        command.args(&words[1..]);
        let ran = run(command);
        let comment = comment.trim();
        let code: i32 = comment
            .strip_prefix("exit ")
            .and_then(|c| c.split(':').next())
            .map_or(0, |c| c.parse().unwrap());
        ran.expect_code(code);
        if let Some(phrase) = comment.split('"').nth(1) {
            assert!(
                ran.stdout.contains(phrase),
                "{line}\nREADME says \"{phrase}\"; evt printed:\n{}{}",
                ran.stdout,
                ran.stderr
            );
        }
    }
    // Live events reach the streams too.
    let tail = run(evt_in(&[
        "--profile",
        "playground-rabbitmq",
        "tail",
        "trades",
        "--count",
        "2",
        "--format",
        "json",
    ]));
    assert_eq!(tail.ok().envelopes().len(), 2);
    playground.interrupt();
    let (code, stderr) = playground.wait_with_stderr(DEADLINE);
    assert_eq!(code, Some(0), "{stderr}");
}

/// `--playground` works for a replay (its target made with the embedded broker) and is refused
/// at once, with what to do, where it cannot apply.
#[test]
fn an_in_process_playground_replays_and_is_refused_where_it_cannot_apply() {
    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let replay = run(evt_in(&[
        "--playground",
        "replay",
        "orders",
        "--to",
        "sandbox-orders",
        "--from",
        "1h",
    ]));
    replay.ok();
    assert!(
        replay.stderr.contains("replay into 'sandbox-orders'"),
        "{}",
        replay.stderr
    );
    for args in [
        &["--playground", "man"][..],
        &["--playground", "playground"],
    ] {
        let refused = run(evt_in(args));
        refused.expect_code(2);
        assert!(
            refused
                .stderr
                .contains("--playground does nothing for `evt "),
            "{}",
            refused.stderr
        );
        assert!(
            refused.elapsed < Duration::from_secs(5),
            "{:?}",
            refused.elapsed
        );
    }
}

/// On the playground, which cannot create topics, a dry run says the target cannot be made
/// and how to get it, as the real run does, both at once (never after a broker timeout).
#[test]
fn a_replay_target_the_playground_cannot_create_is_said_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let mut playground = Spawned::start(evt_in(&["playground", "--rate", "0"]));
    playground.wait_for_stderr("Ctrl-C to stop", DEADLINE);
    let on = |args: &[&str]| {
        let mut all = vec!["--profile", "playground"];
        all.extend_from_slice(args);
        run(evt_in(&all))
    };
    let dry = on(&["replay", "orders", "--to", "nowhere", "--dry-run"]);
    dry.expect_code(2);
    assert!(dry.stdout.contains("cannot be created"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("will be created"), "{}", dry.stdout);
    assert!(dry.stderr.contains("--topic nowhere:6"), "{}", dry.stderr);
    let real = on(&["replay", "orders", "--to", "nowhere"]);
    real.expect_code(2);
    assert!(real.stderr.contains("--topic nowhere:6"), "{}", real.stderr);
    assert!(real.elapsed < Duration::from_secs(5), "{:?}", real.elapsed);
    playground.interrupt();
}

/// Ctrl-C stops a paced replay within a second, with its checkpoint saved (exit 130).
#[test]
fn ctrl_c_stops_a_paced_replay_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let evt_in = isolated(&dir);
    let mut playground =
        Spawned::start(evt_in(&["playground", "--rate", "0", "--topic", "paced:6"]));
    playground.wait_for_stderr("Ctrl-C to stop", DEADLINE);
    let mut replay = evt_in(&[
        "--profile",
        "playground",
        "replay",
        "orders",
        "--to",
        "paced",
    ]);
    replay.args(["--pace", "1x"]);
    let replay = Spawned::start(replay);
    // Pacing: once the first event is in the target, the replay waits for the next one.
    wait_until(
        "the first paced event",
        || {
            run(evt_in(&[
                "--profile",
                "playground",
                "read",
                "paced",
                "--format",
                "value",
            ]))
            .stdout
            .lines()
            .count()
                > 0
        },
        || replay.stderr(),
    );
    let asked = std::time::Instant::now();
    replay.interrupt();
    let (code, stderr) = replay.wait_with_stderr(DEADLINE);
    let took = asked.elapsed();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(1), "stopped after {took:?}");
    assert!(stderr.contains("continue with: evt replay"), "{stderr}");
    playground.interrupt();
}
