//! Test harness: one real tansu broker per test binary, unique topics, seeding through
//! rdkafka with keys, headers and explicit timestamps, and the evt binary run against it.
//!
//! Every wait here is bounded by [`DEADLINE`]: a command or a broker that hangs fails its
//! test with what it printed instead of hanging CI. evt runs in a private temporary
//! directory ([`workdir`]), so files it writes next to itself (replay checkpoints) never land
//! in the repository.

#![allow(dead_code)]

use std::io::{BufRead, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

/// The one limit for every wait in the tests: a command to exit, a line or a message to
/// appear, a file to be written, the broker to start, records to be acknowledged. Generous on
/// purpose: a test that needs it has already failed.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// How often the harness looks again at something it waits for.
const POLL: Duration = Duration::from_millis(20);

/// Waits until `done` holds, or fails naming `what` (and `context()`) after [`DEADLINE`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not within {DEADLINE:?}\n{}",
            context()
        );
        std::thread::sleep(POLL);
    }
}

/// Like [`wait_until`], with its own limit (a broker that starts slowly).
pub fn wait_until_for(
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
    context: impl Fn() -> String,
) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "{what}: not within {limit:?}\n{}",
            context()
        );
        std::thread::sleep(POLL);
    }
}

/// Starts `command` so that it receives `signal` when the test process ends (forked from a
/// thread that lives as long as the process, which the death signal follows); its pid.
pub fn spawn_for_life(mut command: Command, signal: i32) -> std::io::Result<i32> {
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, signal);
            Ok(())
        });
    }
    let (tx, rx) = std::sync::mpsc::channel::<std::io::Result<i32>>();
    std::thread::spawn(move || match command.spawn() {
        Ok(child) => {
            tx.send(Ok(i32::try_from(child.id()).unwrap_or(0))).ok();
            // The thread stays (its death would signal the child); the child is reaped by
            // whoever stops it.
            loop {
                std::thread::park();
            }
        }
        Err(e) => {
            tx.send(Err(e)).ok();
        }
    });
    rx.recv().expect("the spawning thread answers")
}

pub struct Broker {
    pub addr: String,
    /// Holds tansu's sqlite file and log (tansu.log) for as long as the tests run.
    pub dir: PathBuf,
}

/// The broker shared by every test in this binary, started on first use.
pub fn broker() -> &'static Broker {
    static BROKER: OnceLock<Broker> = OnceLock::new();
    BROKER.get_or_init(start_tansu)
}

fn tansu_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("tansu"))
                .find(|f| f.is_file())
        })
        .unwrap_or_default();
    let in_cargo = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tansu"));
    on_path
        .or(in_cargo.filter(|f| f.is_file()))
        .unwrap_or_else(|| {
            panic!("tansu is not installed: run scripts/test, which installs it (cargo install tansu --version 0.6.0 --features libsql)")
        })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn start_tansu() -> Broker {
    let binary = tansu_binary();
    let dir = lasting_dir("evt-tansu-");
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("tansu.log")).expect("a log file");
    let mut command = Command::new(&binary);
    command
        .args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
        ])
        .args(["--storage-engine", "sqlite://tansu.db"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log);
    // SAFETY: prctl is async-signal-safe; it makes the broker die with the test process.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    // The death signal follows the thread that forked, so fork from one that never ends.
    let (tx, rx) = std::sync::mpsc::channel::<std::io::Result<u32>>();
    std::thread::spawn(move || match command.spawn() {
        Ok(mut child) => {
            tx.send(Ok(child.id())).ok();
            // Reaps the broker if it dies early; otherwise it lives as long as the tests.
            child.wait().ok();
        }
        Err(e) => {
            tx.send(Err(e)).ok();
        }
    });
    rx.recv()
        .expect("the spawning thread answers")
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let addr = format!("127.0.0.1:{port}");
    let log = dir.join("tansu.log");
    let tail = || std::fs::read_to_string(&log).unwrap_or_default();
    wait_until(
        &format!("tansu listening on {addr}"),
        || TcpStream::connect(&addr).is_ok(),
        tail,
    );
    index_headers(&dir.join("tansu.db"));
    Broker { addr, dir }
}

