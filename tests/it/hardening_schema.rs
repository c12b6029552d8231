//! Hardening: schemas may only read regular files inside their directory (no device, FIFO,
//! outside path or huge file, no endless `$ref` cycle), and secrets never reach stdout or
//! stderr. Every evt run here has a hard deadline and a memory cap, so a regression fails
//! instead of hanging or exhausting the machine.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::harness::*;

/// No run here needs more than this; a hang is killed and fails the test.
const DEADLINE: Duration = Duration::from_secs(20);
/// Runs a prepared evt command with [`DEADLINE`] and an address-space cap (a runaway read
/// fails with an allocation error instead).
fn capped(command: Command) -> Run {
    run_capped(command, DEADLINE, memory_cap(768 * MIB)).run
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("a test file");
}

/// A schema directory `dir/schemas` with one event file next to it.
fn setup() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let schemas = dir.path().join("schemas");
    std::fs::create_dir(&schemas).expect("a schema directory");
    let events = dir.path().join("events.jsonl");
    write(&events, "{\"id\":1}\n{\"id\":2,\"name\":\"x\"}\n");
    let events = events.to_str().expect("a UTF-8 path").to_string();
    (dir, schemas, events)
}

fn validate(schema: &Path, events: &str) -> Run {
    let mut command = evt_command();
    command
        .arg("validate")
        .arg("--schema")
        .arg(schema)
        .arg(events);
    capped(command)
}

/// Exit 2 with one line on stderr that contains every `needle`.
fn refused(run: &Run, needles: &[&str]) {
    run.expect_code(2);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one error line:\n{}", run.stderr);
    for needle in needles {
        assert!(lines[0].contains(needle), "no '{needle}' in: {}", lines[0]);
    }
    assert!(run.stdout.is_empty(), "nothing validated: {}", run.stdout);
}

