//! `evt validate` on fixture files and on tansu topics: formats, exit codes, schema choice.

use crate::harness::*;

/// A path in the repository, as text.
fn repo(path: &str) -> String {
    crate::harness::repo(path).display().to_string()
}

fn validate(args: &[&str]) -> Run {
    let mut command = evt_command();
    command.arg("validate").args(args);
    run(command)
}

#[test]
fn valid_fixtures_exit_0_and_violations_exit_1() {
    let schemas = repo("fixtures/schemas/");
    let ok = validate(&["--schema", &schemas, &repo("fixtures/events/saga.jsonl")]);
    ok.ok();
    assert!(
        ok.stdout.contains("all events") && ok.stdout.contains("schema payments.json"),
        "{}",
        ok.stdout
    );
    let bad = validate(&[
        "--schema",
        &schemas,
        &repo("fixtures/events/orders.jsonl"),
        &repo("fixtures/events/saga.jsonl"),
    ]);
    bad.expect_code(1);
    let first = bad.stdout.lines().next().unwrap();
    // Where, when and which key, then what.
    assert!(
        first.contains("fixtures/events/orders.jsonl:13 20")
            && first.contains(" key=")
            && first.ends_with(": invalid against orders.json (2 violation(s))"),
        "{first}"
    );
    assert!(
        bad.stdout.contains(r#"  /total: "#)
            && bad
                .stdout
                .contains("[type at /allOf/0/then/properties/total/type]"),
        "{}",
        bad.stdout
    );
    assert!(
        bad.stdout.contains(
            r#"(root): "customer_id" is a required property [required at /allOf/0/then/required]"#
        ),
        "{}",
        bad.stdout
    );
}

#[test]
fn plain_values_array_files_and_non_json_lines() {
    let orders = repo("fixtures/schemas/orders.json");
    let values = validate(&[
        "--schema",
        &orders,
        &repo("fixtures/events/order-values.jsonl"),
        "--format",
        "json",
    ]);
    values.expect_code(1);
    let reports: Vec<serde_json::Value> = values
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 2);
    assert_eq!(
        (
            reports[0]["line"].as_i64(),
            reports[0]["violations"][0]["pointer"].as_str()
        ),
        (Some(6), Some("/items/0/qty"))
    );
    assert_eq!(
        reports[1]["line"], 7,
        "a line that is not JSON is a violation at its line"
    );
    assert_eq!(reports[1]["violations"][0]["keyword"], "json");
    let trades = validate(&[
        "--schema",
        &repo("fixtures/schemas/trades.json"),
        &repo("fixtures/events/trades.json"),
    ]);
    trades.expect_code(1);
    assert!(
        trades.stdout.contains("/price: ") && trades.stdout.contains("exclusiveMinimum"),
        "{}",
        trades.stdout
    );
    assert!(
        trades
            .stdout
            .contains("fixtures/events/trades.json[8]: invalid against trades.json"),
        "{}",
        trades.stdout
    );
}

#[test]
fn github_and_junit_formats() {
    let orders = repo("fixtures/schemas/orders.json");
    let file = repo("fixtures/events/order-values.jsonl");
    let github = validate(&["--schema", &orders, &file, "--format", "github"]);
    github.expect_code(1);
    let first = github.stdout.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "::error file={file},line=6,title=schema orders.json::/items/0/qty: "
        )),
        "{first}"
    );
    let junit = validate(&["--schema", &orders, &file, "--format", "junit"]);
    junit.expect_code(1);
    assert!(junit.stdout.starts_with("<?xml"), "{}", junit.stdout);
    assert!(
        junit.stdout.contains(r#"tests="7" failures="2""#),
        "{}",
        junit.stdout
    );
    assert!(
        junit.stdout.contains(&format!(r#"name="{file}:6""#)),
        "{}",
        junit.stdout
    );
    assert!(
        junit.stderr.contains("all events"),
        "the summary goes to stderr: {}",
        junit.stderr
    );
}

#[test]
fn schema_selection_by_field_and_missing_schemas() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Paid.json"),
        r#"{"type":"object","required":["amount"],"properties":{"amount":{"$ref":"money.json"}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("money.json"),
        r#"{"type":"number","minimum":0}"#,
    )
    .unwrap();
    let events = dir.path().join("events.jsonl");
    std::fs::write(&events, "{\"type\":\"Paid\",\"amount\":5}\n{\"type\":\"Paid\",\"amount\":-1}\n{\"type\":\"Other\"}\n").unwrap();
    let (schemas, file) = (dir.path().to_str().unwrap(), events.to_str().unwrap());
    let strict = validate(&["--schema", schemas, "--schema-by", ".type", file]);
    strict.expect_code(1);
    assert!(
        strict.stdout.contains(":2: invalid against Paid.json")
            && strict.stdout.contains("minimum"),
        "{}",
        strict.stdout
    );
    assert!(
        strict.stdout.contains(&format!(
            "no schema for 'Other' (looked for {schemas}/Other.json)"
        )),
        "{}",
        strict.stdout
    );
    let warn = validate(&[
        "--schema",
        schemas,
        "--schema-by",
        ".type",
        file,
        "--missing-schema",
        "warn",
    ]);
    warn.expect_code(1);
    assert!(
        warn.stderr.contains("warning") && warn.stderr.contains("'Other'"),
        "{}",
        warn.stderr
    );
    let limited = validate(&[
        "--schema",
        schemas,
        "--schema-by",
        ".type",
        file,
        "--max-errors",
        "1",
        "--format",
        "json",
    ]);
    // Stopping at the limit is not a pass: what was found still fails the check.
    limited.expect_code(1);
    assert_eq!(limited.stdout.lines().count(), 1, "{}", limited.stdout);
}

