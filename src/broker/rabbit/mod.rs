//! RabbitMQ Streams, the second broker family: the address scheme that selects it, a
//! synchronous client for the part of the stream protocol evt needs ([`wire`] frames,
//! [`client`] requests, [`amqp`] messages), which fits evt's reader threads and gives what
//! the async `rabbitmq-stream-client` crate does not expose (chunk timestamps, a way to find
//! a stream's first and last offsets on RabbitMQ 3.10), and [`Rabbit`], its [`Broker`]: a
//! stream is a topic with one partition, 0 (see [`envelope`] for the message mapping).

pub mod address;
pub mod amqp;
pub mod client;
pub mod envelope;
pub mod probe;
pub mod reader;
pub mod wire;
pub mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use address::{is_rabbit, Address};

use crate::broker::plan::{resolve_position, PartitionPlan, Watermarks};
use crate::broker::{
    Broker, Committed, Configs, Connection, Group, Placement, Plan, ReadOptions, Reader, TopicInfo,
    TopicLayout, Writer,
};
use crate::error::EvtError;
use crate::position::{Position, Window};
use crate::stop::Stop;
use client::Client;
use envelope::Mapping;
use probe::Probe;

/// The `-X` settings this family reads.
pub const PROPERTIES: [&str; 1] = ["key.property"];

/// A RabbitMQ node (or cluster) reached through its stream listener.
pub struct Rabbit {
    address: Address,
    connection: Connection,
    mapping: Mapping,
    probe: Mutex<Option<Probe>>,
}

impl Rabbit {
    pub fn new(connection: &Connection) -> anyhow::Result<Rabbit> {
        let address = Address::parse(&connection.brokers)?;
        let mut mapping = Mapping::default();
        for (key, value) in &connection.properties {
            match key.as_str() {
                "key.property" => {
                    mapping.key_property = Some(value.clone()).filter(|v| !v.is_empty())
                }
                // Kafka client settings (from a profile or a replay's source) mean nothing here.
                other if connection.verbose > 0 => eprintln!(
                    "evt: -X {other}: not a RabbitMQ Streams setting (ignored; known: {})",
                    PROPERTIES.join(", ")
                ),
                _ => {}
            }
        }
        Ok(Rabbit {
            address,
            connection: connection.clone(),
            mapping,
            probe: Mutex::new(None),
        })
    }

    fn with_probe<T>(&self, f: impl FnOnce(&mut Probe) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let mut guard = self.probe.lock().unwrap_or_else(|p| p.into_inner());
        let probe = match guard.as_mut() {
            Some(p) => p,
            None => guard.insert(Probe::new(Client::connect(
                &self.address,
                self.connection.timeout,
            )?)),
        };
        let answer = f(probe);
        if answer.is_err() {
            // The connection may be in any state after an error: the next look opens another.
            *guard = None;
        }
        answer
    }

    /// The events at (or first after) each of `offsets` (sorted) of partition `p` of `topic`.
    fn events_at(
        &self,
        topic: &str,
        p: i32,
        offsets: &[i64],
    ) -> anyhow::Result<Vec<Option<probe::Found>>> {
        self.only_partition_zero(topic, p)?;
        self.with_probe(|probe| {
            let high = probe.bounds(topic)?.high;
            probe.events_at(topic, offsets, high, &self.mapping)
        })
    }

    fn only_partition_zero(&self, topic: &str, partition: i32) -> anyhow::Result<()> {
        if partition == 0 {
            return Ok(());
        }
        Err(EvtError::usage(format!(
            "stream '{topic}' has one partition (0), not {partition}"
        )))
    }
}

/// The error for what the stream protocol cannot list, with the way that works.
fn cannot_list(what: &str, instead: &str) -> anyhow::Error {
    EvtError::usage(format!(
        "RabbitMQ's stream protocol cannot list {what}; {instead}"
    ))
}

const NAME_STREAMS: &str =
    "name the streams (e.g. evt topics orders payments, evt lag REFERENCE --topic orders)";

impl Broker for Rabbit {
    fn topics(&self) -> anyhow::Result<Vec<TopicInfo>> {
        Err(cannot_list("streams", NAME_STREAMS))
    }

    fn find(&self, names: &[String]) -> anyhow::Result<Vec<TopicInfo>> {
        Ok(self
            .layout_of(names)?
            .into_iter()
            .map(|t| TopicInfo {
                name: t.name,
                partitions: vec![0],
                problem: None,
            })
            .collect())
    }

    fn fixed_partitions(&self) -> Option<i32> {
        Some(1)
    }

    fn plan(
        &self,
        topics: &[(TopicInfo, Vec<i32>)],
        window: &Window,
        bounded: bool,
    ) -> anyhow::Result<Plan> {
        let until = window.until.or(bounded.then_some(Position::End));
        let mut plan = Plan::default();
        for (topic, partitions) in topics {
            for &p in partitions {
                self.only_partition_zero(&topic.name, p)?;
            }
            let bounds = self.with_probe(|probe| probe.bounds(&topic.name))?;
            let marks = Watermarks {
                low: bounds.low,
                high: bounds.high,
            };
            let time = |position: Option<Position>| -> anyhow::Result<Option<i64>> {
                match position {
                    Some(Position::Time(ms)) => self.with_probe(|probe| {
                        probe.offset_of_time(&topic.name, ms, bounds, &self.mapping)
                    }),
                    _ => Ok(None),
                }
            };
            let start = resolve_position(window.from, marks, time(Some(window.from))?);
            let end = match until {
                Some(u) => Some(resolve_position(u, marks, time(Some(u))?).max(start)),
                None => None,
            };
            plan.partitions.push(PartitionPlan {
                topic: Arc::from(topic.name.as_str()),
                partition: 0,
                low: marks.low,
                high: marks.high,
                start,
                end,
            });
        }
        Ok(plan)
    }

