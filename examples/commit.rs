//! Commits offsets for many consumer groups at once, for the lag benchmark and manual tries:
//! group `PREFIX-NNN` (NNN from 000) commits, on every partition of TOPIC, the offset
//! `high * (NNN + 1) / (GROUPS + 1)`, so each group is a different distance behind.
//!
//! `cargo run --release --example commit -- BROKERS TOPIC PREFIX GROUPS`

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [brokers, topic, prefix, groups] = args.as_slice() else {
        return Err("usage: commit BROKERS TOPIC PREFIX GROUPS".into());
    };
    let groups: i64 = groups.parse()?;
    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("{prefix}-probe"))
        .create()?;
    let metadata = probe.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let partitions: Vec<i32> = metadata.topics()[0]
        .partitions()
        .iter()
        .map(|p| p.id())
        .collect();
    let mut highs = Vec::with_capacity(partitions.len());
    for p in &partitions {
        let (_, high) = probe.fetch_watermarks(topic, *p, Duration::from_secs(10))?;
        highs.push(high);
    }
    for g in 0..groups {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", format!("{prefix}-{g:03}"))
            .set("enable.auto.commit", "false")
            .create()?;
        let mut tpl = TopicPartitionList::new();
        for (p, high) in partitions.iter().zip(&highs) {
            tpl.add_partition_offset(topic, *p, Offset::Offset(high * (g + 1) / (groups + 1)))?;
        }
        consumer.commit(&tpl, CommitMode::Sync)?;
    }
    eprintln!(
        "commit: {groups} groups committed on {} partitions of {topic}",
        partitions.len()
    );
    Ok(())
}
