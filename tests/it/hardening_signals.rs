//! Issue 10, point 7: windows that cannot hold anything are refused before any connection,
//! and a signal ends evt at once while it only waits (on the broker, on stdin).

use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::{broker, create_topic, evt, evt_command, spawn_evt, unique_topic, wait_until};

#[test]
fn empty_windows_and_times_before_1970_are_usage_errors() {
    // Nothing listens on port 1: these must fail on the arguments alone.
    for (from, until) in [
        ("100", "50"),
        ("2h", "3h"),
        ("-10", "-20"),
        ("end", "beginning"),
    ] {
        let run = evt(&[
            "read",
            "orders",
            "-b",
            "127.0.0.1:1",
            "--from",
            from,
            "--until",
            until,
        ]);
        run.expect_code(2);
        assert!(
            run.stderr
                .contains("is empty: --until (exclusive) must come after --from"),
            "{from}..{until}: {}",
            run.stderr
        );
    }
    let run = evt(&["read", "orders", "-b", "127.0.0.1:1", "--from", "@-1"]);
    run.expect_code(2);
    assert!(run.stderr.contains("before 1970"), "{}", run.stderr);
    // A proper window is not refused: this one gets as far as the (absent) broker.
    let run = evt(&[
        "read",
        "orders",
        "-b",
        "127.0.0.1:1",
        "--timeout",
        "1s",
        "--from",
        "3h",
        "--until",
        "2h",
    ]);
    run.expect_code(3);
}

/// A "broker" that accepts connections and never answers: evt waits on it until --timeout.
fn black_hole() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (addr, accepted)
}

#[test]
fn ctrl_c_while_waiting_for_the_broker_ends_evt_at_once() {
    let (addr, accepted) = black_hole();
    let evt = spawn_evt(&["read", "orders", "-b", &addr, "--timeout", "30s"]);
    wait_until(
        "evt to connect to the silent broker",
        || accepted.load(Ordering::SeqCst) > 0,
        || evt.stderr(),
    );
    let interrupted = Instant::now();
    evt.interrupt();
    let (code, stderr) = evt.wait_with_stderr(Duration::from_secs(5));
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(2),
        "took {:?}",
        interrupted.elapsed()
    );
    assert!(
        stderr.contains("interrupted while waiting for the broker"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_while_produce_waits_on_stdin_keeps_what_was_written() {
    let topic = unique_topic("stdin");
    create_topic(&topic, 1);
    let mut command = evt_command();
    command
        .args(["produce", &topic, "-", "--values", "-b", &broker().addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("evt starts");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, r#"{{"n":1}}"#).unwrap();
    stdin.flush().unwrap();
    // The line is on the topic: evt now waits on stdin, which stays open.
    wait_until(
        "the first line to reach the topic",
        || {
            evt(&["read", &topic, "--format", "value", "-b", &broker().addr])
                .stdout
                .lines()
                .count()
                == 1
        },
        String::new,
    );
    let pid = i32::try_from(child.id()).unwrap();
    let interrupted = Instant::now();
    // SAFETY: kill(2) on the child we started.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if interrupted.elapsed() > Duration::from_secs(5) {
            child.kill().ok();
            panic!("produce ignored Ctrl-C while waiting on stdin");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(3),
        "{:?}",
        interrupted.elapsed()
    );
    assert!(stderr.contains("wrote 1 event(s)"), "{stderr}");
}

/// A read whose broker answers everything but never hands over data gives up after
/// `--timeout` (it took three times that), with the documented exit code.
#[test]
fn a_stalled_read_gives_up_after_the_timeout() {
    let mock = evt::broker::mock::MockBroker::start(1).unwrap();
    mock.create_topic("stalled", 1).unwrap();
    let writer = evt::broker::produce::Writer::new(mock.bootstrap(), &[]).unwrap();
    for n in 0..10 {
        let line = format!(r#"{{"topic":"stalled","key":"k{n}","value":{n}}}"#);
        writer
            .send(&crate::harness::parse_envelope(&line).unwrap())
            .unwrap();
    }
    writer.flush(crate::harness::DEADLINE).unwrap();
    mock.fail_fetch_requests(100_000);
    let run = evt(&[
        "read",
        "stalled",
        "-b",
        mock.bootstrap(),
        "--timeout",
        "2s",
        "--format",
        "value",
    ]);
    run.expect_code(3);
    assert!(
        run.stderr.contains("no data from the broker for"),
        "{}",
        run.stderr
    );
    assert!(
        run.elapsed < Duration::from_millis(4_500),
        "gave up after {:?} with --timeout 2s:\n{}",
        run.elapsed,
        run.stderr
    );
}