    fn read(&self, plan: Plan, options: ReadOptions) -> anyhow::Result<Reader> {
        let address = self.address.clone();
        let timeout = self.connection.timeout;
        let mapping = self.mapping.clone();
        let stop = options.stop.clone();
        Reader::spawn("evt-stream-reader", stop, move |tx| {
            reader::read(&address, timeout, &mapping, &plan, &options, tx)
        })
    }

    fn writer(&self, stop: &Stop) -> anyhow::Result<Box<dyn Writer>> {
        Ok(Box::new(writer::StreamWriter::new(
            &self.address,
            self.connection.timeout,
            self.mapping.clone(),
            stop,
        )?))
    }

    fn create_topic(&self, name: &str, partitions: i32) -> anyhow::Result<()> {
        if partitions > 1 {
            return Err(EvtError::usage(format!(
                "a RabbitMQ stream has one partition and the source has {partitions}; add --partitioner key to write them all into stream '{name}'"
            )));
        }
        let mut client = Client::connect(&self.address, self.connection.timeout)?;
        client.create(name, &[])?;
        client.close();
        Ok(())
    }

    fn records_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
    ) -> anyhow::Result<HashMap<i32, Option<(i64, i64)>>> {
        let mut out = HashMap::new();
        for (&p, &offset) in wanted {
            let found = self.events_at(topic, p, &[offset])?.remove(0);
            out.insert(p, found.map(|f| (f.offset, f.timestamp)));
        }
        Ok(out)
    }

    fn timestamps_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, Vec<i64>>,
    ) -> anyhow::Result<HashMap<(i32, i64), i64>> {
        let mut out = HashMap::new();
        for (&p, offsets) in wanted {
            let mut sorted = offsets.clone();
            sorted.sort_unstable();
            for (offset, event) in sorted.iter().zip(self.events_at(topic, p, &sorted)?) {
                if let Some(found) = event {
                    out.insert((p, *offset), found.timestamp);
                }
            }
        }
        Ok(out)
    }

    fn headers_at(
        &self,
        topic: &str,
        wanted: &HashMap<i32, i64>,
        name: &str,
    ) -> anyhow::Result<HashMap<i32, Option<Vec<u8>>>> {
        let mut out = HashMap::new();
        for (&p, &offset) in wanted {
            let value = self
                .events_at(topic, p, &[offset])?
                .remove(0)
                .filter(|f| f.offset == offset)
                .and_then(|f| f.event)
                .and_then(|e| e.headers.into_iter().find(|h| h.name == name))
                .and_then(|h| h.value);
            out.insert(p, value);
        }
        Ok(out)
    }

    fn layout(&self) -> anyhow::Result<Vec<TopicLayout>> {
        Err(cannot_list("streams", NAME_STREAMS))
    }

    fn layout_of(&self, names: &[String]) -> anyhow::Result<Vec<TopicLayout>> {
        let mut client = Client::connect(&self.address, self.connection.timeout)?;
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let found = client.metadata(&refs)?;
        client.close();
        let mut out = Vec::with_capacity(found.len());
        for stream in found {
            match stream.problem {
                None => {}
                Some(why) if why.contains("does not exist") => {
                    return Err(EvtError::UnknownTopic(format!(
                        "stream '{}' not found on {} (RabbitMQ cannot list streams to suggest one)",
                        stream.name, self.address
                    ))
                    .into())
                }
                Some(why) => {
                    return Err(EvtError::broker(format!(
                        "stream '{}' is not readable: {why}",
                        stream.name
                    )))
                }
            }
            let replicas: Vec<i32> = (0..i32::try_from(stream.replicas).unwrap_or(0) + 1).collect();
            out.push(TopicLayout {
                name: stream.name,
                partitions: vec![Placement {
                    partition: 0,
                    leader: 0,
                    isr: replicas.clone(),
                    replicas,
                }],
            });
        }
        Ok(out)
    }

    fn topic_configs(
        &self,
        _topics: &[String],
    ) -> anyhow::Result<Option<HashMap<String, Configs>>> {
        // The stream protocol does not report a stream's arguments (max-age, max-length-bytes).
        Ok(None)
    }

    fn groups(&self, _describe: bool) -> anyhow::Result<Vec<Group>> {
        Err(cannot_list(
            "consumer references",
            "name a consumer's reference and its streams (evt lag REFERENCE --topic STREAM)",
        ))
    }

    fn committed(
        &self,
        groups: &[String],
        partitions: &[(String, i32)],
    ) -> anyhow::Result<Vec<Vec<Committed>>> {
        let mut client = Client::connect(&self.address, self.connection.timeout)?;
        let mut out = Vec::with_capacity(groups.len());
        for reference in groups {
            let mut offsets = Vec::new();
            for (stream, partition) in partitions {
                if *partition != 0 {
                    continue;
                }
                // A consumer stores the offset of the last message it processed; a Kafka group
                // commits the next one to read.
                if let Some(stored) = client.query_offset(reference, stream)? {
                    offsets.push(Committed {
                        topic: stream.clone(),
                        partition: 0,
                        offset: i64::try_from(stored).unwrap_or(i64::MAX).saturating_add(1),
                    });
                }
            }
            out.push(offsets);
        }
        client.close();
        Ok(out)
    }
}