/// tansu 0.6's sqlite schema has no index on `header` by record, so every fetch scans the
/// headers of the whole topic: with a few headers per record, reads slow down quadratically
/// (5,000 records with 3 headers each: 7-10 s to read; 0.4-0.7 s with this index). Creates
/// it once tansu has created its schema, with the sqlite3 command-line shell.
fn index_headers(db: &Path) {
    let sqlite = |sql: &str| {
        Command::new("sqlite3")
            .args(["-batch", "-cmd", ".timeout 10000"])
            .arg(db)
            .arg(sql)
            .stdin(Stdio::null())
            .output()
    };
    let schema = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).trim() == "1";
    let exists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'header'";
    match sqlite(exists) {
        Err(e) => {
            eprintln!(
                "harness: cannot run sqlite3 ({e}): tansu's header table stays unindexed and \
                 reads of records with headers get slow; scripts/setup installs sqlite3"
            );
            return;
        }
        Ok(o) if schema(&o) => {}
        Ok(_) => wait_until(
            "tansu's sqlite schema (table header)",
            || sqlite(exists).is_ok_and(|o| schema(&o)),
            || db.display().to_string(),
        ),
    }
    let created =
        sqlite("CREATE INDEX IF NOT EXISTS header_topition_offset ON header (topition, offset_id)")
            .expect("sqlite3 runs");
    assert!(
        created.status.success(),
        "indexing tansu's header table: {}",
        String::from_utf8_lossy(&created.stderr)
    );
}

/// Parses one envelope line evt printed (its origin: line 1 of stdout).
pub fn parse_envelope(line: &str) -> Result<evt::event::Event, evt::event::EnvelopeError> {
    let origin = evt::event::Origin::Line {
        file: std::sync::Arc::from("stdout"),
        line: 1,
    };
    evt::event::Event::from_envelope(line, origin)
}

/// A temporary directory for something that lives as long as the test process (a shared
/// broker's data): removed when the process exits (statics are never dropped, so a
/// `TempDir` in one would stay behind).
pub fn lasting_dir(prefix: &str) -> PathBuf {
    static DIRS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    extern "C" fn remove_dirs() {
        if let Ok(dirs) = DIRS.lock() {
            for dir in dirs.iter() {
                std::fs::remove_dir_all(dir).ok();
            }
        }
    }
    // SAFETY: atexit(3) with a function that only removes directories. Registered before any
    // broker's own exit handler, so it runs after them (in reverse order): brokers stop first.
    REGISTERED.call_once(|| unsafe {
        libc::atexit(remove_dirs);
    });
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("a temporary directory")
        .keep();
    DIRS.lock().expect("the directory list").push(dir.clone());
    dir
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A topic name no other test uses.
pub fn unique_topic(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Creates a topic with `partitions` partitions and waits until its metadata is visible.
pub fn create_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &broker().addr)
        .create()
        .expect("an admin client");
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let results = runtime()
        .block_on(admin.create_topics([&topic], &AdminOptions::new()))
        .expect("create_topics answered");
    for r in results {
        r.unwrap_or_else(|(t, e)| panic!("creating {t}: {e}"));
    }
}

/// A record to seed.
#[derive(Clone, Debug)]
pub struct Record {
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub timestamp: i64,
}

impl Record {
    pub fn json(partition: i32, key: &str, value: &str, timestamp: i64) -> Record {
        Record {
            partition,
            key: Some(key.as_bytes().to_vec()),
            value: Some(value.as_bytes().to_vec()),
            headers: vec![],
            timestamp,
        }
    }
}

