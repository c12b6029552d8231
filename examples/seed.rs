//! Seeds a topic with small JSON order events, for benchmarks and manual tries.
//!
//! `cargo run --release --example seed -- BROKERS TOPIC COUNT [PARTITIONS]`

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::ClientConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [brokers, topic, count, rest @ ..] = args.as_slice() else {
        return Err("usage: seed BROKERS TOPIC COUNT [PARTITIONS]".into());
    };
    let count: i64 = count.parse()?;
    let partitions: i32 = rest.first().map_or(Ok(6), |p| p.parse())?;
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let topic_spec = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
    for r in runtime.block_on(admin.create_topics([&topic_spec], &AdminOptions::new()))? {
        if let Err((t, e)) = r {
            eprintln!("seed: create {t}: {e} (continuing)");
        }
    }
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "200000")
        .create()?;
    let started = Instant::now();
    let now = chrono::Utc::now().timestamp_millis();
    let statuses = ["CREATED", "PAID", "SHIPPED", "FAILED"];
    for i in 0..count {
        let key = format!("order-{}", i % 10_000);
        let value = format!(
            r#"{{"order_id":{i},"status":"{}","amount":{}.{:02},"customer":"c-{}"}}"#,
            statuses[usize::try_from(i % 4)?],
            i % 500,
            i % 100,
            i % 977
        );
        // Spread timestamps over the last 24 hours, oldest first.
        let ts = now - 86_400_000 + i * 86_400_000 / count.max(1);
        let partition = i32::try_from(i % i64::from(partitions))?;
        let mut record = BaseRecord::to(topic)
            .key(&key)
            .payload(&value)
            .partition(partition)
            .timestamp(ts);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(5));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(120))?;
    eprintln!(
        "seed: {count} events into {topic} in {:.1?}",
        started.elapsed()
    );
    Ok(())
}
