//! `Config::from_cli`: profiles, environment, `-X` properties, positions and output decisions.
//!
//! Everything the user can get wrong is checked here, before any broker is contacted.
//! Nothing after this module reads clap structs or the environment.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{self, Cli, ColorChoice, Format, Order};
use crate::error::EvtError;
use crate::position::{parse_duration, Position};

/// The broker used when neither a flag, `EVT_BROKERS` nor a profile names one.
pub const DEFAULT_BROKERS: &str = "localhost:9092";

/// How to reach the cluster.
#[derive(Debug, Clone)]
pub struct Connection {
    pub brokers: String,
    /// librdkafka properties in the order they apply (later wins).
    pub properties: Vec<(String, String)>,
    pub timeout: Duration,
    pub profile: Option<String>,
    pub readonly: bool,
    /// 0 quiet, 1 notes on stderr, 2 librdkafka debug logs too.
    pub verbose: u8,
}

/// Everything a command needs, decided up front.
#[derive(Debug)]
pub struct Config {
    pub connection: Connection,
    /// `--playground`: start the demo broker in-process and point the connection at it.
    pub in_process_playground: bool,
    /// Where a running `evt playground` registers its address.
    pub playground_registration: Option<PathBuf>,
    pub job: Job,
}

#[derive(Debug)]
pub enum Job {
    Read(ReadJob),
    Tail(TailJob),
    Playground(crate::playground::Options),
    Replay(Box<ReplayJob>),
    Validate(ValidateJob),
    Produce(ProduceJob),
    Completions(clap_complete::Shell),
    Man(Option<PathBuf>),
}

/// Which topics and partitions, between which positions.
#[derive(Debug, Clone)]
pub struct Window {
    pub topics: Vec<String>,
    /// Empty means every partition.
    pub partitions: Vec<i32>,
    pub from: Position,
    /// `None` is the end snapshotted at start (read) or never (tail).
    pub until: Option<Position>,
}

/// Filters and whether `--key` may narrow the partitions read.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub criteria: std::sync::Arc<crate::filter::Criteria>,
    pub prune_by_key: bool,
    /// `--validate`: mark (or, with `--only-invalid`, keep only) events that fail a schema.
    pub validation: Option<InlineValidation>,
}

/// `--validate PATH [--validate-by FIELD] [--only-invalid]`.
#[derive(Debug, Clone)]
pub struct InlineValidation {
    pub schema: PathBuf,
    pub schema_by: Option<String>,
    pub only_invalid: bool,
}

impl InlineValidation {
    fn from_args(args: &cli::InlineValidateArgs) -> anyhow::Result<Option<InlineValidation>> {
        let Some(schema) = &args.schema else {
            return Ok(None);
        };
        // Compile now: a broken schema is a usage error before any connection.
        let mut schemas = crate::validate::Schemas::load(
            schema,
            args.schema_by.as_deref(),
            crate::validate::MissingSchema::Ignore,
        )?;
        schemas.check_all()?;
        Ok(Some(InlineValidation {
            schema: schema.clone(),
            schema_by: args.schema_by.clone(),
            only_invalid: args.only_invalid,
        }))
    }
}

#[derive(Debug)]
pub struct ReadJob {
    pub window: Window,
    pub selection: Selection,
    pub order: Order,
    pub count: Option<u64>,
    pub explain: bool,
    pub output: Output,
}

#[derive(Debug)]
pub struct TailJob {
    pub window: Window,
    pub selection: Selection,
    pub count: Option<u64>,
    pub explain: bool,
    pub output: Output,
}

/// Where a replay reads from.
#[derive(Debug, Clone)]
pub enum ReplaySource {
    Topic(Window),
    /// An envelope file (`-` is stdin).
    File(PathBuf),
}

#[derive(Debug)]
pub struct ReplayJob {
    pub source: ReplaySource,
    pub target_topic: String,
    /// The cluster written to (the source's unless --to-brokers/--to-profile).
    pub target: Connection,
    pub same_cluster: bool,
    pub selection: Selection,
    pub partitioner: cli::Partitioner,
    pub provenance: bool,
    pub append: bool,
    pub dry_run: bool,
    pub pace: crate::replay::Pace,
    pub resume: Option<PathBuf>,
    pub checkpoint: PathBuf,
}

