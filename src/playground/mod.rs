//! The playground: an embedded Kafka-protocol broker (librdkafka's mock cluster) seeded with
//! demo data, for trying evt and for its own tests and benchmarks.

pub mod demo;
pub mod rabbit;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::broker::mock::MockBroker;
use crate::broker::produce::Writer;
use crate::error::EvtError;
use crate::event::Event;

/// What to put in the playground.
#[derive(Debug, Clone)]
pub struct Options {
    /// Hours of backdated history.
    pub history_hours: i64,
    /// Live events per second after the history (0: none).
    pub rate: f64,
    pub seed: u64,
    /// Also create topic `bench` with this many small JSON events (for `bench/run`).
    pub bench_events: u64,
    pub bench_partitions: i32,
    /// Empty topics to create (name, partitions).
    pub extra_topics: Vec<(String, i32)>,
    /// Also run a RabbitMQ node with the demo topics copied into streams.
    pub with_rabbitmq: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            history_hours: 24,
            rate: 3.0,
            seed: 2026,
            bench_events: 0,
            bench_partitions: 6,
            extra_topics: Vec::new(),
            with_rabbitmq: false,
        }
    }
}

/// A running playground; the broker and the live producer stop when it is dropped.
pub struct Playground {
    broker: MockBroker,
    live: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
    pub seeded: u64,
}

/// Batches are compressed so a day of history fits the mock's 5 MB-per-partition limit.
const PRODUCER: [(&str, &str); 1] = [("compression.type", "lz4")];

impl Playground {
    /// Starts the broker, creates the demo topics, writes the history and starts live events.
    pub fn start(options: &Options) -> anyhow::Result<Playground> {
        let broker = MockBroker::start(1)?;
        for (topic, partitions) in demo::TOPICS {
            broker.create_topic(topic, partitions)?;
        }
        for (topic, partitions) in &options.extra_topics {
            broker.create_topic(topic, *partitions)?;
        }
        let writer = Writer::new(broker.bootstrap(), &PRODUCER)?;
        let now = chrono::Utc::now().timestamp_millis();
        let mut seeded = 0;
        // Events of sagas still unfolding at `now` wait for the live generator.
        let (past, unfolding): (Vec<Event>, Vec<Event>) =
            demo::history(options.seed, now, options.history_hours)
                .into_iter()
                .partition(|e| e.timestamp.unwrap_or(now) <= now);
        for event in past {
            writer.send(&event)?;
            seeded += 1;
        }
        writer.flush(Duration::from_secs(60))?;
        if options.bench_events > 0 {
            broker.create_topic("bench", options.bench_partitions)?;
            // zstd: a million small events must fit the mock's 5 MB per partition.
            let bench = Writer::new(broker.bootstrap(), &[("compression.type", "zstd")])?;
            seeded += seed_bench(&bench, options.bench_events, now)?;
            bench.flush(Duration::from_secs(300))?;
        }
        let mut playground = Playground {
            broker,
            live: None,
            seeded,
        };
        if options.rate > 0.0 {
            playground.live = Some(start_live(
                writer,
                unfolding,
                options.rate,
                options.seed ^ now as u64,
            ));
        }
        Ok(playground)
    }

    pub fn bootstrap(&self) -> &str {
        self.broker.bootstrap()
    }
}

impl Drop for Playground {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.live.take() {
            stop.store(true, Ordering::Relaxed);
            handle.join().ok();
        }
    }
}