#[test]
fn a_ref_to_a_device_is_refused_at_once() {
    let (_dir, schemas, events) = setup();
    let schema = schemas.join("zero.json");
    write(&schema, r#"{"properties":{"id":{"$ref":"/dev/zero"}}}"#);
    let run = validate(&schema, &events);
    refused(
        &run,
        &[
            "zero.json",
            "$ref '/dev/zero'",
            "outside the schema directory",
        ],
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    // The schema file itself may not be a device either.
    refused(
        &validate(Path::new("/dev/zero"), &events),
        &["/dev/zero", "not a regular file"],
    );
}

#[test]
fn a_ref_to_a_fifo_is_refused_without_blocking() {
    let (_dir, schemas, events) = setup();
    let fifo = schemas.join("pipe.json");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
    let schema = schemas.join("order.json");
    write(&schema, r#"{"$ref":"pipe.json"}"#);
    refused(
        &validate(&schema, &events),
        &[
            "order.json",
            "$ref 'pipe.json'",
            "not a regular file (a FIFO)",
        ],
    );
    // The FIFO as the schema, and inside a schema directory (every file is checked first).
    refused(
        &validate(&fifo, &events),
        &["pipe.json", "not a regular file (a FIFO)"],
    );
    refused(&validate(&schemas, &events), &["pipe.json", "a FIFO"]);
}

#[test]
fn refs_outside_the_schema_directory_are_refused() {
    let (dir, schemas, events) = setup();
    write(&dir.path().join("outside.json"), r#"{"type":"object"}"#);
    let up = schemas.join("up.json");
    write(&up, r#"{"$ref":"../outside.json"}"#);
    refused(
        &validate(&up, &events),
        &[
            "up.json",
            "$ref '../outside.json'",
            "outside the schema directory",
        ],
    );
    let absolute = schemas.join("absolute.json");
    write(&absolute, r#"{"$ref":"file:///etc/passwd"}"#);
    refused(
        &validate(&absolute, &events),
        &["$ref 'file:///etc/passwd'", "outside the schema directory"],
    );
    // A symlink inside the directory that points out of it counts as outside.
    std::os::unix::fs::symlink(dir.path().join("outside.json"), schemas.join("link.json"))
        .expect("a symlink");
    let via_link = schemas.join("via-link.json");
    write(&via_link, r#"{"$ref":"link.json"}"#);
    refused(
        &validate(&via_link, &events),
        &["$ref 'link.json'", "outside the schema directory"],
    );
}

#[test]
fn refs_inside_the_schema_directory_still_resolve() {
    let (_dir, schemas, events) = setup();
    std::fs::create_dir(schemas.join("common")).unwrap();
    write(
        &schemas.join("common").join("named.json"),
        r#"{"type":"object","required":["name"]}"#,
    );
    let order = schemas.join("order.json");
    write(
        &order,
        r##"{"$ref":"common/named.json","properties":{"next":{"$ref":"#"}}}"##,
    );
    let run = validate(&order, &events);
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("events.jsonl:1: invalid against order.json")
            && run.stdout.contains(r#""name" is a required property"#)
            && !run.stdout.contains("events.jsonl:2"),
        "the referenced file decides: {}",
        run.stdout
    );
}

#[test]
fn a_ref_cycle_that_never_reaches_the_event_is_an_error() {
    let (_dir, schemas, events) = setup();
    let a = schemas.join("a.json");
    write(&a, r#"{"$ref":"b.json"}"#);
    write(&schemas.join("b.json"), r#"{"allOf":[{"$ref":"a.json"}]}"#);
    let run = validate(&a, &events);
    refused(&run, &["$ref cycle: a.json → b.json → a.json"]);
    let local = schemas.join("local.json");
    write(
        &local,
        r##"{"properties":{"id":{"$ref":"#/$defs/x"}},"$defs":{"x":{"$ref":"#/$defs/y"},"y":{"not":{"$ref":"#/$defs/x"}}}}"##,
    );
    refused(
        &validate(&local, &events),
        &["$ref cycle: local.json#/$defs/x → local.json#/$defs/y → local.json#/$defs/x"],
    );
}

#[test]
fn an_oversized_schema_is_refused() {
    let (_dir, schemas, events) = setup();
    let padding = " ".repeat(17 << 20);
    let big = schemas.join("big.json");
    write(&big, &format!("{{\"type\":\"object\"}}{padding}"));
    refused(
        &validate(&big, &events),
        &["big.json", "larger than 16 MiB"],
    );
    let small = schemas.join("small.json");
    write(&small, r#"{"$ref":"big.json"}"#);
    refused(
        &validate(&small, &events),
        &["$ref 'big.json'", "larger than 16 MiB"],
    );
}

/// A secret no output may contain.
const SECRET: &str = "hunter2-SECRET-xyz";

/// `evt [-vv] read` against a port nobody listens on, with `args` (connection flags).
fn read_with(args: &[&str], verbose: bool, config: Option<&Path>) -> Run {
    let mut command = evt_command();
    if let Some(config) = config {
        command.env("EVT_CONFIG", config);
    }
    if verbose {
        command.arg("-vv");
    }
    command
        .args(["read", "orders", "-b", "127.0.0.1:1", "--timeout", "2s"])
        .args(args);
    capped(command)
}

/// Runs quiet and with client logs (`-vv`): the exit code is `code`, the secret nowhere.
fn never_shown(args: &[&str], config: Option<&Path>, code: i32, reason: &str) {
    for verbose in [false, true] {
        let run = read_with(args, verbose, config);
        run.expect_code(code);
        assert!(
            !run.stdout.contains(SECRET)
                && !run.stderr.contains(SECRET)
                && !run.stderr.contains("hunter2"),
            "the secret was printed (verbose {verbose}):\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(reason),
            "no '{reason}' (verbose {verbose}):\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_jaas_config_echoed_by_the_client_library_is_redacted() {
    let jaas = format!(
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"{SECRET}\";"
    );
    never_shown(
        &["-X", &jaas],
        None,
        2,
        "sasl.jaas.config: Java JAAS configuration is not supported",
    );
    // The same from a profile.
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("config.toml");
    write(
        &profiles,
        &format!(
            "[profiles.prod]\nbrokers = \"127.0.0.1:1\"\n[profiles.prod.properties]\n\"sasl.jaas.config\" = '{}'\n",
            jaas.trim_start_matches("sasl.jaas.config=")
        ),
    );
    never_shown(
        &["--profile", "prod"],
        Some(&profiles),
        2,
        "sasl.jaas.config=[redacted]",
    );
}

#[test]
fn a_misspelled_or_unknown_key_does_not_echo_its_value() {
    never_shown(
        &["-X", &format!("sasl.pasword={SECRET}")],
        None,
        2,
        r#"No such configuration property: "sasl.pasword" (properties: sasl.pasword=[redacted])"#,
    );
    never_shown(
        &["-X", &format!("sasl.pw={SECRET}")],
        None,
        2,
        r#"No such configuration property: "sasl.pw""#,
    );
}

#[test]
fn java_style_lines_are_accepted_and_malformed_ones_never_echoed() {
    // `key: value` is Java's properties syntax: accepted (the broker is then unreachable).
    never_shown(
        &["-X", &format!("sasl.password: {SECRET}")],
        None,
        3,
        "no answer from the broker at 127.0.0.1:1",
    );
    let dir = tempfile::tempdir().unwrap();
    let java = dir.path().join("client.properties");
    write(
        &java,
        &format!("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u\nsasl.password: {SECRET}\n"),
    );
    never_shown(
        &["--config", java.to_str().unwrap()],
        None,
        3,
        "no answer from the broker at 127.0.0.1:1",
    );
    // Without a separator the line is refused by its number, never repeated.
    let broken = dir.path().join("broken.properties");
    write(
        &broken,
        &format!("security.protocol=SASL_PLAINTEXT\nsasl.password {SECRET}\n"),
    );
    never_shown(
        &["--config", broken.to_str().unwrap()],
        None,
        2,
        "broken.properties:2: expected key=value",
    );
    never_shown(
        &["-X", SECRET],
        None,
        2,
        "-X argument 1: expected key=value",
    );
}