#[derive(Debug)]
pub struct ValidateJob {
    pub files: Vec<PathBuf>,
    /// Topics, read over `window`.
    pub window: Window,
    pub selection: Selection,
    pub schema: PathBuf,
    pub schema_by: Option<String>,
    pub missing: crate::validate::MissingSchema,
    pub format: crate::output::violations::ReportFormat,
    pub max_errors: Option<u64>,
}

#[derive(Debug)]
pub struct ProduceJob {
    pub topic: String,
    /// Empty: stdin.
    pub files: Vec<PathBuf>,
    pub values: bool,
    pub skip_bad: bool,
}

/// How events are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub format: Format,
    pub color: bool,
}

impl Config {
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        let env = Environment::capture();
        let connection = Connection::from_args(&cli.connection, cli.verbose, &env)?;
        let in_process_playground = cli.connection.playground;
        let stdout_is_terminal = std::io::stdout().is_terminal();
        let job = match cli.command {
            cli::Command::Read(args) => Job::Read(ReadJob {
                window: Window {
                    topics: args.topics,
                    partitions: args.select.partitions,
                    from: parse_position("--from", &args.range.from)?,
                    until: parse_until(args.range.until.as_deref())?,
                },
                selection: Selection {
                    validation: InlineValidation::from_args(&args.validate)?,
                    ..selection(&args.filter)?
                },
                order: args.order,
                count: args.select.count,
                explain: args.select.explain,
                output: Output::decide(&args.output, stdout_is_terminal, &env),
            }),
            cli::Command::Tail(args) => Job::Tail(TailJob {
                window: Window {
                    topics: args.topics,
                    partitions: args.select.partitions,
                    from: if args.lines > 0 {
                        Position::FromEnd(args.lines)
                    } else {
                        Position::End
                    },
                    until: parse_until(args.until.as_deref())?,
                },
                selection: Selection {
                    validation: InlineValidation::from_args(&args.validate)?,
                    ..selection(&args.filter)?
                },
                count: args.select.count,
                explain: args.select.explain,
                output: Output::decide(&args.output, stdout_is_terminal, &env),
            }),
            cli::Command::Playground(args) => Job::Playground(playground_options(&args)?),
            cli::Command::Replay(args) => {
                Job::Replay(Box::new(replay_job(args, &connection, &env)?))
            }
            cli::Command::Validate(args) => Job::Validate(validate_job(args)?),
            cli::Command::Produce(args) => Job::Produce(ProduceJob {
                topic: args.topic,
                files: args
                    .files
                    .into_iter()
                    .filter(|f| f.as_os_str() != "-")
                    .collect(),
                values: args.values,
                skip_bad: args.skip_bad,
            }),
            cli::Command::Completions(args) => Job::Completions(args.shell),
            cli::Command::Man(args) => Job::Man(args.dir),
        };
        Ok(Config {
            connection,
            in_process_playground,
            playground_registration: crate::playground::registration_file(
                env.profile_file().as_deref(),
            ),
            job,
        })
    }
}

