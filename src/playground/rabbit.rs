//! `evt playground --with-rabbitmq`: a private RabbitMQ node next to the embedded Kafka
//! cluster, and a mirror that copies every demo topic into a stream of the same name (the
//! history in time order, then live events as they come), so the same questions can be asked
//! of RabbitMQ Streams.
//!
//! The node is RabbitMQ as installed (Debian's `rabbitmq-server`), run by the same script the
//! tests use (`scripts/rabbitmq-node`, built into evt): its own directory and free ports,
//! nothing shared with a system node. It stops with the playground.

use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::broker::{self, Broker, Connection, Plan, ReadOptions, Tag};
use crate::error::EvtError;
use crate::feed::Next;
use crate::position::Window;
use crate::stop::Stop;

const SCRIPT: &str = include_str!("../../scripts/rabbitmq-node");
const SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
/// How long a node may take to start.
const STARTUP: Duration = Duration::from_secs(120);

/// A private RabbitMQ node, stopped (and its directory removed) when dropped.
pub struct Node {
    child: Child,
    dir: PathBuf,
    /// `rabbitmq-stream://guest:guest@127.0.0.1:PORT/%2f`.
    pub address: String,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Node {
    /// Starts a node and waits until its stream listener accepts connections; Ctrl-C
    /// (`stop`) ends the wait.
    pub fn start(stop: &Stop) -> anyhow::Result<Node> {
        if !std::path::Path::new(SERVER).exists() {
            return Err(EvtError::usage(
                "--with-rabbitmq needs RabbitMQ installed (Debian and Ubuntu: apt install rabbitmq-server; evt's scripts/setup installs it)",
            ));
        }
        let dir =
            std::env::temp_dir().join(format!("evt-playground-rabbitmq-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| EvtError::usage(format!("cannot create {}: {e}", dir.display())))?;
        let script = dir.join("rabbitmq-node");
        std::fs::write(&script, SCRIPT)
            .map_err(|e| EvtError::usage(format!("cannot write {}: {e}", script.display())))?;
        let ports = [free_port()?, free_port()?, free_port()?, free_port()?];
        let node_dir = dir.join("node");
        let log = std::fs::File::create(dir.join("node.log"))?;
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .arg(&node_dir)
            .args(ports.iter().map(u16::to_string))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: prctl is async-signal-safe: the node stops even if evt is killed.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| EvtError::usage(format!("cannot start RabbitMQ: {e}")))?;
        let mut node = Node {
            child,
            dir,
            address: format!("rabbitmq-stream://guest:guest@127.0.0.1:{}/%2f", ports[1]),
        };
        let started = Instant::now();
        loop {
            if stop.interrupted() {
                return Err(EvtError::broker("interrupted while RabbitMQ was starting"));
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                let said = std::fs::read_to_string(node.dir.join("node.log")).unwrap_or_default();
                let server =
                    std::fs::read_to_string(node_dir.join("server.out")).unwrap_or_default();
                let last = said
                    .lines()
                    .chain(server.lines())
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("no message")
                    .to_string();
                return Err(EvtError::broker(format!(
                    "RabbitMQ stopped while starting ({status}): {}",
                    crate::safe::text(&last)
                )));
            }
            if node.ready(&node_dir, ports[1]) {
                return Ok(node);
            }
            if started.elapsed() > STARTUP {
                return Err(EvtError::broker(format!(
                    "RabbitMQ did not start within {}s; its logs are in {}",
                    STARTUP.as_secs(),
                    node_dir.join("log").display()
                )));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn ready(&self, node_dir: &std::path::Path, port: u16) -> bool {
        let logged = std::fs::read_dir(node_dir.join("log"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|f| {
                std::fs::read_to_string(f.path())
                    .is_ok_and(|t| t.contains("Server startup complete"))
            });
        logged && TcpStream::connect(("127.0.0.1", port)).is_ok()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the node script this process started.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if !matches!(self.child.try_wait(), Ok(None)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Copies `topics` of the Kafka playground into streams of the same names until `stop`:
/// the history merged by time, then live events as they arrive. Returns the thread, and a
/// channel that says when the history is in the streams (how many events) or why the copy
/// failed; a failure later is said on stderr (the playground goes on without the copy).
pub fn mirror(
    kafka: Connection,
    streams: Connection,
    topics: Vec<String>,
    stop: Stop,
) -> (JoinHandle<()>, Receiver<Result<u64, String>>) {
    let (done, history) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let said = done.clone();
        if let Err(e) = copy_all(&kafka, &streams, &topics, &stop, done) {
            if said.send(Err(format!("{e:#}"))).is_err() && !stop.is_set() {
                eprintln!("evt playground: the copy into RabbitMQ stopped: {e:#}");
            }
        }
    });
    (thread, history)
}

fn copy_all(
    kafka: &Connection,
    streams: &Connection,
    topics: &[String],
    stop: &Stop,
    history_done: Sender<Result<u64, String>>,
) -> anyhow::Result<()> {
    let source = broker::connect(kafka)?;
    let target = broker::connect(streams)?;
    for topic in topics {
        target.create_topic(topic, 1)?;
    }
    let chosen: Vec<_> = source
        .find(topics)?
        .into_iter()
        .map(|t| {
            let partitions = t.partitions.clone();
            (t, partitions)
        })
        .collect();
    let history = source.plan(&chosen, &Window::everything(), true)?;
    let mut live = history.clone();
    for p in &mut live.partitions {
        p.start = p.end.unwrap_or(p.high);
        p.end = None;
    }
    let writer = target.writer(stop)?;
    let copied = copy(&*source, history, true, &*writer, stop)?;
    // Once said, the receiver is gone: later failures go to stderr.
    history_done.send(Ok(copied)).ok();
    drop(history_done);
    copy(&*source, live, false, &*writer, stop).map(drop)
}

/// Copies what `plan` reads into the streams of the same names; how many events.
fn copy(
    source: &dyn Broker,
    plan: Plan,
    by_time: bool,
    writer: &dyn broker::Writer,
    stop: &Stop,
) -> anyhow::Result<u64> {
    let mut reader = source.read(
        plan,
        ReadOptions {
            merge_by_time: by_time,
            stop: stop.child(),
            discover_partitions: false,
            deadline_ms: None,
            stall_timeout: Duration::from_secs(30),
            headers: true,
        },
    )?;
    let mut copied = 0;
    loop {
        if stop.is_set() {
            break;
        }
        match reader.next(Duration::from_millis(100)) {
            Next::Batch(batch) => {
                for event in batch.into_iter().flatten() {
                    let topic = event.topic.clone().unwrap_or_default();
                    let tag = Tag {
                        lane: 0,
                        offset: event.offset.unwrap_or_default(),
                    };
                    writer.send(&topic, None, &event, None, tag)?;
                    copied += 1;
                }
                fail_on_refusal(writer.poll(Duration::ZERO))?;
            }
            Next::Idle => fail_on_refusal(writer.poll(Duration::ZERO))?,
            Next::Ended => break,
        }
    }
    reader.close()?;
    fail_on_refusal(writer.flush(stop))?;
    Ok(copied)
}

fn fail_on_refusal(deliveries: Vec<broker::Delivery>) -> anyhow::Result<()> {
    match deliveries.into_iter().find_map(|d| d.outcome.err()) {
        Some(failure) => Err(EvtError::broker(format!(
            "RabbitMQ refused an event: {failure}"
        ))),
        None => Ok(()),
    }
}
