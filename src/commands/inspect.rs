//! `evt topics`, `describe`, `offsets`, `groups`, `lag`: what the cluster holds and how far
//! its consumers are behind. Each asks the broker through [`Broker`] in batches (one
//! metadata request, one offsets lookup for all partitions, one committed-offsets request
//! per group, one record fetch round for all timestamps) and renders one report.

use std::collections::{BTreeSet, HashMap};
use std::io::{IsTerminal, Write};

use crate::analysis::lag::{group_status, partition_status, PartitionLag, Status};
use crate::broker::{self, Broker, Connection, Group, Plan, TopicInfo, TopicLayout};
use crate::config::inspect::{DescribeJob, GroupsJob, LagJob, Names, OffsetsJob, TopicsJob};
use crate::error::{EvtError, ExitStatus};
use crate::position::Window;
use crate::report::inspect::{
    DescribeReport, GroupLag, GroupRow, GroupsReport, LagReport, PartitionRow, TopicDescribed,
    TopicRow, TopicsReport,
};
use crate::report::{render, Report, Style};
use crate::stop::Stop;

/// Internal topics: the broker's own (`__consumer_offsets`) and tools' (`_schemas`, …).
pub(super) fn internal(topic: &str) -> bool {
    topic.starts_with('_')
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn print(report: &dyn Report, style: Style) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(render(report, style).as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Every partition of `topics` from the log start to the end: the watermarks.
fn watermarks(broker: &dyn Broker, topics: &[TopicInfo]) -> anyhow::Result<Plan> {
    let all: Vec<(TopicInfo, Vec<i32>)> = topics
        .iter()
        .map(|t| (t.clone(), t.partitions.clone()))
        .collect();
    if all.is_empty() {
        return Ok(Plan {
            partitions: Vec::new(),
        });
    }
    broker.plan(&all, &Window::everything(), true)
}

fn info(layout: &TopicLayout) -> TopicInfo {
    TopicInfo {
        name: layout.name.clone(),
        partitions: layout.partitions.iter().map(|p| p.partition).collect(),
        problem: None,
    }
}

/// Plain names among the globs must exist: a typo is an error with a suggestion.
fn check_names(kind: &str, kinds: &str, names: &Names, known: &[&str]) -> anyhow::Result<()> {
    for name in names.exact() {
        if !known.contains(&name) {
            let message = broker::not_found_message(kind, kinds, name, known);
            return Err(if kind == "topic" {
                EvtError::UnknownTopic(message).into()
            } else {
                EvtError::usage(message)
            });
        }
    }
    Ok(())
}

pub fn topics(connection: &Connection, job: TopicsJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    // Nothing is written until the report: Ctrl-C may end the wait for the broker at once.
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let exact: Vec<String> = job.names.exact().iter().map(|n| n.to_string()).collect();
    // Names alone need no listing (RabbitMQ cannot list streams).
    let layout = if !exact.is_empty() && exact.len() == job.names.len() {
        broker.layout_of(&exact)?
    } else {
        broker.layout()?
    };
    let known: Vec<&str> = layout.iter().map(|t| t.name.as_str()).collect();
    check_names("topic", "topics", &job.names, &known)?;
    let mut hidden = 0;
    let chosen: Vec<&TopicLayout> = layout
        .iter()
        .filter(|t| job.names.keeps(&t.name))
        .filter(|t| {
            let show = job.all || !internal(&t.name) || !job.names.exact().is_empty();
            hidden += usize::from(!show);
            show
        })
        .collect();
    let infos: Vec<TopicInfo> = chosen.iter().map(|t| info(t)).collect();
    let plan = watermarks(&*broker, &infos)?;
    let names: Vec<String> = infos.iter().map(|t| t.name.clone()).collect();
    let configs = broker.topic_configs(&names)?;
    let mut topics: Vec<TopicRow> = chosen
        .iter()
        .map(|t| TopicRow {
            name: t.name.clone(),
            partitions: t.partitions.len(),
            replication: t.replication(),
            events: plan
                .partitions
                .iter()
                .filter(|p| *p.topic == *t.name)
                .map(|p| (p.high - p.low).max(0))
                .sum(),
            configs: configs.as_ref().and_then(|c| c.get(&t.name).cloned()),
        })
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    drop(waiting);
    print(&TopicsReport { topics, hidden }, job.style)?;
    Ok(ExitStatus::Success)
}

pub fn describe(
    connection: &Connection,
    job: DescribeJob,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    // Nothing is written until the report: Ctrl-C may end the wait for the broker at once.
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let found = broker.find(&job.topics)?;
    let layout = broker.layout_of(&job.topics)?;
    let plan = watermarks(&*broker, &found)?;
    let configs = broker.topic_configs(&job.topics)?;
    let now = now_ms();
    let mut topics = Vec::new();
    for topic in &found {
        let logs: Vec<_> = plan
            .partitions
            .iter()
            .filter(|p| *p.topic == *topic.name)
            .collect();
        let first: HashMap<i32, i64> = logs
            .iter()
            .filter(|p| p.high > p.low)
            .map(|p| (p.partition, p.low))
            .collect();
        let last: HashMap<i32, i64> = logs
            .iter()
            .filter(|p| p.high > p.low)
            .map(|p| (p.partition, p.high - 1))
            .collect();
        let oldest = broker.records_at(&topic.name, &first)?;
        let newest = broker.records_at(&topic.name, &last)?;
        let placement = layout.iter().find(|t| t.name == topic.name);
        let partitions = logs
            .iter()
            .map(|p| {
                let placed = placement
                    .and_then(|t| t.partitions.iter().find(|x| x.partition == p.partition));
                PartitionRow {
                    partition: p.partition,
                    leader: placed.map_or(-1, |x| x.leader),
                    replicas: placed.map(|x| x.replicas.clone()).unwrap_or_default(),
                    isr: placed.map(|x| x.isr.clone()).unwrap_or_default(),
                    low: p.low,
                    high: p.high,
                    oldest: oldest
                        .get(&p.partition)
                        .copied()
                        .flatten()
                        .map(|(_, ts)| ts),
                    newest: newest
                        .get(&p.partition)
                        .copied()
                        .flatten()
                        .map(|(_, ts)| ts),
                }
            })
            .collect();
        topics.push(TopicDescribed {
            name: topic.name.clone(),
            partitions,
            configs: configs.as_ref().and_then(|c| c.get(&topic.name).cloned()),
            now_ms: now,
        });
    }
    drop(waiting);
    print(&DescribeReport { topics }, job.style)?;
    Ok(ExitStatus::Success)
}

pub fn offsets(
    connection: &Connection,
    job: OffsetsJob,
    stop: &Stop,
) -> anyhow::Result<ExitStatus> {
    // Nothing is written until the report: Ctrl-C may end the wait for the broker at once.
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let found = broker.find(&job.topics)?;
    let chosen = found
        .into_iter()
        .map(|t| {
            let partitions = broker::select_partitions(&t, &job.window.partitions)?;
            Ok((t, partitions))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan = broker.plan(&chosen, &job.window, true)?;
    drop(waiting);
    print(&Offsets(plan), job.style)?;
    Ok(ExitStatus::Success)
}

/// Per partition: the offset at the position, and the watermarks around it.
struct Offsets(Plan);

impl Report for Offsets {
    fn table(&self) -> String {
        let rows = self
            .0
            .partitions
            .iter()
            .map(|p| {
                vec![
                    p.topic.to_string(),
                    p.partition.to_string(),
                    p.start.to_string(),
                    p.low.to_string(),
                    p.high.to_string(),
                    if p.start >= p.high {
                        "at the end (no event at or after the position yet)".into()
                    } else {
                        format!("{} event(s) from here to the end", p.high - p.start)
                    },
                ]
            })
            .collect();
        format!(
            "{}\n",
            crate::report::table(
                &["topic", "partition", "offset", "low", "high", "note"],
                rows,
                &[1, 2, 3, 4]
            )
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "partitions": self.0.partitions.iter().map(|p| serde_json::json!({
                "topic": &*p.topic,
                "partition": p.partition,
                "offset": p.start,
                "low": p.low,
                "high": p.high,
            })).collect::<Vec<_>>(),
        })
    }
}

/// The partitions of every topic a group may have committed for (internal ones left out).
fn all_partitions(layout: &[TopicLayout]) -> Vec<(String, i32)> {
    layout
        .iter()
        .filter(|t| !internal(&t.name))
        .flat_map(|t| t.partitions.iter().map(|p| (t.name.clone(), p.partition)))
        .collect()
}

pub fn groups(connection: &Connection, job: GroupsJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    // Nothing is written until the report: Ctrl-C may end the wait for the broker at once.
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let groups = broker.groups(true)?;
    let known: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
    check_names("group", "groups", &job.names, &known)?;
    let layout = broker.layout()?;
    let partitions = all_partitions(&layout);
    let mut rows = Vec::new();
    let chosen: Vec<&Group> = groups.iter().filter(|g| job.names.keeps(&g.id)).collect();
    let ids: Vec<String> = chosen.iter().map(|g| g.id.clone()).collect();
    let committed = broker.committed(&ids, &partitions)?;
    for (g, offsets) in chosen.into_iter().zip(committed) {
        let topics: BTreeSet<String> = offsets.into_iter().map(|c| c.topic).collect();
        let described = g.members.is_some();
        rows.push(GroupRow {
            id: g.id.clone(),
            state: Some(g.state.clone()).filter(|s| !s.is_empty()),
            members: g.members.as_ref().map(Vec::len),
            protocol: described.then(|| {
                if g.protocol.is_empty() {
                    g.protocol_type.clone()
                } else {
                    format!("{} ({})", g.protocol_type, g.protocol)
                }
            }),
            topics: topics.into_iter().collect(),
        });
    }
    let note = rows.iter().any(|g| g.members.is_none()).then(|| {
        "members and protocol: not reported by this broker (it lists groups but does not describe them)".to_string()
    });
    drop(waiting);
    print(&GroupsReport { groups: rows, note }, job.style)?;
    Ok(ExitStatus::Success)
}

/// One sample of every chosen group's lag.
fn sample(
    broker: &dyn Broker,
    groups: &[Group],
    topics: &[String],
) -> anyhow::Result<Vec<(String, Vec<PartitionLag>)>> {
    let layout = if topics.is_empty() {
        broker.layout()?
    } else {
        broker.layout_of(topics)?
    };
    let partitions = all_partitions(&layout);
    let mut committed = Vec::with_capacity(groups.len());
    let mut topics: BTreeSet<String> = BTreeSet::new();
    let mut uncommitted: HashMap<&str, Vec<(String, i32)>> = HashMap::new();
    let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    let fetched = broker.committed(&ids, &partitions)?;
    for (group, offsets) in groups.iter().zip(fetched) {
        topics.extend(offsets.iter().map(|c| c.topic.clone()));
        // Partitions assigned to a member that the group never committed for.
        let assigned = group
            .members
            .iter()
            .flatten()
            .flat_map(|m| m.assigned.iter());
        let done: Vec<(String, i32)> = offsets
            .iter()
            .map(|c| (c.topic.clone(), c.partition))
            .collect();
        let missing = crate::analysis::lag::uncommitted(assigned, &done);
        topics.extend(missing.iter().map(|(t, _)| t.clone()));
        uncommitted.insert(&group.id, missing);
        committed.push((group.id.clone(), offsets));
    }
    let infos: Vec<TopicInfo> = layout
        .iter()
        .filter(|t| topics.contains(&t.name))
        .map(info)
        .collect();
    let plan = watermarks(broker, &infos)?;
    let log = |topic: &str, partition: i32| {
        plan.partitions
            .iter()
            .find(|p| *p.topic == *topic && p.partition == partition)
            .map_or((0, 0), |p| (p.low, p.high))
    };
    // The first unconsumed record of every lagging partition: one pass per topic, all
    // groups' offsets at once.
    let mut wanted: HashMap<String, HashMap<i32, Vec<i64>>> = HashMap::new();
    for (_, offsets) in &committed {
        for c in offsets {
            let (low, high) = log(&c.topic, c.partition);
            if let Some(next) = PartitionLag::next_to_read(Some(c.offset), low, high) {
                wanted
                    .entry(c.topic.clone())
                    .or_default()
                    .entry(c.partition)
                    .or_default()
                    .push(next);
            }
        }
    }
    let mut stamps: HashMap<(String, i32, i64), i64> = HashMap::new();
    for (topic, offsets) in &wanted {
        for ((partition, offset), ts) in broker.timestamps_at(topic, offsets)? {
            stamps.insert((topic.clone(), partition, offset), ts);
        }
    }
    let now = now_ms();
    Ok(committed
        .into_iter()
        .map(|(group, offsets)| {
            let mut lags: Vec<PartitionLag> = offsets
                .iter()
                .map(|c| {
                    let (low, high) = log(&c.topic, c.partition);
                    let first =
                        PartitionLag::next_to_read(Some(c.offset), low, high).and_then(|next| {
                            stamps.get(&(c.topic.clone(), c.partition, next)).copied()
                        });
                    PartitionLag::new(
                        (&c.topic, c.partition),
                        Some(c.offset),
                        (low, high),
                        first,
                        now,
                    )
                })
                .collect();
            for (topic, partition) in uncommitted.get(group.as_str()).into_iter().flatten() {
                let (low, high) = log(topic, *partition);
                lags.push(PartitionLag::new(
                    (topic, *partition),
                    None,
                    (low, high),
                    None,
                    now,
                ));
            }
            lags.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
            (group, lags)
        })
        .collect())
}

/// Folds samples (oldest first) into the report.
fn lag_report(history: &[Vec<(String, Vec<PartitionLag>)>], all_partitions: bool) -> LagReport {
    let last = history.last().cloned().unwrap_or_default();
    let groups = last
        .into_iter()
        .map(|(group, partitions)| {
            let with_status: Vec<(PartitionLag, Status)> = partitions
                .into_iter()
                .map(|p| {
                    let past: Vec<&PartitionLag> = history
                        .iter()
                        .filter_map(|s| s.iter().find(|(g, _)| *g == group))
                        .filter_map(|(_, ps)| {
                            ps.iter()
                                .find(|x| x.topic == p.topic && x.partition == p.partition)
                        })
                        .collect();
                    let status = partition_status(&past);
                    (p, status)
                })
                .collect();
            let status = group_status(with_status.iter().map(|(_, s)| *s));
            GroupLag {
                group,
                partitions: with_status,
                status,
            }
        })
        .collect();
    LagReport {
        groups,
        all_partitions,
        samples: history.len() as u32,
        now_ms: now_ms(),
    }
}

pub fn lag(connection: &Connection, job: LagJob, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let waiting = stop.abandonable();
    let broker = broker::connect(connection)?;
    let named = job.groups.exact();
    let all_named = !named.is_empty() && named.len() == job.groups.len();
    let listed = match broker.groups(true) {
        Ok(listed) => {
            let known: Vec<&str> = listed.iter().map(|g| g.id.as_str()).collect();
            check_names("group", "groups", &job.groups, &known)?;
            listed
        }
        // A broker that does not list groups (librdkafka's mock cluster) still answers
        // for the groups named.
        Err(_) if all_named => named
            .iter()
            .map(|id| Group {
                id: id.to_string(),
                state: String::new(),
                protocol_type: String::new(),
                protocol: String::new(),
                members: None,
            })
            .collect(),
        Err(e) => {
            return Err(
                e.context("this broker does not list consumer groups: name them (evt lag GROUP…)")
            )
        }
    };
    let groups: Vec<Group> = listed
        .into_iter()
        .filter(|g| job.groups.keeps(&g.id))
        .collect();
    let terminal = std::io::stdout().is_terminal();
    let mut history = Vec::new();
    drop(waiting);
    loop {
        let waiting = stop.abandonable();
        history.push(sample(&*broker, &groups, &job.topics)?);
        drop(waiting);
        let report = lag_report(&history, job.all_partitions);
        if job.watch.is_some() && terminal && job.style == Style::Table {
            // Refresh in place: clear the screen, cursor home.
            print!("\x1b[H\x1b[2J");
        }
        print(&report, job.style)?;
        let enough = job.samples.is_some_and(|n| history.len() as u32 >= n);
        let Some(interval) = job.watch.filter(|_| !enough) else {
            return Ok(verdict(&report, &job));
        };
        if job.style == Style::Table && !terminal {
            println!();
        }
        // Ctrl-C is how a watch ends, as for `evt tail`: the exit is the last sample's.
        if sleep(interval, stop) {
            return Ok(verdict(&report, &job));
        }
    }
}

/// Exit 1 when a group is further behind than --max-lag or --max-lag-time allow.
fn verdict(report: &LagReport, job: &LagJob) -> ExitStatus {
    let over = report.groups.iter().any(|g| {
        job.max_lag.is_some_and(|n| g.total() > n as i64)
            || job
                .max_age
                .is_some_and(|d| g.max_age().is_some_and(|a| a > d.as_millis() as i64))
    });
    if over {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    }
}

/// Waits `interval`, or less when Ctrl-C arrives (then true).
fn sleep(interval: std::time::Duration, stop: &Stop) -> bool {
    let until = std::time::Instant::now() + interval;
    while !stop.interrupted() {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
    }
    true
}