fn selection(args: &cli::FilterArgs) -> anyhow::Result<Selection> {
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
    criteria
        .check()
        .map_err(|e| EvtError::usage(e.to_string()))?;
    Ok(Selection {
        criteria: std::sync::Arc::new(criteria),
        prune_by_key: !args.no_prune,
        validation: None,
    })
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

fn validate_job(args: cli::ValidateArgs) -> anyhow::Result<ValidateJob> {
    let mut sources = Vec::new();
    for source in &args.sources {
        sources.extend(expand_glob(source)?);
    }
    let (files, topics): (Vec<String>, Vec<String>) = sources
        .into_iter()
        .partition(|s| s == "-" || Path::new(s).is_file());
    if let Some(missing) = topics.iter().find(|t| looks_like_path(t)) {
        return Err(EvtError::usage(format!(
            "{missing}: no such file (a topic name has no '/' and no .json ending)"
        )));
    }
    if !args.schema.exists() {
        return Err(EvtError::usage(format!(
            "--schema {}: no such file or directory",
            args.schema.display()
        )));
    }
    Ok(ValidateJob {
        files: files.into_iter().map(PathBuf::from).collect(),
        window: Window {
            topics,
            partitions: args.partitions,
            from: parse_position("--from", &args.range.from)?,
            until: parse_until(args.range.until.as_deref())?,
        },
        selection: selection(&args.filter)?,
        schema: args.schema,
        schema_by: args.schema_by,
        missing: args.missing_schema,
        format: args.format,
        max_errors: args.max_errors,
    })
}

/// Topic names cannot hold '/', and rarely end like JSON files: such a SOURCE is a file path.
fn looks_like_path(source: &str) -> bool {
    source.contains('/')
        || [".json", ".jsonl", ".ndjson"]
            .iter()
            .any(|e| source.ends_with(e))
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

fn replay_job(
    args: cli::ReplayArgs,
    source: &Connection,
    env: &Environment,
) -> anyhow::Result<ReplayJob> {
    use crate::replay::{parse_pace, Pace};
    let is_file = args.source == "-" || Path::new(&args.source).is_file();
    if !is_file && looks_like_path(&args.source) {
        return Err(EvtError::usage(format!(
            "{}: no such file (a topic name has no '/' and no .json ending)",
            args.source
        )));
    }
    let source_spec = if is_file {
        ReplaySource::File(PathBuf::from(&args.source))
    } else {
        ReplaySource::Topic(Window {
            topics: vec![args.source.clone()],
            partitions: args.partitions.clone(),
            from: parse_position("--from", &args.range.from)?,
            until: parse_until(args.range.until.as_deref())?,
        })
    };
    let target = match (&args.to_profile, &args.to_brokers) {
        (Some(name), _) => {
            let (profile_name, profile) = load_profile(Some(name), env)?;
            Connection {
                brokers: profile
                    .brokers
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BROKERS.to_string()),
                properties: profile
                    .properties
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                profile: profile_name,
                readonly: profile.readonly,
                ..source.clone()
            }
        }
        (None, Some(brokers)) => Connection {
            brokers: brokers.clone(),
            readonly: false,
            profile: None,
            ..source.clone()
        },
        (None, None) => source.clone(),
    };
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
        source: source_spec,
        target_topic: args.to,
        target,
        same_cluster,
        selection: selection(&args.filter)?,
        partitioner: args.partitioner,
        provenance: !args.no_provenance,
        append: args.append,
        dry_run: args.dry_run,
        pace,
        resume: args.resume,
        checkpoint,
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

fn playground_options(args: &cli::PlaygroundArgs) -> anyhow::Result<crate::playground::Options> {
    let rate = parse_rate(&args.rate)
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
    })
}

/// `5`, `5/s`, `0.5/s`, `300/m`: events per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
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
fn parse_until(text: Option<&str>) -> anyhow::Result<Option<Position>> {
    text.map(|u| parse_position("--until", u)).transpose()
}

fn parse_position(flag: &str, text: &str) -> anyhow::Result<Position> {
    Position::parse(text).map_err(|e| EvtError::usage(format!("{flag} {text}: {e}")))
}

/// The environment variables evt reads, captured once.
#[derive(Debug, Default)]
struct Environment {
    no_color: bool,
    dumb_terminal: bool,
    config_path: Option<PathBuf>,
    home: Option<PathBuf>,
    xdg_config_home: Option<PathBuf>,
}

impl Environment {
    fn capture() -> Environment {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Environment {
            no_color: non_empty("NO_COLOR").is_some(),
            dumb_terminal: std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            config_path: non_empty("EVT_CONFIG").map(PathBuf::from),
            home: non_empty("HOME").map(PathBuf::from),
            xdg_config_home: non_empty("XDG_CONFIG_HOME").map(PathBuf::from),
        }
    }

    /// `EVT_CONFIG`, else `$XDG_CONFIG_HOME/evt/config.toml`, else `~/.config/evt/config.toml`.
    fn profile_file(&self) -> Option<PathBuf> {
        if let Some(path) = &self.config_path {
            return Some(path.clone());
        }
        let base = self
            .xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")))?;
        Some(base.join("evt").join("config.toml"))
    }
}

