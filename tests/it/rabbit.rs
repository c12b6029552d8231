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
    _dir: tempfile::TempDir,
}

pub fn rabbit() -> &'static Rabbit {
    static RABBIT: OnceLock<Rabbit> = OnceLock::new();
    RABBIT.get_or_init(start_rabbit)
}

static NODE_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

fn start_rabbit() -> Rabbit {
    let dir = tempfile::Builder::new()
        .prefix("evt-rabbit-")
        .tempdir()
        .expect("a temporary directory");
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/rabbitmq-node");
    let mut command = Command::new(script);
    command
        .arg(dir.path())
        .args(ports.iter().map(u16::to_string))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = spawn_for_life(command, libc::SIGTERM)
        .unwrap_or_else(|e| panic!("cannot start {script}: {e} (scripts/setup installs RabbitMQ)"));
    NODE_PID.store(child, std::sync::atomic::Ordering::SeqCst);
    extern "C" fn stop_node() {
        let pid = NODE_PID.load(std::sync::atomic::Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) and waitpid(2) on the script this process started.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
    // SAFETY: atexit(3) with a function that only signals and waits for a child.
    unsafe {
        libc::atexit(stop_node);
    }
    let stream_port = ports[1];
    let log_dir = dir.path().join("log");
    let started = || {
        std::fs::read_dir(&log_dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|f| {
                std::fs::read_to_string(f.path())
                    .is_ok_and(|t| t.contains("Server startup complete"))
            })
    };
    let context = || {
        format!(
            "RabbitMQ did not start (is it installed? scripts/setup installs it):\n{}",
            std::fs::read_to_string(dir.path().join("server.out")).unwrap_or_default()
        )
    };
    wait_until_for(
        "RabbitMQ's stream listener",
        Duration::from_secs(120),
        || started() && std::net::TcpStream::connect(("127.0.0.1", stream_port)).is_ok(),
        context,
    );
    Rabbit {
        address: format!("rabbitmq-stream://guest:guest@127.0.0.1:{stream_port}/%2f"),
        stream_port,
        _dir: dir,
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

/// A RabbitMQ address on the command line selects that family: until evt reads streams, a
/// clear one-line error at once (exit 2), and the password never printed.
#[test]
fn a_stream_address_is_recognised_and_its_password_never_printed() {
    let mut command = evt_command();
    command.args([
        "-b",
        "rabbitmq-stream://app:s3cret-pass-99@127.0.0.1:5552/%2fprod",
        "topics",
    ]);
    let refused = run(command);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains(
            "rabbitmq-stream://app@127.0.0.1:5552/%2fprod: RabbitMQ Streams are not readable"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        !refused.stderr.contains("s3cret-pass-99"),
        "{}",
        refused.stderr
    );
    assert!(!refused.stdout.contains("s3cret-pass-99"));
}