/// Small JSON order events spread over the last 24 hours, partitioned by key (10,000 order
/// ids) like the Java client does; 1% have status FAILED.
fn seed_bench(writer: &Writer, count: u64, now: i64) -> anyhow::Result<u64> {
    let topic: Arc<str> = Arc::from("bench");
    let count_i = i64::try_from(count).unwrap_or(i64::MAX);
    let statuses = ["CREATED", "PAID", "SHIPPED"];
    for i in 0..count_i {
        let status = statuses[usize::try_from(i % 3).unwrap_or(0)];
        let failed = if i % 100 == 7 { "FAILED" } else { status };
        let event = Event {
            timestamp: Some(now - 86_400_000 + i * 86_400_000 / count_i.max(1)),
            timestamp_type: crate::event::TimestampType::Create,
            key: Some(format!("order-{}", i % 10_000).into_bytes()),
            value: Some(
                format!(
                    r#"{{"order_id":{i},"status":"{failed}","amount":{}.{:02}}}"#,
                    i % 500,
                    i % 100
                )
                .into_bytes(),
            ),
            headers: vec![],
            ..Event::made("bench", i as u64, topic.clone())
        };
        writer.send(&event)?;
    }
    Ok(count)
}

/// Produces live sagas and ticks at about `rate` events per second until stopped, and the
/// history's `unfolding` events when their time comes.
fn start_live(
    writer: Writer,
    unfolding: Vec<Event>,
    rate: f64,
    seed: u64,
) -> (Arc<AtomicBool>, JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::Builder::new()
        .name("evt-playground-live".into())
        .spawn(move || {
            // Live order and event ids start far above the history's: no key means two
            // sagas, no event id two events.
            let mut demo = demo::Demo::live(seed);
            // Sagas unfold over minutes: pending events wait here until their time comes.
            let mut pending: BinaryHeap<Reverse<(i64, u64)>> = BinaryHeap::new();
            let mut events: std::collections::HashMap<u64, Event> =
                std::collections::HashMap::new();
            let mut n = 0u64;
            for e in unfolding {
                n += 1;
                pending.push(Reverse((e.timestamp.unwrap_or(0), n)));
                events.insert(n, e);
            }
            let mut round = 0u64;
            // A round is a tick or a saga: about 2.4 events on average.
            let interval = Duration::from_secs_f64(2.4 / rate.max(0.01));
            while !flag.load(Ordering::Relaxed) {
                let now = chrono::Utc::now().timestamp_millis();
                round += 1;
                let fresh = if round % 2 == 0 {
                    vec![demo.tick(now, false)]
                } else {
                    demo.saga(now, demo::Faults::default())
                };
                for e in fresh {
                    n += 1;
                    pending.push(Reverse((e.timestamp.unwrap_or(now), n)));
                    events.insert(n, e);
                }
                while let Some(Reverse((ts, id))) = pending.peek().copied() {
                    if ts > now {
                        break;
                    }
                    pending.pop();
                    if let Some(e) = events.remove(&id) {
                        if writer.send(&e).is_err() {
                            return;
                        }
                    }
                }
                writer.poll();
                std::thread::sleep(interval);
            }
            writer.flush(Duration::from_secs(5)).ok();
        })
        .expect("the OS can start a thread");
    (stop, handle)
}

/// Where a running `evt playground` leaves its address for `--profile playground`.
pub fn registration_file(config_file: Option<&Path>) -> Option<PathBuf> {
    config_file.map(|f| f.with_file_name("playground.addr"))
}

/// Writes the address (and the RabbitMQ node's, on a second line, when there is one); the
/// returned guard removes it again.
pub fn register(
    path: &Path,
    bootstrap: &str,
    rabbitmq: Option<&str>,
) -> anyhow::Result<Registration> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| EvtError::usage(format!("cannot create {}: {e}", dir.display())))?;
    }
    let second = rabbitmq.map(|a| format!("{a}\n")).unwrap_or_default();
    std::fs::write(path, format!("{bootstrap}\n{second}"))
        .map_err(|e| EvtError::usage(format!("cannot write {}: {e}", path.display())))?;
    Ok(Registration {
        path: path.to_path_buf(),
    })
}

/// Removes the registration when the playground stops.
pub struct Registration {
    path: PathBuf,
}

impl Drop for Registration {
    fn drop(&mut self) {
        std::fs::remove_file(&self.path).ok();
    }
}