impl Output {
    fn decide(args: &cli::OutputArgs, stdout_is_terminal: bool, env: &Environment) -> Output {
        let format = args.format.unwrap_or(if stdout_is_terminal {
            Format::Pretty
        } else {
            Format::Json
        });
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stdout_is_terminal && !env.no_color && !env.dumb_terminal,
        };
        Output { format, color }
    }
}

/// `~/.config/evt/config.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    /// The profile used when none is named.
    #[serde(default)]
    default: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    #[serde(default)]
    brokers: Option<String>,
    #[serde(default)]
    properties: BTreeMap<String, String>,
    #[serde(default)]
    readonly: bool,
}

impl Connection {
    fn from_args(
        args: &cli::ConnectionArgs,
        verbose: u8,
        env: &Environment,
    ) -> anyhow::Result<Connection> {
        let timeout = parse_duration(&args.timeout)
            .map_err(|e| EvtError::usage(format!("--timeout {}: {e}", args.timeout)))?;
        if timeout.is_zero() {
            return Err(EvtError::usage(
                "--timeout must be more than zero, e.g. 10s",
            ));
        }
        let (profile_name, profile) = load_profile(args.profile.as_deref(), env)?;
        let mut properties: Vec<(String, String)> = profile
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(path) = &args.config_file {
            properties.extend(read_properties_file(path)?);
        }
        for p in &args.properties {
            properties.push(parse_property(p).map_err(|e| EvtError::usage(format!("-X {e}")))?);
        }
        let from_properties = properties
            .iter()
            .rev()
            .find(|(k, _)| k == "bootstrap.servers" || k == "metadata.broker.list")
            .map(|(_, v)| v.clone());
        let brokers = args
            .brokers
            .clone()
            .or(profile.brokers.clone())
            .or(from_properties)
            .unwrap_or_else(|| DEFAULT_BROKERS.to_string());
        Ok(Connection {
            brokers,
            properties,
            timeout,
            profile: profile_name,
            readonly: profile.readonly,
            verbose,
        })
    }

    /// The properties with secrets masked, for `-v` output and error messages.
    pub fn redacted_properties(&self) -> Vec<(String, String)> {
        self.properties
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret(k) {
                    "[redacted]".to_string()
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect()
    }
}

/// Properties whose values must never be printed.
pub fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "oauthbearer.config",
        "ssl.key.pem",
        "jaas",
    ]
    .iter()
    .any(|s| key.contains(s))
}

fn load_profile(
    requested: Option<&str>,
    env: &Environment,
) -> anyhow::Result<(Option<String>, Profile)> {
    let Some(path) = env.profile_file() else {
        return match requested {
            Some(name) => Err(EvtError::usage(format!(
                "profile '{name}' requested but no config file location (set HOME or EVT_CONFIG)"
            ))),
            None => Ok((None, Profile::default())),
        };
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && requested.is_none() => {
            return Ok((None, Profile::default()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && requested == Some(PLAYGROUND) => {
            return playground_profile(&path)
        }
        Err(e) => {
            return Err(EvtError::usage(format!(
                "cannot read profiles from {}: {e}; create it or set EVT_CONFIG",
                path.display()
            )))
        }
    };
    let mut file: ProfileFile = toml::from_str(&text).map_err(|e| {
        EvtError::usage(format!(
            "{} is not a valid evt config: {}",
            path.display(),
            e.message()
        ))
    })?;
    let Some(name) = requested.map(str::to_string).or(file.default.clone()) else {
        return Ok((None, Profile::default()));
    };
    match file.profiles.remove(&name) {
        Some(profile) => Ok((Some(name), profile)),
        None if name == PLAYGROUND => playground_profile(&path),
        None => {
            let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
            Err(EvtError::usage(format!(
                "profile '{name}' not found in {}; known profiles: {}",
                path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )))
        }
    }
}

/// The profile a running `evt playground` registers.
pub const PLAYGROUND: &str = "playground";

fn playground_profile(config_file: &Path) -> anyhow::Result<(Option<String>, Profile)> {
    let registration = crate::playground::registration_file(Some(config_file))
        .expect("a config file path has a directory");
    match std::fs::read_to_string(&registration) {
        Ok(addr) if !addr.trim().is_empty() => Ok((
            Some(PLAYGROUND.to_string()),
            Profile {
                brokers: Some(addr.trim().to_string()),
                ..Profile::default()
            },
        )),
        _ => Err(EvtError::usage(
            "no playground is running; start one with `evt playground` in another terminal, \
             or add --playground to run one inside this command",
        )),
    }
}

fn parse_property(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!(
            "'{text}' is not key=value, e.g. -X security.protocol=SSL"
        )),
    }
}

/// Reads a kcat.conf-style file: `key=value` lines, `#` comments, blank lines.
fn read_properties_file(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EvtError::usage(format!("cannot read --config {}: {e}", path.display())))?;
    parse_properties(&text)
        .map_err(|(line, e)| EvtError::usage(format!("{}:{line}: {e}", path.display())))
}