#[test]
fn bad_schemas_and_usage_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"type": "no-such-type"}"#).unwrap();
    let run = validate(&[
        "--schema",
        broken.to_str().unwrap(),
        &repo("fixtures/events/saga.jsonl"),
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("broken.json"), "{}", run.stderr);
    let remote = dir.path().join("remote.json");
    std::fs::write(
        &remote,
        r#"{"$ref": "https://schemas.example.com/order.json"}"#,
    )
    .unwrap();
    let run = validate(&[
        "--schema",
        remote.to_str().unwrap(),
        &repo("fixtures/events/saga.jsonl"),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("https://schemas.example.com/order.json"),
        "{}",
        run.stderr
    );
    validate(&["--schema", "/nonexistent/schemas", "x.jsonl"]).expect_code(2);
}

#[test]
fn topics_are_validated_by_topic_name() {
    let topic = unique_topic("orders");
    create_topic(&topic, 2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(format!("{topic}.json")),
        r#"{"type":"object","required":["id"]}"#,
    )
    .unwrap();
    produce(
        &topic,
        &[
            Record::json(0, "a", r#"{"id":1}"#, 1_700_000_000_000),
            Record::json(1, "b", r#"{"nope":1}"#, 1_700_000_001_000),
            Record::json(1, "c", "not json", 1_700_000_002_000),
        ],
    );
    let mut command = evt_command();
    command.args([
        "-b",
        &broker().addr,
        "validate",
        &topic,
        "--schema",
        dir.path().to_str().unwrap(),
    ]);
    let run = run(command);
    run.expect_code(1);
    assert!(
        run.stdout.contains(&format!(
            "{topic}/1@0 2023-11-14T22:13:21.000Z key=b: invalid against {topic}.json"
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "{topic}/1@1 2023-11-14T22:13:22.000Z key=c: invalid against (not JSON)"
        )),
        "{}",
        run.stdout
    );
    let mut command = evt_command();
    command.args([
        "-b",
        &broker().addr,
        "validate",
        &topic,
        "-p",
        "0",
        "--schema",
        dir.path().to_str().unwrap(),
    ]);
    run_ok(command);
}

fn run_ok(command: std::process::Command) {
    run(command).ok();
}

#[test]
fn read_and_tail_mark_invalid_events_inline() {
    let topic = unique_topic("inline");
    create_topic(&topic, 1);
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("s.json");
    std::fs::write(&schema, r#"{"type":"object","required":["id"]}"#).unwrap();
    let schema = schema.to_str().unwrap().to_string();
    produce(
        &topic,
        &[
            Record::json(0, "a", r#"{"id":1}"#, 1_700_000_000_000),
            Record::json(0, "b", r#"{"nope":1}"#, 1_700_000_001_000),
        ],
    );
    let all = evt(&["read", &topic, "--validate", &schema]);
    all.ok();
    let events = all.envelopes();
    assert_eq!(events.len(), 2);
    assert!(events[0].get("invalid").is_none());
    assert_eq!(events[1]["invalid"]["violations"][0]["keyword"], "required");
    assert!(
        crate::harness::parse_envelope(all.stdout.lines().nth(1).unwrap()).is_ok(),
        "still an envelope"
    );
    let only = evt(&[
        "read",
        &topic,
        "--validate",
        &schema,
        "--only-invalid",
        "--format",
        "pretty",
    ]);
    only.ok();
    assert!(
        only.stdout.starts_with(&format!("{topic}/0@1")),
        "{}",
        only.stdout
    );
    assert!(
        only.stdout.contains("✗ invalid against s.json"),
        "{}",
        only.stdout
    );
    let tail = evt(&[
        "tail",
        &topic,
        "-n",
        "2",
        "-c",
        "1",
        "--validate",
        &schema,
        "--only-invalid",
    ]);
    tail.ok();
    assert_eq!(tail.positions(), vec![(0, 1)]);
    let broken = evt(&["read", &topic, "--validate", "/nonexistent.json"]);
    broken.expect_code(2);
}

/// Plain values (no topic) against a directory of schemas, which chooses by topic: nothing can
/// pick a schema, which is one usage error (exit 2), not one violation per line; with
/// --schema-by the same values are checked (the option `read --validate` takes too).
#[test]
fn plain_values_against_a_schema_directory_need_a_field_to_choose_by() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.jsonl");
    std::fs::write(
        &values,
        "{\"type\":\"orders\",\"id\":1}\n{\"type\":\"orders\"}\n",
    )
    .unwrap();
    let schemas = repo("fixtures/schemas");
    let refused = validate(&["--schema", &schemas, values.to_str().unwrap()]);
    refused.expect_code(2);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("--schema-by"), "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    let chosen = validate(&[
        "--schema",
        &schemas,
        "--schema-by",
        ".type",
        values.to_str().unwrap(),
    ]);
    assert_ne!(chosen.status, Some(2), "{}", chosen.stderr);
    let mut read = evt_command();
    read.args([
        "read",
        values.to_str().unwrap(),
        "--validate",
        &schemas,
        "--schema-by",
        ".type",
    ]);
    assert_ne!(run(read).status, Some(2));
}
