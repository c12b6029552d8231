//! Per-command jobs: everything a command needs, decided and compiled up front from its
//! arguments (sources classified, positions parsed, filters and schemas compiled).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::output::Output;
use super::profile::{self, Environment};
use crate::broker::Connection;
use crate::cli;
use crate::error::EvtError;
use crate::filter::Filter;
use crate::position::{parse_duration, Position, Window};
use crate::replay::Pace;
use crate::report::Style;
use crate::sink::print::InlineValidation;
use crate::sink::replay::Partitioner;
use crate::sink::violations::ReportFormat;
use crate::source::{Input, Mode, Request, SourceArg};
use crate::validate::{MissingSchema, Schemas};

/// `evt read` and `evt tail`: a window (or a follow) printed in a format.
pub struct ReadJob {
    pub request: Request,
    pub filter: Option<Filter>,
    pub inline: Option<InlineValidation>,
    pub count: Option<u64>,
    /// `--explain`: print the plan in this style and exit.
    pub explain: Option<Style>,
    pub output: Output,
}

/// `evt validate`.
pub struct ValidateJob {
    pub request: Request,
    pub filter: Option<Filter>,
    pub schemas: Schemas,
    pub missing: MissingSchema,
    pub format: ReportFormat,
    pub max_errors: Option<u64>,
    /// Colours in the text report.
    pub color: bool,
}

/// `evt replay`.
pub struct ReplayJob {
    /// One source: a topic window or a file.
    pub request: Request,
    pub filter: Option<Filter>,
    pub target_topic: String,
    /// The cluster written to (the source's unless --to-brokers/--to-profile).
    pub target: Connection,
    pub same_cluster: bool,
    pub partitioner: Partitioner,
    pub provenance: bool,
    pub append: bool,
    /// `--dry-run`: print the plan in this style and write nothing.
    pub dry_run: Option<Style>,
    pub pace: Pace,
    pub resume: Option<PathBuf>,
    pub checkpoint: PathBuf,
    /// Report and skip records the target will never accept, instead of stopping.
    pub skip_bad: bool,
}

/// `evt produce`.
pub struct ProduceJob {
    pub topic: String,
    /// The files (stdin when none).
    pub request: Request,
    pub skip_bad: bool,
    /// One event typed by hand (`--key`, `--header`, `--value`, `--value-file`) instead.
    pub single: Option<OneEvent>,
}

/// An event given on the command line.
#[derive(Debug, Clone)]
pub struct OneEvent {
    pub key: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub value: ValueFrom,
}

/// Where a typed event's value comes from.
#[derive(Debug, Clone)]
pub enum ValueFrom {
    Text(String),
    File(PathBuf),
    Stdin,
}

/// What reading commands do with the headers of the events they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Headers {
    /// Printed or copied.
    Kept,
    /// Only filters may look at them.
    ForFilters,
}

/// The request every reading command makes of its sources.
pub(super) fn request(
    sources: Vec<SourceArg>,
    window: Window,
    filter: &cli::FilterArgs,
    mode: Mode,
    input: Option<cli::InputArg>,
    connection: &Connection,
    headers: Headers,
) -> Request {
    let filters_need_headers = !filter.headers.is_empty() || !filter.where_envelope.is_empty();
    Request {
        headers: headers == Headers::Kept || filters_need_headers,
        sources,
        window,
        keys: filter.keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
        prune: !filter.no_prune,
        mode,
        input: input.map(Input::from),
        stall_timeout: connection.timeout,
        verbose: connection.verbose,
    }
}

fn window(range: &cli::RangeArgs, partitions: Vec<i32>) -> anyhow::Result<Window> {
    let window = Window {
        partitions,
        from: parse_position("--from", &range.from)?,
        until: parse_until(range.until.as_deref())?,
    };
    window.check().map_err(EvtError::usage)?;
    Ok(window)
}

/// SOURCE arguments (quoted globs expanded) as topics and files.
pub(super) fn sources(args: &[String]) -> anyhow::Result<Vec<SourceArg>> {
    let mut all = Vec::new();
    for source in args {
        for one in expand_glob(source)? {
            all.push(SourceArg::classify(&one)?);
        }
    }
    Ok(all)
}

