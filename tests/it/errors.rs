//! Bad input and broker failures: one clear line, the documented exit code, no hang.

use std::time::Duration;

use crate::harness::*;

/// A loopback port with nothing listening.
fn dead_broker() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    addr
}

#[test]
fn unknown_topic_suggests_the_closest_name() {
    let topic = unique_topic("orders");
    create_topic(&topic, 1);
    let typo = topic.replacen("orders", "ordrs", 1);
    let run = evt(&["read", &typo]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "topic '{typo}' not found; did you mean '{topic}'?"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
}

#[test]
fn unreachable_broker_fails_with_exit_3_within_the_timeout() {
    let mut command = evt_command();
    command.args(["-b", &dead_broker(), "--timeout", "2s", "read", "orders"]);
    let run = run(command);
    run.expect_code(3);
    assert!(
        run.elapsed < Duration::from_secs(8),
        "took {:?}",
        run.elapsed
    );
    assert!(
        run.stderr.contains("no answer from the broker"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--timeout"),
        "the hint names what to do: {}",
        run.stderr
    );
}

#[test]
fn tail_on_unreachable_broker_also_fails() {
    let mut command = evt_command();
    command.args(["-b", &dead_broker(), "--timeout", "1s", "tail", "orders"]);
    run(command).expect_code(3);
}

#[test]
fn bad_positions_are_usage_errors_before_any_connection() {
    // A dead broker proves evt never tried to connect: the answer is immediate, exit 2.
    for (from, message) in [
        ("2x", "unknown unit 'x' in '2x'; try 2h, 30m, 1d"),
        ("2026-13-01", "is not a valid time"),
        ("yesterday", "is not a position"),
    ] {
        let mut command = evt_command();
        command.args(["-b", &dead_broker(), "read", "orders", "--from", from]);
        let run = run(command);
        run.expect_code(2);
        assert!(run.stderr.contains(message), "{from}: {}", run.stderr);
        assert!(
            run.elapsed < Duration::from_secs(2),
            "{from} took {:?}",
            run.elapsed
        );
    }
}

#[test]
fn bad_configuration_is_exit_2() {
    let mut command = evt_command();
    command.args(["-X", "no-equals-sign", "read", "t"]);
    run(command).expect_code(2);
    let mut command = evt_command();
    command.args(["-X", "not.a.real.property=1", "read", "t"]);
    let run = run(command);
    run.expect_code(2);
    assert!(run.stderr.contains("not.a.real.property"), "{}", run.stderr);
    let mut command = evt_command();
    command.args(["--profile", "missing", "read", "t"]);
    run_code(command, 2);
}

fn run_code(command: std::process::Command, code: i32) {
    run(command).expect_code(code);
}

#[test]
fn profiles_supply_brokers_and_secrets_stay_hidden() {
    let topic = unique_topic("profile");
    create_topic(&topic, 1);
    produce(&topic, &[Record::json(0, "k", "1", 1_700_000_000_000)]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.local]\nbrokers = \"{}\"\n[profiles.local.properties]\n\"sasl.password\" = \"hunter2\"\n",
            broker().addr
        ),
    )
    .unwrap();
    let mut command = evt_command();
    command
        .env("EVT_CONFIG", &config)
        .env("EVT_PROFILE", "local");
    command.args(["-vv", "read", &topic]);
    let run = run(command);
    run.ok();
    assert_eq!(run.positions(), vec![(0, 0)]);
    assert!(!run.stderr.contains("hunter2") && !run.stdout.contains("hunter2"));
}

#[test]
fn kcat_config_file_is_read() {
    let topic = unique_topic("kcatconf");
    create_topic(&topic, 1);
    produce(&topic, &[Record::json(0, "k", "1", 1_700_000_000_000)]);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("kcat.conf");
    std::fs::write(
        &conf,
        format!("# kcat style\nbootstrap.servers={}\n", broker().addr),
    )
    .unwrap();
    let mut command = evt_command();
    command.args(["--config", conf.to_str().unwrap(), "read", &topic]);
    let run = run(command);
    run.ok();
    assert_eq!(run.positions(), vec![(0, 0)]);
}

#[test]
fn tls_and_sasl_scram_are_built_in() {
    // librdkafka refuses at client creation when built without TLS or SCRAM; evt gets as far
    // as trying the (dead) broker, which is exit 3, not a configuration error (exit 2).
    let mut command = evt_command();
    command.args([
        "-b",
        &dead_broker(),
        "--timeout",
        "1s",
        "-X",
        "security.protocol=SASL_SSL",
        "-X",
        "sasl.mechanism=SCRAM-SHA-512",
        "-X",
        "sasl.username=u",
        "-X",
        "sasl.password=s3cr3t-value",
        "read",
        "orders",
    ]);
    let run = run(command);
    run.expect_code(3);
    assert!(!run.stderr.contains("s3cr3t-value"), "{}", run.stderr);
}

#[test]
fn bad_property_errors_never_print_secrets() {
    let mut command = evt_command();
    command.args([
        "-X",
        "sasl.password=s3cr3t-value",
        "-X",
        "bogus.prop=1",
        "read",
        "t",
    ]);
    let run = run(command);
    run.expect_code(2);
    assert!(run.stderr.contains("[redacted]"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t-value"), "{}", run.stderr);
}
