//! The inspect commands' jobs: `topics`, `describe`, `offsets`, `groups`, `lag`.

use std::time::Duration;

use super::jobs::parse_position;
use crate::cli::{self, TableFormatArg};
use crate::error::EvtError;
use crate::position::{parse_duration, Window};
use crate::report::Style;

/// Names to keep: all, or those matching any of the globs.
#[derive(Debug, Clone, Default)]
pub struct Names(Vec<glob::Pattern>);

impl Names {
    pub fn parse(what: &str, globs: &[String]) -> anyhow::Result<Names> {
        globs
            .iter()
            .map(|g| {
                glob::Pattern::new(g)
                    .map_err(|e| EvtError::usage(format!("{what} '{g}' is not a valid glob: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Names)
    }

    /// How many globs were given.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn keeps(&self, name: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| p.matches(name))
    }

    /// The globs that are plain names (no wildcard): those must exist.
    pub fn exact(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(glob::Pattern::as_str)
            .filter(|g| !g.contains(['*', '?', '[']))
            .collect()
    }
}

pub struct TopicsJob {
    pub names: Names,
    pub all: bool,
    pub style: Style,
}

pub struct DescribeJob {
    pub topics: Vec<String>,
    pub style: Style,
}

pub struct OffsetsJob {
    pub topics: Vec<String>,
    /// From the position, no end.
    pub window: Window,
    pub style: Style,
}

pub struct GroupsJob {
    pub names: Names,
    pub style: Style,
}

pub struct LagJob {
    pub groups: Names,
    /// Only these topics (needed where the broker cannot list them: RabbitMQ Streams).
    pub topics: Vec<String>,
    pub max_lag: Option<u64>,
    pub max_age: Option<Duration>,
    pub watch: Option<Duration>,
    pub samples: Option<u32>,
    pub all_partitions: bool,
    pub style: Style,
}

fn style(format: TableFormatArg) -> Style {
    match format {
        TableFormatArg::Table => Style::Table,
        TableFormatArg::Json => Style::Json,
    }
}

fn duration(flag: &str, text: &str) -> anyhow::Result<Duration> {
    parse_duration(text).map_err(|e| {
        EvtError::usage(format!(
            "{flag} '{text}' is not a duration ({e}); write e.g. 30s, 5m, 1h30m"
        ))
    })
}

pub fn topics_job(args: cli::TopicsArgs) -> anyhow::Result<TopicsJob> {
    Ok(TopicsJob {
        names: Names::parse("topic glob", args.glob.as_slice())?,
        all: args.all,
        style: style(args.format),
    })
}

pub fn describe_job(args: cli::DescribeArgs) -> DescribeJob {
    DescribeJob {
        topics: args.topics,
        style: style(args.format),
    }
}

pub fn offsets_job(args: cli::OffsetsArgs) -> anyhow::Result<OffsetsJob> {
    Ok(OffsetsJob {
        topics: args.topics,
        window: Window {
            partitions: args.partitions,
            from: parse_position("--at", &args.at)?,
            until: None,
        },
        style: style(args.format),
    })
}

pub fn groups_job(args: cli::GroupsArgs) -> anyhow::Result<GroupsJob> {
    Ok(GroupsJob {
        names: Names::parse("group glob", args.glob.as_slice())?,
        style: style(args.format),
    })
}

pub fn lag_job(args: cli::LagArgs) -> anyhow::Result<LagJob> {
    let watch = args
        .watch
        .as_deref()
        .map(|w| duration("--watch", w))
        .transpose()?;
    if watch.is_some_and(|w| w < Duration::from_millis(100)) {
        return Err(EvtError::usage(
            "--watch needs an interval of at least 100ms",
        ));
    }
    if args.samples == Some(0) {
        return Err(EvtError::usage("--samples must be at least 1"));
    }
    Ok(LagJob {
        groups: Names::parse("group", &args.groups)?,
        topics: args.topics.clone(),
        max_lag: args.max_lag,
        max_age: args
            .max_lag_time
            .as_deref()
            .map(|t| duration("--max-lag-time", t))
            .transpose()?,
        watch,
        samples: args.samples,
        all_partitions: args.all_partitions,
        style: style(args.format),
    })
}