pub fn producer() -> BaseProducer {
    ClientConfig::new()
        .set("bootstrap.servers", &broker().addr)
        .set("linger.ms", "5")
        .create()
        .expect("a producer")
}

/// Produces the records in order and waits until every one is acknowledged.
pub fn produce(topic: &str, records: &[Record]) {
    let producer = producer();
    for r in records {
        let mut headers = OwnedHeaders::new();
        for (name, value) in &r.headers {
            headers = headers.insert(rdkafka::message::Header {
                key: name,
                value: value.as_deref(),
            });
        }
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic)
            .partition(r.partition)
            .timestamp(r.timestamp)
            .headers(headers);
        if let Some(k) = &r.key {
            record = record.key(k.as_slice());
        }
        if let Some(v) = &r.value {
            record = record.payload(v.as_slice());
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((e, back)) => {
                    assert!(
                        matches!(
                            e,
                            rdkafka::error::KafkaError::MessageProduction(
                                rdkafka::types::RDKafkaErrorCode::QueueFull
                            )
                        ),
                        "produce failed: {e}"
                    );
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
            }
        }
    }
    producer.flush(DEADLINE).expect("every record acknowledged");
}

/// What one evt run printed and how it exited.
pub struct Run {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    fn describe(&self) -> String {
        format!(
            "exit {:?} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.elapsed, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code, showing everything evt printed when it differs.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.status, Some(code), "{}", self.describe());
        self
    }

    pub fn ok(&self) -> &Run {
        self.expect_code(0)
    }

    /// Every stdout line parsed as a JSON envelope.
    pub fn envelopes(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{}", self.describe()))
            })
            .collect()
    }

    /// The key of every envelope, in printed order.
    pub fn keys(&self) -> Vec<String> {
        self.envelopes()
            .iter()
            .map(|e| e["key"].as_str().unwrap().to_string())
            .collect()
    }

    /// (partition, offset) of every envelope, in printed order.
    pub fn positions(&self) -> Vec<(i64, i64)> {
        self.envelopes()
            .iter()
            .map(|e| {
                (
                    e["partition"].as_i64().unwrap(),
                    e["offset"].as_i64().unwrap(),
                )
            })
            .collect()
    }
}

/// The directory every evt the tests start runs in: private to this test process, removed
/// when it exits, so default-placed files (`.evt-replay-*.json`) never reach the repository.
pub fn workdir() -> &'static Path {
    WORKDIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("evt-it-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        extern "C" fn remove_workdir() {
            if let Some(dir) = WORKDIR.get() {
                std::fs::remove_dir_all(dir).ok();
            }
        }
        // SAFETY: atexit(3) with a function that only removes a directory.
        unsafe {
            libc::atexit(remove_workdir);
        }
        dir
    })
}

static WORKDIR: OnceLock<PathBuf> = OnceLock::new();

/// The evt binary with a clean environment (no profile, no colour settings, no EVT_*),
/// running in [`workdir`].
pub fn evt_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_evt"));
    command.current_dir(workdir());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().to_string();
        if key.starts_with("EVT_") || key == "NO_COLOR" {
            command.env_remove(&key);
        }
    }
    command.env("EVT_CONFIG", "/nonexistent/evt-test-config.toml");
    command
}

/// Runs evt against the test broker and waits for it to exit.
pub fn evt(args: &[&str]) -> Run {
    let mut command = evt_command();
    command.arg("-b").arg(&broker().addr).args(args);
    run(command)
}

/// Runs a prepared command to its end. One that is still running after [`DEADLINE`] is
/// killed, and the test fails with everything it printed.
pub fn run(command: Command) -> Run {
    run_limited(command, DEADLINE, None).run
}

/// What a limited run printed: the run, and stdout as raw bytes (escaping checks need them).
pub struct Out {
    pub run: Run,
    pub bytes: Vec<u8>,
}

pub const MIB: u64 = 1 << 20;