pub fn read_job(
    args: cli::ReadArgs,
    connection: &Connection,
    output: Output,
) -> anyhow::Result<ReadJob> {
    let mode = Mode::Bounded {
        by_time: args.order == cli::Order::Time,
    };
    let request = request(
        sources(&args.sources)?,
        window(&args.range, args.select.partitions.clone())?,
        &args.filter,
        mode,
        args.input.input,
        connection,
        printed_headers(&args.output, &args.filter),
    );
    request.check()?;
    printing(
        request,
        &args.filter,
        &args.validate,
        &args.select,
        &args.output,
        output,
    )
}

pub fn tail_job(
    args: cli::TailArgs,
    connection: &Connection,
    output: Output,
) -> anyhow::Result<ReadJob> {
    let window = Window {
        partitions: args.select.partitions.clone(),
        from: if args.lines > 0 {
            Position::FromEnd(args.lines)
        } else {
            Position::End
        },
        until: parse_until(args.until.as_deref())?,
    };
    window.check().map_err(EvtError::usage)?;
    let topics = args.topics.iter().cloned().map(SourceArg::Topic).collect();
    let request = request(
        topics,
        window,
        &args.filter,
        Mode::Follow { deadline_ms: None },
        None,
        connection,
        printed_headers(&args.output, &args.filter),
    );
    printing(
        request,
        &args.filter,
        &args.validate,
        &args.select,
        &args.output,
        output,
    )
}

/// A job that prints what `request` reads: the part `read` and `tail` share.
fn printing(
    request: Request,
    filters: &cli::FilterArgs,
    validate: &cli::InlineValidateArgs,
    select: &cli::SelectArgs,
    output_args: &cli::OutputArgs,
    output: Output,
) -> anyhow::Result<ReadJob> {
    Ok(ReadJob {
        request,
        filter: filter(filters)?,
        inline: inline_validation(validate)?,
        count: select.count,
        explain: explain_style(select.explain, output_args),
        output,
    })
}

/// `--format value` and `--jq` print no headers; the other formats do.
fn printed_headers(output: &cli::OutputArgs, filter: &cli::FilterArgs) -> Headers {
    let value_only = output.format == Some(cli::Format::Value) || filter.transform.is_some();
    // A template without %h or %{json} prints no headers either.
    let value_only = value_only
        || output
            .template
            .as_deref()
            .or(match &output.format {
                Some(cli::Format::Template(t)) => Some(t.as_str()),
                _ => None,
            })
            .and_then(|t| crate::sink::print::template::Template::parse(t).ok())
            .is_some_and(|t| !t.headers);
    if value_only {
        Headers::ForFilters
    } else {
        Headers::Kept
    }
}

/// Reports are tables unless `--format json` asks for JSON.
fn explain_style(explain: bool, output: &cli::OutputArgs) -> Option<Style> {
    explain.then_some(if output.format == Some(cli::Format::Json) {
        Style::Json
    } else {
        Style::Table
    })
}

/// `--validate PATH [--validate-by FIELD] [--only-invalid]`, compiled now: a broken schema is
/// a usage error before any connection.
fn inline_validation(args: &cli::InlineValidateArgs) -> anyhow::Result<Option<InlineValidation>> {
    let Some(schema) = &args.schema else {
        return Ok(None);
    };
    let mut schemas = Schemas::load(schema, args.schema_by.as_deref(), MissingSchema::Ignore)?;
    schemas.check_all()?;
    Ok(Some(InlineValidation {
        schemas,
        only_invalid: args.only_invalid,
    }))
}

pub fn validate_job(
    args: cli::ValidateArgs,
    connection: &Connection,
    color: bool,
) -> anyhow::Result<ValidateJob> {
    if !args.schema.exists() {
        return Err(EvtError::usage(format!(
            "--schema {}: no such file or directory",
            args.schema.display()
        )));
    }
    let missing = MissingSchema::from(args.missing_schema);
    let request = request(
        sources(&args.sources)?,
        window(&args.range, args.partitions.clone())?,
        &args.filter,
        Mode::Bounded { by_time: false },
        args.input.input,
        connection,
        Headers::ForFilters,
    );
    request.check()?;
    let mut schemas = Schemas::load(&args.schema, args.schema_by.as_deref(), missing)?;
    schemas.check_all()?;
    Ok(ValidateJob {
        color,
        request,
        filter: filter(&args.filter)?,
        schemas,
        missing,
        format: args.format.into(),
        max_errors: args.max_errors,
    })
}

