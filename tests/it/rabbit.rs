//! RabbitMQ Streams (issue 14, under way): a private RabbitMQ node with the stream plugin,
//! started by the harness on free ports, and evt's stream-protocol client against it.

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use evt::broker::rabbit::client::{refused, Client};
use evt::broker::rabbit::Address;

use crate::harness::*;

/// The node shared by this binary's tests; stopped (SIGTERM to its script) when they end.
pub struct Rabbit {
    pub address: String,
    pub stream_port: u16,
    pub amqp_port: u16,
}

pub fn rabbit() -> &'static Rabbit {
    static RABBIT: OnceLock<Rabbit> = OnceLock::new();
    RABBIT.get_or_init(start_rabbit)
}

static NODE_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// Starts `scripts/rabbitmq-node` on `dir` and `ports` (AMQP, stream, dist, epmd), waits until
/// its stream listener accepts connections, and returns the script's pid. Fails the test
/// loudly when the node cannot start.
fn start_node(dir: &std::path::Path, ports: &[u16]) -> i32 {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/rabbitmq-node");
    let log_dir = dir.join("log");
    // A restarted node appends to its log: only a startup after this one counts.
    let startups = || -> usize {
        std::fs::read_dir(&log_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|f| {
                std::fs::read_to_string(f.path())
                    .map_or(0, |t| t.matches("Server startup complete").count())
            })
            .sum()
    };
    let before = startups();
    let mut command = Command::new(script);
    command
        .arg(dir)
        .args(ports.iter().map(u16::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = spawn_for_life(command, libc::SIGTERM)
        .unwrap_or_else(|e| panic!("cannot start {script}: {e} (scripts/setup installs RabbitMQ)"));
    let started = || startups() > before;
    let context = || {
        format!(
            "RabbitMQ did not start (is it installed? scripts/setup installs it):\n{}",
            std::fs::read_to_string(dir.join("server.out")).unwrap_or_default()
        )
    };
    wait_until_for(
        "RabbitMQ's stream listener",
        Duration::from_secs(120),
        || started() && std::net::TcpStream::connect(("127.0.0.1", ports[1])).is_ok(),
        context,
    );
    child
}

/// Stops a node started by [`start_node`] and waits until it is gone.
fn stop_node(pid: i32) {
    // SAFETY: kill(2) and waitpid(2) on the script this process started.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
}

fn start_rabbit() -> Rabbit {
    let dir = lasting_dir("evt-rabbit-");
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    extern "C" fn stop_shared_node() {
        let pid = NODE_PID.load(std::sync::atomic::Ordering::SeqCst);
        if pid > 0 {
            stop_node(pid);
        }
    }
    // SAFETY: atexit(3) with a function that only signals and waits for a child.
    unsafe {
        libc::atexit(stop_shared_node);
    }
    let pid = start_node(&dir, &ports);
    NODE_PID.store(pid, std::sync::atomic::Ordering::SeqCst);
    Rabbit {
        address: format!("rabbitmq-stream://guest:guest@127.0.0.1:{}/%2f", ports[1]),
        stream_port: ports[1],
        amqp_port: ports[0],
    }
}

fn connect() -> Client {
    let address = Address::parse(&rabbit().address).unwrap();
    Client::connect(&address, DEADLINE).unwrap()
}

#[test]
fn the_stream_client_creates_describes_and_deletes_a_stream() {
    let mut client = connect();
    let stream = unique_topic("rabbit-orders");
    client.create(&stream, &[("max-age", "7D")]).unwrap();
    let again = client.create(&stream, &[("max-age", "7D")]).unwrap_err();
    assert_eq!(refused(&again), Some(5), "{again:#}");
    assert!(
        format!("{again:#}").contains("stream already exists"),
        "{again:#}"
    );
    // The same name with other arguments: the broker's precondition fails.
    let other = client.create(&stream, &[("max-age", "1D")]).unwrap_err();
    assert!(
        format!("{other:#}").contains("precondition failed"),
        "{other:#}"
    );

    let found = client.metadata(&[&stream, "no-such-stream"]).unwrap();
    assert_eq!(found.len(), 2);
    let ours = found.iter().find(|s| s.name == stream).unwrap();
    assert_eq!(ours.problem, None);
    assert_eq!(
        ours.leader,
        Some(("127.0.0.1".to_string(), u32::from(rabbit().stream_port)))
    );
    let missing = found.iter().find(|s| s.name == "no-such-stream").unwrap();
    assert_eq!(missing.problem, Some("stream does not exist"));

    // Debian's RabbitMQ 3.10 has no StreamStats (3.11 added it): evt says so without
    // asking, and the connection stays usable.
    let (product, version) = client.server();
    assert_eq!(product, "RabbitMQ");
    if client.has_stream_stats() {
        let stats = client
            .stream_stats(&stream)
            .unwrap()
            .expect("the stream exists");
        assert!(stats.contains_key("first_chunk_id"), "{stats:?}");
        assert_eq!(client.stream_stats("no-such-stream").unwrap(), None);
    } else {
        assert!(version.starts_with("3.10"), "{version}");
        let error = client.stream_stats(&stream).unwrap_err();
        assert!(
            format!("{error:#}").contains("RabbitMQ 3.11 and later"),
            "{error:#}"
        );
    }
    assert_eq!(client.query_offset("billing", &stream).unwrap(), None);

    assert!(client.delete(&stream).unwrap());
    assert!(!client.delete(&stream).unwrap());
    client.close();
}

#[test]
fn a_wrong_password_is_refused_without_being_shown() {
    rabbit();
    let address = rabbit()
        .address
        .replace("guest:guest@", "guest:wrong-secret-4711@");
    let parsed = Address::parse(&address).unwrap();
    let error = Client::connect(&parsed, DEADLINE).err().expect("refused");
    let text = format!("{error:#}");
    assert!(text.contains("login refused for user 'guest'"), "{text}");
    assert!(!text.contains("wrong-secret-4711"), "{text}");
    // Nothing listens here: a clear error naming the address, without the password.
    let closed = Address::parse(&format!(
        "rabbitmq-stream://guest:wrong-secret-4711@127.0.0.1:{}/",
        free_port()
    ))
    .unwrap();
    let error = Client::connect(&closed, Duration::from_secs(5))
        .err()
        .expect("refused");
    let text = format!("{error:#}");
    assert!(
        text.contains("cannot reach RabbitMQ at rabbitmq-stream://guest@127.0.0.1:"),
        "{text}"
    );
    assert!(!text.contains("wrong-secret-4711"), "{text}");
}

/// A RabbitMQ address on the command line selects that family; a node that is not there is
/// a clear one-line error (exit 3) naming the address, and the password is never printed.
#[test]
fn a_stream_address_is_recognised_and_its_password_never_printed() {
    let port = free_port();
    let mut command = evt_command();
    command.args([
        "-b",
        &format!("rabbitmq-stream://app:s3cret-pass-99@127.0.0.1:{port}/%2fprod"),
        "read",
        "orders",
    ]);
    let refused = run(command);
    refused.expect_code(3);
    assert!(
        refused.stderr.contains(&format!(
            "cannot reach RabbitMQ at rabbitmq-stream://app@127.0.0.1:{port}/%2fprod"
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(
        !refused.stderr.contains("s3cret-pass-99"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stdout.contains("s3cret-pass-99"));
}

/// Publishing with a publisher reference (deduplicated by publishing id) and reading back
/// from the first chunk: the records' AMQP 1.0 messages come back exactly as published, every
/// typed application property included, numbered from offset 0, in chunks stamped with the
/// broker's time.
#[test]
fn published_messages_come_back_exactly_and_once() {
    use evt::broker::rabbit::amqp::{self, Body, Message, Value};
    use evt::broker::rabbit::client::Start;
    let mut client = connect();
    let stream = unique_topic("rabbit-fidelity");
    client.create(&stream, &[]).unwrap();
    let message = |n: u8| Message {
        message_annotations: vec![(
            Value::Symbol("x-routing-key".into()),
            Value::String(format!("order-{n}")),
        )],
        properties: vec![
            Value::String(format!("msg-{n}")),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Symbol("application/json".into()),
            Value::Null,
            Value::Null,
            Value::Timestamp(1_795_539_600_000 + i64::from(n)),
        ],
        application_properties: vec![
            (
                Value::String("trace-id".into()),
                Value::String("4a93".into()),
            ),
            (Value::String("attempt".into()), Value::Int(i32::from(n))),
            (Value::String("big".into()), Value::Ulong(u64::MAX)),
            (Value::String("ratio".into()), Value::Double(0.25)),
            (Value::String("ok".into()), Value::Bool(true)),
            (Value::String("raw".into()), Value::Binary(vec![0, 255, n])),
            (Value::String("at".into()), Value::Timestamp(-1)),
        ],
        body: Body::Data(vec![if n == 2 {
            vec![0xff, 0x00, 0xfe]
        } else {
            format!(r#"{{"type":"OrderCreated","n":{n}}}"#).into_bytes()
        }]),
        ..Message::default()
    };
    let sent: Vec<Message> = (1..=3).map(message).collect();
    let before = chrono::Utc::now().timestamp_millis();
    client
        .declare_publisher(1, Some("evt-test"), &stream)
        .unwrap();
    let batch: Vec<(u64, Vec<u8>)> = (1u64..).zip(sent.iter().map(amqp::encode)).collect();
    assert_eq!(client.publish(1, &batch).unwrap(), vec![]);
    assert_eq!(client.publisher_sequence("evt-test", &stream).unwrap(), 3);
    // Again with ids already stored: confirmed, not written twice.
    assert_eq!(client.publish(1, &batch[1..]).unwrap(), vec![]);
    let after = chrono::Utc::now().timestamp_millis();

    let mut reader = connect();
    reader.subscribe(7, &stream, Start::First, 10).unwrap();
    let mut records = Vec::new();
    let mut stamps = Vec::new();
    let deadline = std::time::Instant::now() + DEADLINE;
    while records.len() < 3 {
        assert!(std::time::Instant::now() < deadline, "{records:?}");
        if let Some(chunk) = reader.next_chunk().unwrap() {
            assert_eq!(chunk.subscription, 7);
            stamps.push(chunk.timestamp);
            records.extend(chunk.records);
            reader.credit(7, 1).unwrap();
        }
    }
    assert_eq!(
        records.iter().map(|(o, _)| *o).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    for ((_, bytes), original) in records.iter().zip(&sent) {
        assert_eq!(&amqp::decode(bytes).unwrap(), original);
    }
    assert!(
        stamps
            .iter()
            .all(|t| (before - 1_000..=after + 1_000).contains(t)),
        "chunk times {stamps:?} within {before}..{after}"
    );
    // Nothing more: the re-published ids were not stored again.
    assert_eq!(
        reader
            .next_chunk_within(Duration::from_millis(500))
            .unwrap(),
        None
    );
    client.delete(&stream).unwrap();
}

/// An independent client (Python's rstream) on the same node, both ways: what it publishes,
/// evt's client reads with every typed property; what evt's client publishes, it reads.
#[test]
fn an_independent_client_agrees_on_every_message() {
    use evt::broker::rabbit::amqp::{self, Body, Message, Value};
    use evt::broker::rabbit::client::Start;
    let port = rabbit().stream_port.to_string();
    let mut client = connect();
    let stream = unique_topic("rabbit-peer");
    client.create(&stream, &[]).unwrap();
    peer("rstream_peer.py", &["publish", &port, &stream]);
    let mut reader = connect();
    reader.subscribe(1, &stream, Start::First, 10).unwrap();
    let mut records = Vec::new();
    while records.len() < 2 {
        let chunk = reader.next_chunk().unwrap().expect("rstream's messages");
        records.extend(chunk.records);
        reader.credit(1, 1).unwrap();
    }
    let first = amqp::decode(&records[0].1).unwrap();
    let second = amqp::decode(&records[1].1).unwrap();
    assert_eq!(first.data().unwrap(), br#"{"type":"OrderCreated","n":1}"#);
    assert_eq!(second.data().unwrap(), [0, 255, 254]);
    assert_eq!(first.creation_time(), Some(1_795_539_600_000));
    let prop = |m: &Message, name: &str| {
        m.application_properties
            .iter()
            .find(|(k, _)| *k == Value::String(name.into()))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(prop(&first, "trace-id"), Some(Value::String("4a93".into())));
    assert_eq!(prop(&first, "ok"), Some(Value::Bool(true)));
    assert_eq!(prop(&first, "ratio"), Some(Value::Double(0.5)));
    assert_eq!(prop(&first, "attempt"), Some(Value::Int(2)));
    assert_eq!(prop(&second, "raw"), Some(Value::Binary(vec![0, 1])));
    assert_eq!(prop(&second, "big"), Some(Value::Long(1 << 40)));
    assert_eq!(prop(&second, "neg"), Some(Value::Int(-7)));

    // The other way: evt's client publishes, rstream reads.
    let ours = Message {
        message_annotations: vec![(
            Value::Symbol("x-routing-key".into()),
            Value::String("order-9".into()),
        )],
        properties: vec![
            Value::String("evt-1".into()),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Timestamp(1_795_539_600_042),
        ],
        application_properties: vec![
            (Value::String("attempt".into()), Value::Long(3)),
            (Value::String("label".into()), Value::String("grüße".into())),
        ],
        body: Body::Data(vec![b"\x00binary\xff".to_vec()]),
        ..Message::default()
    };
    client.declare_publisher(2, None, &stream).unwrap();
    assert_eq!(
        client.publish(2, &[(1, amqp::encode(&ours))]).unwrap(),
        vec![]
    );
    let consumed = peer("rstream_peer.py", &["consume", &port, &stream, "3"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&consumed.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let theirs = &lines[2];
    assert_eq!(theirs["offset"], 2);
    assert_eq!(theirs["body"], hex(b"\x00binary\xff"));
    assert_eq!(theirs["message_id"], "evt-1");
    assert_eq!(theirs["creation_time"], 1_795_539_600_042i64);
    assert_eq!(theirs["routing_key"], "order-9");
    assert_eq!(theirs["application_properties"]["attempt"][1], 3);
    // pyamqp hands strings over as bytes, like binaries: their UTF-8.
    assert_eq!(
        theirs["application_properties"]["label"][1],
        hex("grüße".as_bytes())
    );
    client.delete(&stream).unwrap();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs evt against the test node.
fn evt_on_streams(args: &[&str]) -> Run {
    let mut command = evt_command();
    command.arg("-b").arg(&rabbit().address).args(args);
    run(command)
}

/// What other clients batch (sub-entries, gzip-compressed or not) evt reads message by
/// message, each with its own offset, in order.
#[test]
fn compressed_sub_entry_batches_from_another_client_are_read_message_by_message() {
    let stream = unique_topic("rabbit-batched");
    let mut client = connect();
    client.create(&stream, &[]).unwrap();
    let port = rabbit().stream_port.to_string();
    peer("rstream_peer.py", &["batches", &port, &stream]);
    let read = evt_on_streams(&["read", &stream]);
    let events = read.ok().envelopes();
    assert_eq!(events.len(), 14, "{}", read.stdout);
    for (n, e) in events.iter().enumerate() {
        assert_eq!(e["offset"], n as i64);
        assert_eq!(e["value"]["n"], n as i64, "{e}");
    }
    // A window that starts inside a compressed batch.
    let window = evt_on_streams(&["read", &stream, "--from", "5", "--until", "10"]);
    let offsets: Vec<i64> = window
        .ok()
        .positions()
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert_eq!(offsets, [5, 6, 7, 8, 9]);
}

/// Typed application properties read as text with their types recorded, and a replay into
/// another stream writes the very same AMQP values back (plus the provenance).
#[test]
fn typed_properties_survive_a_replay_between_streams() {
    use evt::broker::rabbit::amqp::{self, Body, Message, Value};
    use evt::broker::rabbit::client::Start;
    let s = |t: &str| Value::String(t.into());
    let properties = vec![
        (s("text"), s("OrderCreated")),
        (s("count"), Value::Long(-42)),
        (s("big"), Value::Ulong(u64::MAX)),
        (s("ratio"), Value::Double(0.1)),
        (s("ok"), Value::Bool(false)),
        (s("raw"), Value::Binary(vec![0, 255])),
        (s("at"), Value::Timestamp(1_767_225_600_123)),
        (s("id"), Value::Uuid(*b"0123456789abcdef")),
        (s("tags"), Value::List(vec![s("a"), Value::Int(2)])),
        (s("none"), Value::Null),
    ];
    let original = Message {
        properties: vec![s("m-1"), Value::Null, Value::Null, s("subject-1")],
        application_properties: properties.clone(),
        body: Body::Value(s("a text body")),
        ..Message::default()
    };
    let source = unique_topic("rabbit-typed");
    let mut client = connect();
    client.create(&source, &[]).unwrap();
    client.declare_publisher(0, None, &source).unwrap();
    assert_eq!(
        client.publish(0, &[(1, amqp::encode(&original))]).unwrap(),
        vec![]
    );
    let read = evt_on_streams(&["read", &source]);
    let event = parse_envelope(read.ok().stdout.trim()).unwrap();
    let header = |name: &str| {
        let h = event.headers.iter().find(|h| h.name == name).unwrap();
        h.value
            .clone()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    };
    assert_eq!(header("count").as_deref(), Some("-42"));
    assert_eq!(header("big").as_deref(), Some("18446744073709551615"));
    assert_eq!(header("at").as_deref(), Some("2026-01-01T00:00:00.123Z"));
    assert_eq!(header("amqp:subject").as_deref(), Some("subject-1"));
    assert_eq!(header("none"), None);
    assert_eq!(event.value.as_deref(), Some(&b"a text body"[..]));
    assert_eq!(event.timestamp_type, evt::event::TimestampType::LogAppend);

    let target = unique_topic("rabbit-typed-copy");
    evt_on_streams(&["replay", &source, "--to", &target]).ok();
    let mut reader = connect();
    reader.subscribe(0, &target, Start::First, 1).unwrap();
    let chunk = reader.next_chunk().unwrap().expect("the copy");
    let copy = amqp::decode(&chunk.records[0].1).unwrap();
    let mut expected = properties;
    expected.push((s("evt-source"), s(&format!("{source}/0/0"))));
    assert_eq!(copy.application_properties, expected);
    assert_eq!(copy.body, original.body);
    assert_eq!(&copy.properties[..4], &original.properties[..]);
    assert_eq!(
        copy.creation_time(),
        event.timestamp,
        "the copy keeps the event's time as its creation time"
    );
}

/// `topics` and `describe` name streams (the protocol cannot list them); `lag` reads the
/// offset a consumer stored under its reference name.
#[test]
fn topics_describe_and_lag_work_on_named_streams() {
    let stream = unique_topic("rabbit-lag");
    let mut client = connect();
    client.create(&stream, &[]).unwrap();
    publish_bodies(
        &stream,
        (1..=10).map(|n| format!("{{\"n\":{n}}}").into_bytes()),
        10,
    );
    // The consumer "billing" processed offsets 0..=3.
    client.store_offset("billing", &stream, 3).unwrap();
    wait_until(
        "the stored offset",
        || client.query_offset("billing", &stream).unwrap() == Some(3),
        String::new,
    );

    let topics = evt_on_streams(&["topics", &stream, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&topics.ok().stdout).unwrap();
    assert_eq!(report["topics"][0]["name"], stream.as_str());
    assert_eq!(report["topics"][0]["events"], 10);
    let describe = evt_on_streams(&["describe", &stream, "--format", "json"]);
    let described: serde_json::Value = serde_json::from_str(&describe.ok().stdout).unwrap();
    let partition = &described["topics"][0]["partitions"][0];
    assert_eq!(
        (partition["low"].as_i64(), partition["high"].as_i64()),
        (Some(0), Some(10)),
        "{described}"
    );

    let lag = evt_on_streams(&["lag", "billing", "--topic", &stream, "--format", "json"]);
    let lagged: serde_json::Value = serde_json::from_str(&lag.ok().stdout).unwrap();
    let group = &lagged["groups"][0];
    assert_eq!(group["group"], "billing", "{lagged}");
    assert_eq!(group["partitions"][0]["committed"], 4, "{lagged}");
    assert_eq!(group["partitions"][0]["lag"], 6, "{lagged}");
    let over = evt_on_streams(&["lag", "billing", "--topic", &stream, "--max-lag", "5"]);
    over.expect_code(1);

    // Listing is impossible: said so, with the way that works.
    let listing = evt_on_streams(&["topics"]);
    listing.expect_code(2);
    assert!(
        listing
            .stderr
            .contains("cannot list streams; name the streams"),
        "{}",
        listing.stderr
    );
    let unnamed = evt_on_streams(&["lag", "billing"]);
    unnamed.expect_code(2);
    assert!(unnamed.stderr.contains("--topic"), "{}", unnamed.stderr);
}

/// validate and stats run on a stream as on a topic.
#[test]
fn validate_and_stats_read_streams() {
    let stream = unique_topic("rabbit-validate");
    let mut client = connect();
    client.create(&stream, &[]).unwrap();
    let bodies = (1..=6).map(|n| {
        if n == 4 {
            r#"{"id":"four"}"#.to_string().into_bytes()
        } else {
            format!(r#"{{"id":{n}}}"#).into_bytes()
        }
    });
    publish_bodies(&stream, bodies, 6);
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("order.json");
    std::fs::write(
        &schema,
        r#"{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}"#,
    )
    .unwrap();
    let validate = evt_on_streams(&["validate", &stream, "--schema", schema.to_str().unwrap()]);
    validate.expect_code(1);
    let all = format!("{}{}", validate.stdout, validate.stderr);
    assert!(all.contains(&format!("{stream}/0@3")), "{all}");
    let stats = evt_on_streams(&["stats", &stream, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stats.ok().stdout).unwrap();
    assert_eq!(report["events"], 6, "{report}");
}

/// A tail on a node that goes away says so, keeps trying, and once the node is back goes on
/// from the next offset: nothing printed twice, nothing missed.
#[test]
fn a_tail_survives_a_broker_restart() {
    let dir = tempfile::Builder::new()
        .prefix("evt-rabbit-restart-")
        .tempdir()
        .unwrap();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let mut pid = start_node(dir.path(), &ports);
    struct Stop(i32);
    impl Drop for Stop {
        fn drop(&mut self) {
            stop_node(self.0);
        }
    }
    let address = format!("rabbitmq-stream://guest:guest@127.0.0.1:{}/%2f", ports[1]);
    let parsed = Address::parse(&address).unwrap();
    let stream = unique_topic("rabbit-restart");
    let publish = |from: u64, to: u64| {
        use evt::broker::rabbit::amqp::{encode, Body, Message};
        let mut client = Client::connect(&parsed, DEADLINE).unwrap();
        client.declare_publisher(0, None, &stream).unwrap();
        let batch: Vec<(u64, Vec<u8>)> = (from..to)
            .map(|n| {
                let m = Message {
                    body: Body::Data(vec![format!("{{\"n\":{n}}}").into_bytes()]),
                    ..Message::default()
                };
                (n + 1, encode(&m))
            })
            .collect();
        assert_eq!(client.publish(0, &batch).unwrap(), vec![]);
        client.close();
    };
    let mut client = Client::connect(&parsed, DEADLINE).unwrap();
    client.create(&stream, &[]).unwrap();
    client.close();
    publish(0, 3);
    let mut command = evt_command();
    command.args([
        "-b",
        &address,
        "tail",
        &stream,
        "--format",
        "value",
        "--timeout",
        "3s",
    ]);
    let tail = Spawned::start(command);
    std::thread::sleep(Duration::from_millis(1500));
    publish(3, 4);
    assert_eq!(tail.line(DEADLINE), r#"{"n":3}"#);

    stop_node(pid);
    let mut tail = tail;
    tail.wait_for_stderr("lost the broker", DEADLINE);
    pid = start_node(dir.path(), &ports);
    let _stop = Stop(pid);
    tail.wait_for_stderr("the broker is back", DEADLINE);
    publish(4, 6);
    assert_eq!(tail.line(DEADLINE), r#"{"n":4}"#);
    assert_eq!(tail.line(DEADLINE), r#"{"n":5}"#);
    tail.interrupt();
    let (code, rest, stderr) = tail.wait_with_rest(DEADLINE);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(rest.is_empty(), "nothing printed twice: {rest:?}");
    assert!(!stderr.contains("guest:guest"), "{stderr}");
}

/// A message an application publishes with AMQP 0.9.1 through an exchange: RabbitMQ keeps its
/// routing key (evt's key), its exchange, its headers (typed) and its timestamp, which 0.9.1
/// gives in seconds and the stream holds in milliseconds.
#[test]
fn a_message_published_through_an_exchange_keeps_its_routing_key_and_time() {
    let stream = unique_topic("rabbit-amqp091");
    let port = rabbit().amqp_port.to_string();
    peer("amqp091_peer.py", &[&port, &stream]);
    let read = evt_on_streams(&["read", &stream]);
    let event = parse_envelope(read.ok().stdout.trim()).unwrap();
    assert_eq!(event.key.as_deref(), Some(&b"order-7"[..]));
    assert_eq!(event.value.as_deref(), Some(&br#"{"id":7}"#[..]));
    assert_eq!(event.timestamp, Some(1_767_225_600_000), "seconds → ms");
    assert_eq!(event.timestamp_type, evt::event::TimestampType::Create);
    let header = |name: &str| {
        event
            .headers
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.value.clone())
            .map(|v| String::from_utf8(v).unwrap())
    };
    assert_eq!(header("attempt").as_deref(), Some("3"));
    assert_eq!(header("tenant").as_deref(), Some("eu"));
    assert_eq!(header("amqp:x-exchange").as_deref(), Some("orders-x"));
    assert_eq!(header("amqp:message-id").as_deref(), Some("m-1"));
    assert_eq!(header("amqp:correlation-id").as_deref(), Some("c-9"));
    // Filters see the key and the headers as text.
    let keyed = evt_on_streams(&["read", &stream, "--key", "order-7", "--header", "attempt=3"]);
    assert_eq!(keyed.ok().envelopes().len(), 1);
}

/// Publishes `n` small JSON messages (`{"n":i}` from `from`) to `stream` in frames of `per`,
/// so the stream holds them in several chunks.
fn publish_numbers(stream: &str, from: u64, n: u64, per: usize) {
    let bodies = (from..from + n).map(|i| format!("{{\"n\":{i}}}").into_bytes());
    publish_bodies(stream, bodies, per);
}

/// Publishes one data-section message per body to `stream`, in frames of `per`, and waits
/// until every one is confirmed.
fn publish_bodies(stream: &str, bodies: impl IntoIterator<Item = Vec<u8>>, per: usize) {
    use evt::broker::rabbit::amqp::{encode, Body, Message};
    let mut client = connect();
    client.declare_publisher(0, None, stream).unwrap();
    let messages: Vec<(u64, Vec<u8>)> = (1u64..)
        .zip(bodies)
        .map(|(id, body)| {
            let m = Message {
                body: Body::Data(vec![body]),
                ..Message::default()
            };
            (id, encode(&m))
        })
        .collect();
    for frame in messages.chunks(per) {
        assert_eq!(client.publish(0, frame).unwrap(), vec![]);
    }
    client.close();
}

/// Runs a Python peer from `tests/peers` (bounded by [`DEADLINE`]) and fails the test with
/// what it said when it does not succeed.
fn peer(script: &str, args: &[&str]) -> std::process::Output {
    let path = format!("{}/tests/peers/{script}", env!("CARGO_MANIFEST_DIR"));
    let limit = DEADLINE.as_secs().to_string();
    let ran = Command::new("timeout")
        .args([limit.as_str(), "python3", &path])
        .args(args)
        .output()
        .expect("python3 runs (scripts/setup installs the Python peers)");
    assert!(
        ran.status.success(),
        "{script} {args:?}: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    ran
}

/// A window whose ends fall inside chunks of a stream written in many chunks: exactly its
/// events, in order, every credit given back on the way.
#[test]
fn a_window_across_many_chunks_is_exact() {
    let stream = unique_topic("rabbit-chunks");
    let mut client = connect();
    client.create(&stream, &[]).unwrap();
    client.close();
    publish_numbers(&stream, 0, 3_000, 70);
    let read = evt_on_streams(&[
        "read", &stream, "--from", "155", "--until", "2845", "--format", "value",
    ]);
    let values: Vec<String> = read.ok().stdout.lines().map(str::to_string).collect();
    let expected: Vec<String> = (155..2_845).map(|i| format!("{{\"n\":{i}}}")).collect();
    assert_eq!(values.len(), expected.len());
    assert_eq!(values, expected);
}

/// Each replay run publishes under its own name: replaying a later window and then an earlier
/// one writes both, and replaying the same window again (a new run, `--append`) writes it
/// again, as on Kafka; only a resume of the same run is deduplicated.
#[test]
fn every_new_replay_run_writes_its_events() {
    let source = unique_topic("rabbit-runs");
    let target = unique_topic("rabbit-runs-copy");
    let mut client = connect();
    client.create(&source, &[]).unwrap();
    client.close();
    publish_numbers(&source, 0, 100, 100);
    evt_on_streams(&["replay", &source, "--to", &target, "--from", "50"]).ok();
    evt_on_streams(&[
        "replay", &source, "--to", &target, "--until", "50", "--append",
    ])
    .ok();
    let copied = evt_on_streams(&["read", &target, "--format", "value"]);
    assert_eq!(
        copied.ok().stdout.lines().count(),
        100,
        "the earlier window too"
    );
    let again = evt_on_streams(&["replay", &source, "--to", &target, "--append"]);
    again.ok();
    assert!(
        !again.stderr.contains("in the stream already"),
        "{}",
        again.stderr
    );
    let copied = evt_on_streams(&["read", &target, "--format", "value"]);
    assert_eq!(copied.ok().stdout.lines().count(), 200);
}

/// A stream deleted while it is followed: a clear error (exit 3), not a silent wait.
#[test]
fn a_tail_on_a_deleted_stream_says_so() {
    let stream = unique_topic("rabbit-deleted");
    let mut client = connect();
    client.create(&stream, &[]).unwrap();
    let mut command = evt_command();
    command.args(["-b", &rabbit().address, "tail", &stream]);
    let tail = Spawned::start(command);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(client.delete(&stream).unwrap());
    client.close();
    let (code, stderr) = tail.wait_with_stderr(DEADLINE);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("stream does not exist"), "{stderr}");
}

/// A password in any URL-like address is never printed, also in a replay target's or the
/// other side of a diff, also when the address is not a RabbitMQ one (a typo in the scheme).
#[test]
fn passwords_in_other_addresses_are_never_printed() {
    let closed = free_port();
    for target in [
        format!("rabbitmq-stream://app:pw-one-4711@127.0.0.1:{closed}/"),
        format!("rabbitmq-streams://app:pw-two-4711@127.0.0.1:{closed}/"),
    ] {
        let mut command = evt_command();
        command.args([
            "-b",
            &rabbit().address,
            "--timeout",
            "2s",
            "replay",
            "anything",
            "--to",
            "copy",
        ]);
        command.args(["--to-brokers", &target]);
        let ran = run(command);
        assert_ne!(ran.status, Some(0));
        assert!(!ran.stderr.contains("-4711"), "{}", ran.stderr);
        let mut command = evt_command();
        command.args(["-b", &rabbit().address, "--timeout", "2s", "diff", "a", "b"]);
        command.args(["--right-brokers", &target]);
        let ran = run(command);
        assert_ne!(ran.status, Some(0));
        assert!(!ran.stderr.contains("-4711"), "{}", ran.stderr);
    }
}