/// An address-space cap for an evt run: `base` for the work, plus what evt reserves without
/// using it. mimalloc reserves a 1 GiB arena when the limit leaves room for it; the command
/// thread reserves a 256 MiB stack (`limits::COMMAND_STACK`), input threads 16 MiB each.
/// evt starts under about 700 MiB (mimalloc then reserves less) or with this much, but not
/// in between; a fixed cap would also fail on machines with more cores.
pub fn memory_cap(base: u64) -> u64 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u64);
    base + 1024 * MIB + cores * 128 * MIB
}

/// Caps the address space of the command's process: a runaway allocation fails instead of
/// exhausting the machine.
pub fn cap_memory(command: &mut Command, bytes: u64) {
    // SAFETY: setrlimit is async-signal-safe and only touches the child.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
}

/// Runs a prepared command within `deadline` (at most [`DEADLINE`]), its address space
/// capped at `memory`. A command still running then is killed and the test fails with what
/// it printed.
pub fn run_capped(command: Command, deadline: Duration, memory: u64) -> Out {
    run_limited(command, deadline, Some(memory))
}

pub fn run_limited(mut command: Command, deadline: Duration, memory: Option<u64>) -> Out {
    if let Some(bytes) = memory {
        cap_memory(&mut command, bytes);
    }
    let deadline = deadline.min(DEADLINE);
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let collect = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).ok();
            bytes
        })
    };
    let stdout = collect(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = collect(Box::new(child.stderr.take().expect("piped stderr")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break Some(status);
        }
        if started.elapsed() > deadline {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(POLL);
    };
    let bytes = stdout.join().expect("stdout reader");
    let run = Run {
        status: status.and_then(|s| s.code()),
        stdout: String::from_utf8_lossy(&bytes).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().expect("stderr reader")).into_owned(),
        elapsed: started.elapsed(),
    };
    assert!(
        status.is_some(),
        "{command:?} did not exit within {deadline:?} (killed)\n{}",
        run.describe()
    );
    Out { run, bytes }
}

/// Milliseconds since the epoch for an RFC 3339 time.
pub fn ms(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("a valid time")
        .timestamp_millis()
}

/// A running evt process whose stdout and stderr are collected line by line.
pub struct Spawned {
    child: std::process::Child,
    stdout: std::sync::mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    /// The thread collecting stderr: joined once evt exited, so nothing it printed is missed.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

/// Starts evt against the test broker without waiting for it.
pub fn spawn_evt(args: &[&str]) -> Spawned {
    let mut command = evt_command();
    command.arg("-b").arg(&broker().addr).args(args);
    Spawned::start(command)
}

/// Like [`spawn_evt`], but stdout is read only as fast as the test takes lines (see
/// [`Spawned::start_backpressured`]).
pub fn spawn_evt_backpressured(args: &[&str], lines: usize) -> Spawned {
    let mut command = evt_command();
    command.arg("-b").arg(&broker().addr).args(args);
    Spawned::start_backpressured(command, lines)
}

impl Spawned {
    /// Starts a prepared evt command, collecting its output: every stdout line is read at
    /// once and queued for [`Spawned::line`].
    pub fn start(command: Command) -> Spawned {
        let (tx, rx) = std::sync::mpsc::channel();
        Spawned::start_with(command, rx, move |line| tx.send(line).is_ok())
    }

    /// Starts a prepared evt command whose stdout is read no further than `lines` lines
    /// ahead of the test: once those and the pipe are full, evt blocks writing, as it does
    /// behind a slow terminal.
    pub fn start_backpressured(command: Command, lines: usize) -> Spawned {
        let (tx, rx) = std::sync::mpsc::sync_channel(lines);
        Spawned::start_with(command, rx, move |line| tx.send(line).is_ok())
    }