/// `evt stats`.
pub struct StatsJob {
    pub request: Request,
    pub filter: Option<Filter>,
    pub id: Option<crate::analysis::path::Path>,
    pub seq: Option<crate::analysis::path::Path>,
    pub options: crate::analysis::stats::StatsOptions,
    pub fail_on: Vec<cli::FailOnArg>,
    /// `--schema`: events without a schema are counted as unchecked.
    pub schemas: Option<Schemas>,
    pub style: Style,
}

pub fn stats_job(args: cli::StatsArgs, connection: &Connection) -> anyhow::Result<StatsJob> {
    let path = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                crate::analysis::path::Path::parse(t)
                    .map_err(|e| EvtError::usage(format!("{flag} '{t}': {e}")))
            })
            .transpose()
    };
    let gap = crate::position::parse_duration(&args.gap).map_err(|e| {
        EvtError::usage(format!(
            "--gap '{}' is not a duration ({e}); write e.g. 30s, 5m",
            args.gap
        ))
    })?;
    let request = request(
        sources(&args.sources)?,
        window(&args.range, args.partitions.clone())?,
        &args.filter,
        Mode::Bounded { by_time: true },
        args.input.input,
        connection,
        Headers::ForFilters,
    );
    request.check()?;
    if args.fail_on.contains(&cli::FailOnArg::Invalid) && args.schema.is_none() {
        return Err(EvtError::usage("--fail-on invalid needs --schema PATH"));
    }
    let schemas = match &args.schema {
        Some(path) => {
            if !path.exists() {
                return Err(EvtError::usage(format!(
                    "--schema {}: no such file or directory",
                    path.display()
                )));
            }
            let mut schemas =
                Schemas::load(path, args.schema_by.as_deref(), MissingSchema::Ignore)?;
            schemas.check_all()?;
            Some(schemas)
        }
        None => None,
    };
    Ok(StatsJob {
        request,
        schemas,
        filter: filter(&args.filter)?,
        id: path("--id", &args.id)?,
        seq: path("--seq", &args.seq)?,
        options: crate::analysis::stats::StatsOptions {
            gap_ms: gap.as_millis() as i64,
            top: args.top,
        },
        fail_on: args.fail_on,
        style: match args.format {
            cli::TableFormatArg::Table => Style::Table,
            cli::TableFormatArg::Json => Style::Json,
        },
    })
}

/// `evt trace`.
pub struct TraceJob {
    pub id: String,
    /// Sources given; empty: every non-internal topic (listed by the command).
    pub request: Request,
    /// Only the key is matched: the key filter (and partition pruning) does it upstream.
    pub by_key_only: bool,
    pub fields: Vec<crate::analysis::path::Path>,
    pub header: Option<String>,
    pub type_path: crate::analysis::path::Path,
    pub expect: Option<crate::analysis::trace::Expect>,
    /// `--follow`: after the window, watch live until this clock time (ms), if given.
    pub follow: Option<Option<i64>>,
    pub filter: Option<Filter>,
    pub style: Style,
}