fn parse_properties(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| parse_property(l).map_err(|e| (n, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn env_with(config: Option<&Path>) -> Environment {
        Environment {
            config_path: config.map(Path::to_path_buf),
            ..Environment::default()
        }
    }

    fn connection(args: &[&str], env: &Environment) -> anyhow::Result<Connection> {
        let mut argv = vec!["evt"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["read", "t"]);
        let cli = Cli::try_parse_from(argv).unwrap();
        Connection::from_args(&cli.connection, 0, env)
    }

    #[test]
    fn properties_file_format() {
        let parsed = parse_properties("# comment\n\nsecurity.protocol = SSL\nsasl.password=a=b\n");
        assert_eq!(
            parsed.unwrap(),
            vec![
                ("security.protocol".into(), "SSL".into()),
                ("sasl.password".into(), "a=b".into())
            ]
        );
        assert_eq!(parse_properties("ok=1\nbroken").unwrap_err().0, 2);
    }

    #[test]
    fn precedence_flag_over_profile_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(
            &file,
            "default = \"dev\"\n[profiles.dev]\nbrokers = \"dev:9092\"\n\
             [profiles.prod]\nbrokers = \"prod:9092\"\nreadonly = true\n\
             [profiles.prod.properties]\n\"sasl.password\" = \"hunter2\"\n",
        )
        .unwrap();
        let env = env_with(Some(&file));
        assert_eq!(connection(&[], &env).unwrap().brokers, "dev:9092");
        let prod = connection(&["--profile", "prod"], &env).unwrap();
        assert_eq!(prod.brokers, "prod:9092");
        assert!(prod.readonly);
        assert_eq!(
            prod.redacted_properties(),
            vec![("sasl.password".into(), "[redacted]".into())]
        );
        let flag = connection(&["--profile", "prod", "-b", "flag:1"], &env).unwrap();
        assert_eq!(flag.brokers, "flag:1");
        let err = connection(&["--profile", "nope"], &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("known profiles: dev, prod"), "{err}");
    }

    #[test]
    fn no_config_file_means_defaults() {
        let env = env_with(Some(Path::new("/nonexistent/evt.toml")));
        let c = connection(&[], &env).unwrap();
        assert_eq!(c.brokers, DEFAULT_BROKERS);
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert!(connection(&["--profile", "x"], &env).is_err());
    }

    #[test]
    fn x_properties_and_config_file_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kcat.conf");
        std::fs::write(&file, "client.id=fromfile\nbootstrap.servers=file:1\n").unwrap();
        let env = env_with(None);
        let path = file.to_str().unwrap();
        let c = connection(&["--config", path, "-X", "client.id=flag"], &env).unwrap();
        assert_eq!(c.brokers, "file:1");
        assert_eq!(
            c.properties.last().unwrap(),
            &("client.id".into(), "flag".into())
        );
        assert!(connection(&["-X", "novalue"], &env).is_err());
        assert!(connection(&["--timeout", "0s"], &env).is_err());
        assert!(connection(&["--timeout", "5x"], &env).is_err());
    }

    #[test]
    fn secrets_are_recognised() {
        for k in [
            "sasl.password",
            "ssl.key.password",
            "ssl.key.pem",
            "sasl.oauthbearer.config",
        ] {
            assert!(is_secret(k), "{k}");
        }
        assert!(!is_secret("security.protocol"));
    }
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
    }
}