    fn start_with(
        mut command: Command,
        stdout: std::sync::mpsc::Receiver<String>,
        mut send: impl FnMut(String) -> bool + Send + 'static,
    ) -> Spawned {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let out = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if !send(line) {
                    break;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let err = child.stderr.take().expect("piped stderr");
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                let mut all = sink.lock().expect("stderr buffer");
                all.push_str(&line);
                all.push('\n');
            }
        });
        Spawned {
            child,
            stdout,
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }
}

/// A test that fails half way must not leave evt running.
impl Drop for Spawned {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}

impl Spawned {
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }

    /// Waits until stderr contains `needle` (at most `timeout`, and never past [`DEADLINE`]).
    pub fn wait_for_stderr(&mut self, needle: &str, timeout: Duration) {
        let what = format!("'{needle}' on stderr");
        self.wait_for_within(&what, timeout, |s| s.stderr().contains(needle));
    }

    /// Waits until `done` holds while evt runs; fails if evt exits first or after
    /// [`DEADLINE`]. For waiting on something observable: a file, a line, a message.
    pub fn wait_for(&mut self, what: &str, done: impl FnMut(&Spawned) -> bool) {
        self.wait_for_within(what, DEADLINE, done);
    }

    fn wait_for_within(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Spawned) -> bool,
    ) {
        let deadline = Instant::now() + timeout.min(DEADLINE);
        while !done(self) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("evt exited ({status}) before {what}:\n{}", self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {:?}:\n{}",
                timeout.min(DEADLINE),
                self.stderr()
            );
            std::thread::sleep(POLL);
        }
    }

    /// The next stdout line, waiting up to `timeout`.
    pub fn line(&self, timeout: Duration) -> String {
        self.stdout.recv_timeout(timeout).unwrap_or_else(|_| {
            panic!(
                "no stdout line within {timeout:?}; stderr:\n{}",
                self.stderr()
            )
        })
    }

    /// The next stdout line, or `None` at the end of output or after `timeout`.
    pub fn try_line(&self, timeout: Duration) -> Option<String> {
        self.stdout.recv_timeout(timeout).ok()
    }

    /// Waits for exit like [`Spawned::wait`] and returns all of stderr too.
    pub fn wait_with_stderr(mut self, timeout: Duration) -> (Option<i32>, String) {
        let stderr = self.stderr.clone();
        let reader = self.stderr_reader.take();
        let code = self.wait(timeout);
        // evt has exited, so its stderr is closed and the reader ends with the last line.
        if let Some(reader) = reader {
            reader.join().expect("stderr reader");
        }
        let text = stderr.lock().expect("stderr buffer").clone();
        (code, text)
    }

    /// Waits for exit like [`Spawned::wait_with_stderr`]; also returns the stdout lines the
    /// test had not taken yet.
    pub fn wait_with_rest(mut self, timeout: Duration) -> (Option<i32>, Vec<String>, String) {
        let stdout = std::mem::replace(&mut self.stdout, std::sync::mpsc::channel().1);
        let (code, stderr) = self.wait_with_stderr(timeout);
        // evt has exited: the reader ends at the end of its output, closing the channel.
        let rest = std::iter::from_fn(|| stdout.recv_timeout(DEADLINE).ok()).collect();
        (code, rest, stderr)
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits for it.
    pub fn kill(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub fn interrupt(&self) {
        let pid = i32::try_from(self.child.id()).expect("a pid fits i32");
        // SAFETY: kill(2) with a pid we started and still own.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
    }

    /// Waits for exit (killing after `timeout`, at most [`DEADLINE`]) and returns the exit
    /// code.
    pub fn wait(mut self, timeout: Duration) -> Option<i32> {
        let timeout = timeout.min(DEADLINE);
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                return status.code();
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                panic!(
                    "evt did not exit within {timeout:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Sends SIGTERM, as a polite `kill` does.
    pub fn terminate(&self) {
        let pid = i32::try_from(self.child.id()).expect("a pid fits i32");
        // SAFETY: kill(2) with a pid we started and still own.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}