pub fn trace_job(args: cli::TraceArgs, connection: &Connection) -> anyhow::Result<TraceJob> {
    let path = |flag: &str, t: &str| {
        crate::analysis::path::Path::parse(t)
            .map_err(|e| EvtError::usage(format!("{flag} '{t}': {e}")))
    };
    let fields = args
        .field
        .iter()
        .map(|f| path("--field", f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let by_key_only = fields.is_empty() && args.header.is_none();
    let filter_args = cli::FilterArgs {
        keys: if by_key_only {
            vec![args.id.clone()]
        } else {
            Vec::new()
        },
        ..cli::FilterArgs::default()
    };
    let mut window = window(&args.range, Vec::new())?;
    let follow = if args.follow {
        // The window's end is now; a later --until is when to stop watching.
        let deadline = match window.until.take() {
            None => None,
            Some(Position::Time(ms)) if ms > chrono::Utc::now().timestamp_millis() => Some(ms),
            Some(_) => {
                return Err(EvtError::usage(
                    "with --follow, --until is when to stop watching: a later time (e.g. 2026-11-24T18:00)",
                ))
            }
        };
        Some(deadline)
    } else {
        None
    };
    let sources = sources(&args.sources)?;
    if follow.is_some() && sources.iter().any(|s| matches!(s, SourceArg::File(_))) {
        return Err(EvtError::usage(
            "--follow watches topics; a file has no live end (leave --follow out to trace files)",
        ));
    }
    let request = request(
        sources,
        window,
        &filter_args,
        Mode::Bounded { by_time: true },
        args.input.input,
        connection,
        if args.header.is_some() {
            Headers::Kept
        } else {
            Headers::ForFilters
        },
    );
    Ok(TraceJob {
        id: args.id,
        request,
        by_key_only,
        fields,
        header: args.header,
        type_path: path("--type", &args.type_path)?,
        expect: args
            .expect
            .as_deref()
            .map(|e| {
                crate::analysis::trace::Expect::parse(e)
                    .map_err(|why| EvtError::usage(format!("--expect: {why}")))
            })
            .transpose()?,
        follow,
        filter: filter(&filter_args)?,
        style: match args.format {
            cli::TableFormatArg::Table => Style::Table,
            cli::TableFormatArg::Json => Style::Json,
        },
    })
}

pub fn produce_job(args: cli::ProduceArgs, connection: &Connection) -> anyhow::Result<ProduceJob> {
    let mut files: Vec<SourceArg> = args.files.iter().cloned().map(SourceArg::File).collect();
    if files.is_empty() {
        files.push(SourceArg::File(PathBuf::from("-")));
    }
    let input = if args.values {
        Some(cli::InputArg::Values)
    } else {
        args.input.input
    };
    let single = (args.key.is_some()
        || !args.headers.is_empty()
        || args.value.is_some()
        || args.value_file.is_some())
    .then(|| -> anyhow::Result<OneEvent> {
        let headers = args
            .headers
            .iter()
            .map(|h| match h.split_once('=') {
                Some((name, value)) if !name.is_empty() => {
                    Ok((name.to_string(), value.as_bytes().to_vec()))
                }
                _ => Err(EvtError::usage(format!(
                    "--header {h}: expected NAME=VALUE, e.g. --header trace-id=abc"
                ))),
            })
            .collect::<anyhow::Result<_>>()?;
        let value = match (&args.value, &args.value_file) {
            (Some(text), _) => ValueFrom::Text(text.clone()),
            (None, Some(path)) if path.as_os_str() != "-" => ValueFrom::File(path.clone()),
            _ => ValueFrom::Stdin,
        };
        Ok(OneEvent {
            key: args.key.as_ref().map(|k| k.as_bytes().to_vec()),
            headers,
            value,
        })
    })
    .transpose()?;
    Ok(ProduceJob {
        single,
        topic: args.topic,
        request: request(
            files,
            Window::everything(),
            &cli::FilterArgs::default(),
            Mode::Bounded { by_time: false },
            input,
            connection,
            Headers::Kept,
        ),
        skip_bad: args.skip_bad,
    })
}

/// The filters of `args`, compiled (a jq or regex error is a usage error before anything runs).
fn filter(args: &cli::FilterArgs) -> anyhow::Result<Option<Filter>> {
    Filter::optional(&criteria(args)?)
}

/// The criteria of `args`, checked: regexes compiled here, jq programs where they run.
pub(super) fn criteria(args: &cli::FilterArgs) -> anyhow::Result<Arc<crate::filter::Criteria>> {
    use crate::filter::{Criteria, HeaderTest};
    let regex = |flag: &str, text: &str| {
        regex::bytes::Regex::new(text).map_err(|e| {
            EvtError::usage(format!(
                "{flag} '{text}' is not a valid regular expression: {}",
                one_line(&e.to_string())
            ))
        })
    };
    let headers = args
        .headers
        .iter()
        .map(|h| match h.split_once('=') {
            Some((name, re)) => Ok(HeaderTest {
                name: name.to_string(),
                value: Some(regex("--header", re)?),
            }),
            None => Ok(HeaderTest {
                name: h.clone(),
                value: None,
            }),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let criteria = Criteria {
        keys: args.keys.iter().map(|k| k.as_bytes().to_vec()).collect(),
        key_regex: args
            .key_regex
            .as_deref()
            .map(|r| regex("--key-regex", r))
            .transpose()?,
        grep: args
            .grep
            .as_deref()
            .map(|r| regex("--grep", r))
            .transpose()?,
        headers,
        where_value: args.where_value.clone(),
        where_envelope: args.where_envelope.clone(),
        transform: args.transform.clone(),
    };
    Ok(Arc::new(criteria))
}

/// The regex crate's errors span several lines; the last line says what is wrong.
fn one_line(message: &str) -> String {
    message
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .to_string()
}
/// `fixtures/*.jsonl` (quoted, so the shell left it alone) → the matching files, sorted.
/// A pattern that matches nothing is an error; a plain name is returned as it is.
fn expand_glob(source: &str) -> anyhow::Result<Vec<String>> {
    if !source.contains(['*', '?', '[']) || Path::new(source).exists() {
        return Ok(vec![source.to_string()]);
    }
    let paths = glob::glob(source)
        .map_err(|e| EvtError::usage(format!("'{source}' is not a valid glob: {e}")))?;
    let mut found: Vec<String> = paths
        .filter_map(Result::ok)
        .map(|p| p.display().to_string())
        .collect();
    if found.is_empty() {
        return Err(EvtError::usage(format!("'{source}' matches no file")));
    }
    found.sort();
    Ok(found)
}
pub fn replay_job(
    args: cli::ReplayArgs,
    source: &Connection,
    env: &Environment,
) -> anyhow::Result<ReplayJob> {
    use crate::replay::{parse_pace, Pace};
    if args.filter.transform.is_some() {
        return Err(EvtError::usage(
            "--jq reshapes what is printed; replay copies events as they are (use --where to choose them)",
        ));
    }
    let request = request(
        vec![SourceArg::classify(&args.source)?],
        window(&args.range, args.partitions.clone())?,
        &args.filter,
        Mode::Bounded { by_time: false },
        None,
        source,
        Headers::Kept,
    );
    request.check()?;
    let target = other_cluster(
        args.to_profile.as_deref(),
        args.to_brokers.as_deref(),
        source,
        env,
    )?;
    let same_cluster = same_brokers(&target.brokers, &source.brokers);
    let pace = match (&args.rate, &args.pace) {
        (Some(rate), _) => Pace::Rate(
            parse_rate(rate).map_err(|e| EvtError::usage(format!("--rate {rate}: {e}")))?,
        ),
        (None, Some(pace)) => Pace::Scaled {
            factor: parse_pace(pace).map_err(|e| EvtError::usage(format!("--pace: {e}")))?,
            max_gap: parse_duration(&args.max_gap)
                .map_err(|e| EvtError::usage(format!("--max-gap {}: {e}", args.max_gap)))?,
        },
        (None, None) => Pace::Fast,
    };
    let source_name = Path::new(&args.source)
        .file_name()
        .map_or("stdin".into(), |n| n.to_string_lossy().into_owned());
    let checkpoint = args
        .checkpoint
        .clone()
        .or(args.resume.clone())
        .unwrap_or_else(|| {
            let clean = |s: &str| {
                s.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect::<String>()
            };
            PathBuf::from(format!(
                ".evt-replay-{}-{}.json",
                clean(&source_name),
                clean(&args.to)
            ))
        });
    Ok(ReplayJob {
        filter: filter(&args.filter)?,
        request,
        target_topic: args.to,
        target,
        same_cluster,
        partitioner: args.partitioner.into(),
        provenance: !args.no_provenance,
        append: args.append,
        dry_run: args.dry_run.then_some(args.format.into()),
        pace,
        resume: args.resume,
        checkpoint,
        skip_bad: args.skip_bad,
    })
}

/// The cluster of profile `profile`, or at `brokers`, with the settings of `base`; `base`
/// itself when neither is given.
pub(super) fn other_cluster(
    profile: Option<&str>,
    brokers: Option<&str>,
    base: &Connection,
    env: &Environment,
) -> anyhow::Result<Connection> {
    Ok(match (profile, brokers) {
        (Some(name), _) => {
            let (profile_name, profile) = profile::load_profile(Some(name), env)?;
            Connection {
                brokers: profile
                    .brokers
                    .clone()
                    .unwrap_or_else(|| profile::DEFAULT_BROKERS.to_string()),
                properties: profile
                    .properties
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                creates_topics: profile_name.as_deref() != Some(profile::PLAYGROUND),
                profile: profile_name,
                readonly: profile.readonly,
                ..base.clone()
            }
        }
        (None, Some(brokers)) => Connection {
            brokers: brokers.to_string(),
            readonly: false,
            profile: None,
            creates_topics: true,
            ..base.clone()
        },
        (None, None) => base.clone(),
    })
}

/// Two bootstrap lists name the same cluster when they hold the same host:port entries.
fn same_brokers(a: &str, b: &str) -> bool {
    let set = |s: &str| {
        let mut v: Vec<String> = s
            .split(',')
            .map(|x| x.trim().to_ascii_lowercase())
            .filter(|x| !x.is_empty())
            .collect();
        v.sort();
        v
    };
    set(a) == set(b)
}

pub fn playground_options(
    args: &cli::PlaygroundArgs,
) -> anyhow::Result<crate::playground::Options> {
    let rate = rate_or_zero(&args.rate)
        .map_err(|e| EvtError::usage(format!("--rate {}: {e}", args.rate)))?;
    let history = parse_duration(&args.history)
        .map_err(|e| EvtError::usage(format!("--history {}: {e}", args.history)))?;
    if args.bench_partitions < 1 {
        return Err(EvtError::usage("--bench-partitions must be at least 1"));
    }
    let extra_topics = args
        .topics
        .iter()
        .map(
            |t| match t.rsplit_once(':').map(|(n, p)| (n, p.parse::<i32>())) {
                Some((name, Ok(partitions))) if !name.is_empty() && partitions > 0 => {
                    Ok((name.to_string(), partitions))
                }
                None if !t.is_empty() => Ok((t.clone(), 1)),
                _ => Err(EvtError::usage(format!(
                    "--topic '{t}' is not NAME:PARTITIONS, e.g. sandbox-orders:6"
                ))),
            },
        )
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(crate::playground::Options {
        extra_topics,
        history_hours: i64::try_from(history.as_secs().div_ceil(3600)).unwrap_or(24),
        rate,
        seed: args.seed,
        bench_events: args.bench_events,
        bench_partitions: args.bench_partitions,
        with_rabbitmq: args.with_rabbitmq,
    })
}

/// `5`, `5/s`, `0.5/s`, `300/m`: events per second, more than zero (`--rate 0/s` would
/// wait forever after the first event).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match rate_or_zero(text)? {
        r if r > 0.0 => Ok(r),
        _ => Err("the rate must be more than zero; try 10/s or 300/m".into()),
    }
}

/// Like [`parse_rate`], also accepting zero (the playground's "no live events").
fn rate_or_zero(text: &str) -> Result<f64, String> {
    let (number, per) = match text.split_once('/') {
        Some((n, unit)) => (n, unit),
        None => (text, "s"),
    };
    let seconds = match per {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit '/{other}'; try 10/s or 300/m")),
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n / seconds),
        _ => Err(format!("'{number}' is not a rate; try 10/s")),
    }
}

/// `--until`, when given.
pub(super) fn parse_until(text: Option<&str>) -> anyhow::Result<Option<Position>> {
    text.map(|u| parse_position("--until", u)).transpose()
}

pub(super) fn parse_position(flag: &'static str, text: &str) -> anyhow::Result<Position> {
    Position::parse(text).map_err(|reason| {
        EvtError::BadPosition {
            flag,
            text: text.to_string(),
            reason,
        }
        .into()
    })
}
#[cfg(test)]
mod rate_tests {
    use super::parse_rate;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("5"), Ok(5.0));
        assert_eq!(parse_rate("10/s"), Ok(10.0));
        assert_eq!(parse_rate("120/m"), Ok(2.0));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("5/y").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("-1/s").is_err());
        assert!(parse_rate("nan").is_err());
    }

    #[test]
    fn a_rate_must_be_positive() {
        for zero in ["0", "0/s", "0.0/m", "-0"] {
            let e = parse_rate(zero).unwrap_err();
            assert!(e.contains("more than zero"), "{zero}: {e}");
        }
        assert!(parse_rate("0.001/s").is_ok_and(|r| r > 0.0));
        // The playground's --rate 0 means "no live events".
        assert_eq!(super::rate_or_zero("0"), Ok(0.0));
    }
}

#[cfg(test)]
mod timeout_tests {
    use clap::Parser;

    use crate::cli::Cli;
    use crate::config::{Config, Job};

    /// `--timeout` is what a stalled read waits, as documented (it was three times that).
    #[test]
    fn a_stalled_read_gives_up_after_the_timeout() {
        let cli =
            Cli::try_parse_from(["evt", "read", "orders", "-b", "h:1", "--timeout", "2s"]).unwrap();
        let Job::Read(job) = Config::from_cli(cli).unwrap().job else {
            panic!("a read job");
        };
        assert_eq!(job.request.stall_timeout, std::time::Duration::from_secs(2));
    }
}
