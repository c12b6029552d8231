//! The command line, as clap derive structs: names, help and value parsing only, no logic.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// evt: a debugger for event-driven systems on Kafka-protocol brokers.
///
/// Follow topics live, travel back to any offset or time and read a window in order.
#[derive(Debug, Parser)]
#[command(name = "evt", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// More detail on stderr (-v: plan and progress notes, -vv: librdkafka debug logs).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// The options of [`ConnectionArgs`], by id.
const CONNECTION: [&str; 6] = [
    "brokers",
    "properties",
    "config_file",
    "profile",
    "timeout",
    "playground",
];
/// The commands that never connect to a broker.
const OFFLINE: [&str; 3] = ["playground", "completions", "man"];

/// The command line as evt parses it, built: the connection options are hidden from the
/// commands that never connect (`playground`, `completions`, `man`), in their help, man pages
/// and completions.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    for name in OFFLINE {
        if let Some(sub) = cmd.find_subcommand_mut(name) {
            *sub = std::mem::take(sub).mut_args(|a| {
                if CONNECTION.contains(&a.get_id().as_str()) {
                    a.hide(true)
                } else {
                    a
                }
            });
        }
    }
    cmd
}

/// A connection option given on the command line to a command that never connects: it would
/// be ignored, so it is refused (the message says which and why).
pub fn refuse_unused(matches: &clap::ArgMatches) -> Result<(), String> {
    let Some((name, sub)) = matches.subcommand() else {
        return Ok(());
    };
    if !OFFLINE.contains(&name) {
        return Ok(());
    }
    for id in CONNECTION {
        if sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
            let flag = match id {
                "properties" => "-X".to_string(),
                "config_file" => "--config".to_string(),
                other => format!("--{other}"),
            };
            return Err(format!(
                "{flag} does nothing for `evt {name}`, which connects to no broker; leave it out"
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Bootstrap brokers, comma separated (host:port,…), or a RabbitMQ Streams address
    /// (rabbitmq-stream://user:password@host:5552/vhost). Default: the profile's, else
    /// localhost:9092.
    #[arg(short, long, env = "EVT_BROKERS", global = true, value_name = "LIST")]
    pub brokers: Option<String>,

    /// A librdkafka property (repeatable), e.g. -X security.protocol=SASL_SSL; on RabbitMQ
    /// Streams, key.property=NAME (the application property that holds the key).
    #[arg(short = 'X', value_name = "KEY=VALUE", global = true)]
    pub properties: Vec<String>,

    /// A file of key=value librdkafka properties (the kcat.conf format).
    #[arg(long = "config", value_name = "FILE", global = true)]
    pub config_file: Option<PathBuf>,

    /// A profile from ~/.config/evt/config.toml (override the file with EVT_CONFIG).
    #[arg(long, env = "EVT_PROFILE", global = true, value_name = "NAME")]
    pub profile: Option<String>,

    /// How long to wait for the broker before failing (e.g. 10s, 500ms, 1m).
    #[arg(long, global = true, value_name = "DURATION", default_value = "10s")]
    pub timeout: String,

    /// Start the demo broker in-process for this one command and read from it.
    #[arg(long, global = true, conflicts_with_all = ["brokers", "profile"])]
    pub playground: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a bounded window of events (time travel) from topics or files, then exit.
    ///
    /// Examples: evt read orders --from 2h; evt read orders -p 0 --from -100;
    /// evt read orders payments --from 2026-11-24T10:00 --until 2026-11-24T10:05;
    /// evt read dump.jsonl --where '.status == "FAILED"'
    Read(ReadArgs),
    /// Follow new events live, like tail -f, until Ctrl-C.
    ///
    /// Examples: evt tail orders; evt tail orders -n 10; evt tail orders payments --count 5
    Tail(TailArgs),
    /// Copy a window of a topic (or an envelope file) into a sandbox topic, faithfully and safely.
    ///
    /// Keeps key, value, headers, timestamp and partition; adds an evt-source header; refuses
    /// the source topic, readonly profiles and non-empty targets (without --append).
    /// Example: evt replay orders --from 2h --to sandbox-orders
    Replay(ReplayArgs),
    /// Write envelope lines (JSONL, as evt read prints them) into a topic, byte for byte.
    ///
    /// Example: evt read orders --from 1h > dump.jsonl; evt produce sandbox-orders dump.jsonl
    Produce(ProduceArgs),
    /// Check events against JSON Schemas: topic windows, or fixture files in CI.
    ///
    /// Exit 0 when all are valid, 1 when violations were found, 2 for a bad schema or usage.
    /// Examples: evt validate --schema fixtures/schemas/orders.json fixtures/orders.jsonl;
    /// evt validate orders payments --from 1h --schema fixtures/schemas/
    Validate(ValidateArgs),
    /// Compare two streams (topic windows or files), paired by key, a field or offset, as JSON.
    ///
    /// Exit 0 when identical, 1 when different, 2 for usage, 3 for the broker.
    /// Examples: evt diff orders sandbox-orders --from 1h; evt diff fixtures/expected.jsonl orders;
    /// evt diff orders orders --left-from 2h --left-until 1h --right-from 1h --by .order_id
    Diff(DiffArgs),
    /// Diagnose a stream in one pass: counts, rate over time and gaps, keys, payload sizes,
    /// duplicates, timestamps out of order, per-key sequence faults.
    ///
    /// Exit 1 with --fail-on when a named fault is found. Examples: evt stats orders --from 1d;
    /// evt stats payments --from 1d --id .event_id --fail-on duplicates;
    /// evt stats orders --seq .version --from 2h
    Stats(StatsArgs),
    /// One business transaction across topics: every event whose key (or --field, or
    /// --header) is ID, as one timeline with what changed at each step.
    ///
    /// With --expect, exit 1 when the flow stopped or a compensation is missing. Examples:
    /// evt trace order-17 --from 1d; evt trace order-17 orders payments --type .type
    /// --expect 'OrderCreated,PaymentAuthorized,OrderShipped,PaymentFailed->OrderCancelled'
    Trace(TraceArgs),
    /// List topics: partitions, replication, events between watermarks, retention.
    ///
    /// Internal topics (names starting with _) are hidden unless --all.
    /// Examples: evt topics; evt topics 'orders*' --format json
    Topics(TopicsArgs),
    /// Describe topics: per partition leader, replicas, watermarks, oldest and newest event
    /// (how far back you can travel), the configs that matter and when history expires.
    ///
    /// Example: evt describe orders payments
    Describe(DescribeArgs),
    /// The offset of every partition at a position of the grammar (time, offset, relative).
    ///
    /// Examples: evt offsets orders --at 2026-11-24T14:05; evt offsets orders --at 2h -p 0
    Offsets(OffsetsArgs),
    /// List consumer groups: state, members, protocol, topics with committed offsets.
    ///
    /// Example: evt groups 'billing-*'
    Groups(GroupsArgs),
    /// Consumer lag per partition, in events and in time (the age of the first unconsumed
    /// event), with each group's status.
    ///
    /// Exit 1 when --max-lag or --max-lag-time is exceeded. Examples: evt lag; evt lag billing
    /// --max-lag-time 5m; evt lag billing --watch 10s
    Lag(LagArgs),
    /// Run an embedded broker with demo data (order saga, trades, faults) until Ctrl-C.
    ///
    /// Other evt commands reach it with --profile playground; other clients (kcat) with the
    /// bootstrap address it prints.
    Playground(PlaygroundArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(CompletionsArgs),
    /// Print the man page, or write one page per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The source: a topic, or an envelope file (JSONL, `-` for stdin).
    #[arg(value_name = "SOURCE")]
    pub source: String,

    /// The target topic (created with the source's partition count when missing).
    #[arg(long, value_name = "TOPIC")]
    pub to: String,

    #[command(flatten)]
    pub range: RangeArgs,

    /// Only these source partitions, comma separated.
    #[arg(short, long = "partition", value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<i32>,

    /// Write into another cluster (bootstrap brokers).
    #[arg(long, value_name = "LIST", conflicts_with = "to_profile")]
    pub to_brokers: Option<String>,

    /// Write into the cluster of this profile.
    #[arg(long, value_name = "NAME")]
    pub to_profile: Option<String>,

    /// How target partitions are chosen: the source partition, or the key's hash.
    #[arg(long, value_enum, default_value_t = PartitionerArg::Same)]
    pub partitioner: PartitionerArg,

    /// Do not add the evt-source header (topic/partition/offset of the original).
    #[arg(long)]
    pub no_provenance: bool,

    /// Allow writing into a target that already holds events.
    #[arg(long)]
    pub append: bool,

    /// Print the plan (per partition: offsets, count, first/last time, target) and write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// How --dry-run prints its plan: a table, or JSON.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportStyleArg::Table, requires = "dry_run")]
    pub format: ReportStyleArg,

    /// At most N events per second (e.g. 100/s, 600/m).
    #[arg(long, value_name = "N/s", conflicts_with = "pace")]
    pub rate: Option<String>,

    /// Keep the original gaps between events, scaled: 1x, 10x (ten times faster), 0.5x.
    #[arg(long, value_name = "FACTOR")]
    pub pace: Option<String>,

    /// With --pace, the longest wait between two events (idle gaps are cut to this).
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub max_gap: String,

    /// Continue an interrupted replay from its checkpoint file (no duplicates, no gaps).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "until", "partitions"])]
    pub resume: Option<PathBuf>,

    /// Where to keep the checkpoint. Default: .evt-replay-SOURCE-TARGET.json here.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,

    /// Report records the target will never accept (too large, or malformed lines in a file)
    /// and go on, instead of stopping at the first one.
    #[arg(long)]
    pub skip_bad: bool,

    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The left side: a topic, or a file (JSONL envelopes or values, a JSON array; `-` is stdin).
    #[arg(value_name = "LEFT")]
    pub left: String,

    /// The right side, the same way.
    #[arg(value_name = "RIGHT")]
    pub right: String,

    #[command(flatten)]
    pub range: RangeArgs,

    /// For topics: only these partitions, comma separated.
    #[arg(short, long = "partition", value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<i32>,

    /// Where the left side starts (overrides --from).
    #[arg(
        long,
        value_name = "POS",
        allow_hyphen_values = true,
        help_heading = "Sides"
    )]
    pub left_from: Option<String>,

    /// Where the left side stops (overrides --until).
    #[arg(
        long,
        value_name = "POS",
        allow_hyphen_values = true,
        help_heading = "Sides"
    )]
    pub left_until: Option<String>,

    /// Where the right side starts (overrides --from).
    #[arg(
        long,
        value_name = "POS",
        allow_hyphen_values = true,
        help_heading = "Sides"
    )]
    pub right_from: Option<String>,

    /// Where the right side stops (overrides --until).
    #[arg(
        long,
        value_name = "POS",
        allow_hyphen_values = true,
        help_heading = "Sides"
    )]
    pub right_until: Option<String>,

    /// Read the left side from this cluster (bootstrap brokers).
    #[arg(
        long,
        value_name = "LIST",
        conflicts_with = "left_profile",
        help_heading = "Sides"
    )]
    pub left_brokers: Option<String>,

    /// Read the left side from the cluster of this profile.
    #[arg(long, value_name = "NAME", help_heading = "Sides")]
    pub left_profile: Option<String>,

    /// Read the right side from this cluster (bootstrap brokers).
    #[arg(
        long,
        value_name = "LIST",
        conflicts_with = "right_profile",
        help_heading = "Sides"
    )]
    pub right_brokers: Option<String>,

    /// Read the right side from the cluster of this profile.
    #[arg(long, value_name = "NAME", help_heading = "Sides")]
    pub right_profile: Option<String>,

    /// How events are paired: key, offset (partition and offset), or a path into the value
    /// such as .order_id. Several events under one id pair in order.
    #[arg(
        long,
        value_name = "key|offset|.PATH",
        default_value = "key",
        help_heading = "Comparison"
    )]
    pub by: String,

    /// What is compared: the value, or the envelope (value, key, headers and timestamp).
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = CompareArg::Value, help_heading = "Comparison")]
    pub compare: CompareArg,

    /// A path into the value left out of the comparison (repeatable), e.g. .updated_at or
    /// .items[].updated_at ([] is every element).
    #[arg(long = "ignore", value_name = "PATH", help_heading = "Comparison")]
    pub ignore: Vec<String>,

    /// With --compare envelope: headers do not count.
    #[arg(long, help_heading = "Comparison")]
    pub ignore_headers: bool,

    /// With --compare envelope: timestamps do not count.
    #[arg(long, help_heading = "Comparison")]
    pub ignore_timestamps: bool,

    /// The most memory spent holding events while pairing (e.g. 512M, 4G). Sides in the same
    /// order need little; past it, evt stops and says so. Default: 1G, or half the memory
    /// available when that is less.
    #[arg(long, value_name = "SIZE", help_heading = "Comparison")]
    pub max_memory: Option<String>,

    /// Output: text (a summary, then each difference), json (one object per difference, then
    /// the summary), patch (an RFC 6902 JSON Patch per changed event).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DiffFormatArg::Text, help_heading = "Output")]
    pub format: DiffFormatArg,

    /// Show at most N differences (the counts stay complete).
    #[arg(long, value_name = "N", help_heading = "Output")]
    pub max_diffs: Option<u64>,

    /// Print nothing: the exit code says it (0 identical, 1 different).
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,

    /// When to use colour (NO_COLOR and TERM=dumb are honoured under auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Topics, or files (`-` is stdin).
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,

    /// Duplicates are events with the same value at this path (e.g. .event_id); without
    /// it, events whose key and value are both identical.
    #[arg(long, value_name = "PATH")]
    pub id: Option<String>,

    /// A per-key sequence number at this path (e.g. .version): gaps and regressions are
    /// counted per key.
    #[arg(long, value_name = "PATH")]
    pub seq: Option<String>,

    /// List quiet stretches longer than this (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub gap: String,

    /// How many of the most frequent keys to show.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub top: usize,

    /// Count valid and invalid events per schema: a schema file, or a directory of schemas
    /// named <topic>.json (or <FIELD value>.json with --schema-by).
    #[arg(long, value_name = "PATH")]
    pub schema: Option<PathBuf>,

    /// In a schema directory, choose the schema by this field of the event, e.g. .type.
    #[arg(long, value_name = "FIELD", requires = "schema")]
    pub schema_by: Option<String>,

    /// Exit 1 when any of these is found: duplicates, out-of-order, sequence, invalid.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_enum)]
    pub fail_on: Vec<FailOnArg>,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,

    #[command(flatten)]
    pub range: RangeArgs,

    /// For topics: only these partitions.
    #[arg(short, long = "partition", value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<i32>,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The id: a key, or a value of --field or --header.
    #[arg(value_name = "ID")]
    pub id: String,

    /// Topics or files (default: every topic but internal ones).
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Match this field of the value too (repeatable, e.g. one per topic: .order_id, .id).
    #[arg(long, value_name = "PATH")]
    pub field: Vec<String>,

    /// Match this header too (e.g. trace-id).
    #[arg(long, value_name = "NAME")]
    pub header: Option<String>,

    /// The event type: this field of the value (e.g. .type).
    #[arg(long = "type", value_name = "PATH", default_value = ".type")]
    pub type_path: String,

    /// The expected flow: the happy path in order and failure->compensation pairs, e.g.
    /// 'OrderCreated,PaymentAuthorized,OrderShipped,PaymentFailed->OrderCancelled'.
    #[arg(long, value_name = "TYPES")]
    pub expect: Option<String>,

    /// After the window, keep watching live: each new event of the id as it comes, until
    /// Ctrl-C, --until (a later time) or, with --expect, the flow completes or is compensated.
    #[arg(long)]
    pub follow: bool,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,

    #[command(flatten)]
    pub range: RangeArgs,

    #[command(flatten)]
    pub input: InputArgs,
}

/// A fault that makes `evt stats` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Duplicates,
    OutOfOrder,
    Sequence,
    /// Events that fail their schema (with --schema).
    Invalid,
}

/// The form of an inspection report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormatArg {
    /// A table for people.
    Table,
    /// JSON for machines (field names are stable and documented in the README).
    Json,
}

#[derive(Debug, Args)]
pub struct TopicsArgs {
    /// Only topics whose name matches this glob (e.g. 'orders*').
    #[arg(value_name = "GLOB")]
    pub glob: Option<String>,

    /// Also internal topics (__consumer_offsets, _schemas, …).
    #[arg(long)]
    pub all: bool,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,
}

#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Topics to describe.
    #[arg(value_name = "TOPIC", required = true)]
    pub topics: Vec<String>,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,
}

#[derive(Debug, Args)]
pub struct OffsetsArgs {
    /// Topics.
    #[arg(value_name = "TOPIC", required = true)]
    pub topics: Vec<String>,

    /// The position (the --from grammar: 2h, 2026-11-24T14:05, @EPOCH_MS, -100, 1234, end).
    #[arg(long, value_name = "POS", allow_hyphen_values = true)]
    pub at: String,

    /// Only these partitions, comma separated.
    #[arg(short, long = "partition", value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<i32>,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,
}

#[derive(Debug, Args)]
pub struct GroupsArgs {
    /// Only groups whose id matches this glob.
    #[arg(value_name = "GLOB")]
    pub glob: Option<String>,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,
}

#[derive(Debug, Args)]
pub struct LagArgs {
    /// Groups (globs allowed); all groups when none is given.
    #[arg(value_name = "GROUP")]
    pub groups: Vec<String>,

    /// Only these topics (repeatable). Needed on RabbitMQ Streams, where GROUP is a
    /// consumer's reference name and the broker cannot list streams.
    #[arg(long = "topic", short = 't', value_name = "TOPIC")]
    pub topics: Vec<String>,

    /// Exit 1 when a group is more than N events behind (its total over partitions).
    #[arg(long, value_name = "N")]
    pub max_lag: Option<u64>,

    /// Exit 1 when a group's oldest unconsumed event is older than this (e.g. 5m, 30s).
    #[arg(long, value_name = "DURATION")]
    pub max_lag_time: Option<String>,

    /// Sample again every INTERVAL (default 5s) until Ctrl-C, refreshing in place on a
    /// terminal; the status then follows the samples (stalled, stopped, rewind, …).
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "5s")]
    pub watch: Option<String>,

    /// With --watch: stop after N samples (exit as without --watch).
    #[arg(long, value_name = "N", requires = "watch")]
    pub samples: Option<u32>,

    /// Show every partition, also those caught up.
    #[arg(long)]
    pub all_partitions: bool,

    #[arg(long, value_enum, default_value_t = TableFormatArg::Table)]
    pub format: TableFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareArg {
    /// The value only.
    Value,
    /// Value, key, headers and timestamp.
    Envelope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormatArg {
    Text,
    Json,
    Patch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PartitionerArg {
    /// The source partition (the target needs at least as many partitions).
    Same,
    /// murmur2 of the key, as the Java client does.
    Key,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Topics, or files: JSONL envelopes, JSONL values, or a JSON array (`-` is stdin).
    #[arg(value_name = "SOURCE", required = true)]
    pub sources: Vec<String>,

    /// A schema file, or a directory of schemas named <topic>.json (or <FIELD value>.json).
    #[arg(long, value_name = "PATH")]
    pub schema: PathBuf,

    /// In a schema directory, choose the schema by this field of the event, e.g. .type.
    #[arg(long, value_name = "FIELD")]
    pub schema_by: Option<String>,

    /// What an event without a schema is.
    #[arg(long, value_enum, default_value_t = MissingSchemaArg::Error)]
    pub missing_schema: MissingSchemaArg,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormatArg::Text)]
    pub format: ReportFormatArg,

    /// Stop after N invalid events.
    #[arg(long, value_name = "N")]
    pub max_errors: Option<u64>,

    #[command(flatten)]
    pub range: RangeArgs,

    /// For topics: only these partitions.
    #[arg(short, long = "partition", value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<i32>,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub filter: FilterArgs,
}

/// How files are read.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Input")]
pub struct InputArgs {
    /// How to read files: jsonl (one event per line), json (one document: an array of events or
    /// one event), values (each line's bytes are a value). Default: json for .json files,
    /// jsonl for the rest and stdin.
    #[arg(long, value_enum, value_name = "SHAPE")]
    pub input: Option<InputArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputArg {
    Jsonl,
    Json,
    Values,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    /// The topic to write into.
    #[arg(value_name = "TOPIC")]
    pub topic: String,

    /// Envelope files (JSONL); stdin when none or `-`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Lines are plain values (each line's bytes as the value, no key): --input values.
    #[arg(long, conflicts_with = "input")]
    pub values: bool,

    #[command(flatten)]
    pub input: InputArgs,

    /// Report bad lines and records too large to write, and go on, instead of stopping at
    /// the first one.
    #[arg(long)]
    pub skip_bad: bool,

    /// One event typed by hand: its key. Its value is --value, --value-file, or all of stdin.
    #[arg(
        long,
        value_name = "KEY",
        conflicts_with = "files",
        help_heading = "One event"
    )]
    pub key: Option<String>,

    /// One event typed by hand: a header NAME=VALUE (repeatable).
    #[arg(
        long = "header",
        value_name = "NAME=VALUE",
        conflicts_with = "files",
        help_heading = "One event"
    )]
    pub headers: Vec<String>,

    /// One event typed by hand: its value, as text.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["files", "value_file"], help_heading = "One event")]
    pub value: Option<String>,

    /// One event typed by hand: its value, the bytes of this file (`-`: stdin).
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "files",
        help_heading = "One event"
    )]
    pub value_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlaygroundArgs {
    /// Live events per second after the history (0 for none).
    #[arg(long, value_name = "N/s", default_value = "3")]
    pub rate: String,

    /// How much backdated history to write first (e.g. 24h, 2h, 0s).
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub history: String,

    /// Seed of the demo generator: the same seed tells the same story.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,

    /// Also create topic `bench` with N small JSON events (for bench/run).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub bench_events: u64,

    /// Partitions of the `bench` topic.
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub bench_partitions: i32,

    /// Also create this empty topic (repeatable), e.g. --topic sandbox-orders:6. The embedded
    /// broker cannot create topics on request, so replay targets are made here.
    #[arg(long = "topic", value_name = "NAME:PARTITIONS")]
    pub topics: Vec<String>,

    /// Also run a private RabbitMQ node (RabbitMQ must be installed) with the demo topics
    /// copied into streams of the same names, history and live events; reach it with
    /// --profile playground-rabbitmq.
    #[arg(long)]
    pub with_rabbitmq: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write evt.1 and one evt-COMMAND.1 per command into this directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Topics or files (JSONL envelopes or values, JSON arrays; `-` is stdin); several are
    /// merged into one timeline.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,

    #[command(flatten)]
    pub range: RangeArgs,

    /// How events from several partitions and sources are ordered.
    #[arg(long, value_enum, default_value_t = Order::Time)]
    pub order: Order,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub validate: InlineValidateArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Topics to follow.
    #[arg(required = true, value_name = "TOPIC")]
    pub topics: Vec<String>,

    /// First show the last N events of each partition.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 0)]
    pub lines: u64,

    /// Stop at this position (an offset, or a time that is reached), exclusive.
    #[arg(long, value_name = "POS", allow_hyphen_values = true)]
    pub until: Option<String>,

    #[command(flatten)]
    pub select: SelectArgs,

    #[command(flatten)]
    pub filter: FilterArgs,

    #[command(flatten)]
    pub validate: InlineValidateArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The window of a bounded read: `--from` and `--until`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Window")]
pub struct RangeArgs {
    /// Where to start, inclusive: beginning, end, 1234, -100, +100, 2h, 2026-11-24T10:00, @MS.
    #[arg(
        long,
        value_name = "POS",
        default_value = "beginning",
        allow_hyphen_values = true
    )]
    pub from: String,

    /// Where to stop, exclusive (same grammar as --from). Default: the end when evt started.
    #[arg(long, value_name = "POS", allow_hyphen_values = true)]
    pub until: Option<String>,
}

/// Which partitions and how many events.
#[derive(Debug, Args)]
#[command(next_help_heading = "Window")]
pub struct SelectArgs {
    /// Only these partitions, comma separated (e.g. -p 0,2).
    #[arg(short, long = "partition", value_name = "LIST", value_delimiter = ',')]
    pub partitions: Vec<i32>,

    /// Stop after N events in all.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Print the resolved plan (partition, start, end, count) and exit; a table, or JSON
    /// with --format json.
    #[arg(long)]
    pub explain: bool,
}

/// Which events to show. Filters combine with AND; for OR, use one jq expression
/// (`--where '.a or .b'`) or repeat --key (any of the keys).
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Only events with this key, exactly (repeat for any of several keys). Reads only the
    /// partition(s) the default partitioner maps the key(s) to, unless --no-prune.
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,

    /// Only events whose key matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub key_regex: Option<String>,

    /// Only events whose key or raw value matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,

    /// Only events with this header (NAME), or with a value matching REGEX (NAME=REGEX).
    #[arg(long = "header", value_name = "NAME[=REGEX]")]
    pub headers: Vec<String>,

    /// A jq expression over the value that must be truthy, e.g. '.status == "FAILED"'.
    #[arg(long = "where", value_name = "JQ")]
    pub where_value: Vec<String>,

    /// A jq expression over the whole envelope (topic, partition, offset, timestamp, key,
    /// headers, value), e.g. '.partition == 2 and .offset > 100'.
    #[arg(long, value_name = "JQ")]
    pub where_envelope: Vec<String>,

    /// Reshape what is printed with a jq expression over the value, e.g. '{id: .order_id}'.
    #[arg(long = "jq", value_name = "JQ")]
    pub transform: Option<String>,

    /// Read every partition even with --key (when the producer did not partition by key).
    #[arg(long)]
    pub no_prune: bool,
}

/// Marking invalid events while reading (`evt read`/`evt tail`).
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Validation")]
pub struct InlineValidateArgs {
    /// Check each event against this schema file (or directory, by topic name) and mark the
    /// invalid ones inline.
    #[arg(long = "validate", value_name = "PATH")]
    pub schema: Option<PathBuf>,

    /// With a schema directory, choose the schema by this field of the event, e.g. .type
    /// (the same option as `evt validate --schema-by`).
    #[arg(
        long = "schema-by",
        alias = "validate-by",
        value_name = "FIELD",
        requires = "schema"
    )]
    pub schema_by: Option<String>,

    /// Print only the events that fail validation.
    #[arg(long, requires = "schema")]
    pub only_invalid: bool,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format: pretty, compact (one line per event), json (the envelope), value, table,
    /// or template='…' (as -f). Default: pretty on a terminal, json when piped.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub format: Option<Format>,

    /// A format string, as kcat's -f: %s value, %k key, %t topic, %p partition, %o offset,
    /// %T timestamp (ms), %h headers, %S/%K value/key length, %% and \n \t; evt's own:
    /// %{time} (as --time says), %{json} (the envelope), %{.path} (a path into the value).
    #[arg(short = 'f', value_name = "TEMPLATE", conflicts_with = "format")]
    pub template: Option<String>,

    /// How times are shown in pretty, compact, table and template output (the JSON envelope
    /// keeps its own form).
    #[arg(long, value_enum, default_value_t = TimeArg::Utc, value_name = "STYLE")]
    pub time: TimeArg,

    /// When to use colour (NO_COLOR and TERM=dumb are honoured under auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// One timeline across partitions, merged by timestamp.
    Time,
    /// Each partition in offset order, as it arrives (sources one after the other).
    Partition,
}

/// `--format`: a named format, or `template=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// A coloured header line and indented JSON, for people.
    Pretty,
    /// One line per event: time, place, key, value.
    Compact,
    /// One envelope per line, lossless, for machines and files.
    Json,
    /// The payload only, one per line, for jq.
    Value,
    /// One table for the whole stream: topic, partition, offset, time, key, value.
    Table,
    /// A format string (kcat's tokens and evt's).
    Template(String),
}

fn parse_format(text: &str) -> Result<Format, String> {
    Ok(match text {
        "pretty" => Format::Pretty,
        "compact" => Format::Compact,
        "json" => Format::Json,
        "value" => Format::Value,
        "table" => Format::Table,
        other => match other.strip_prefix("template=") {
            Some(template) => Format::Template(template.to_string()),
            None => {
                return Err(format!(
                    "'{other}' is not a format: pretty, compact, json, value, table, or template='%t %k %s\n'"
                ))
            }
        },
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TimeArg {
    /// ISO 8601 in UTC, with milliseconds.
    Utc,
    /// ISO 8601 in the local time zone, with its offset.
    Local,
    /// Milliseconds since the epoch.
    Ms,
    /// How long ago: 3m12s ago.
    Relative,
}

/// How an aggregate report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportStyleArg {
    Table,
    Json,
}

impl From<ReportStyleArg> for crate::report::Style {
    fn from(s: ReportStyleArg) -> Self {
        match s {
            ReportStyleArg::Table => Self::Table,
            ReportStyleArg::Json => Self::Json,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingSchemaArg {
    /// Report it as invalid.
    Error,
    /// Warn on stderr and count it as unchecked.
    Warn,
    /// Count it as unchecked, silently.
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    /// One block per invalid event, then a summary table.
    Text,
    /// One JSON object per invalid event.
    Json,
    /// GitHub Actions workflow annotations (::error file=…,line=…::…).
    Github,
    /// A JUnit XML report (CI dashboards).
    Junit,
}

// The clap values, mapped to the domain types the rest of evt uses.

impl From<TimeArg> for crate::sink::print::TimeStyle {
    fn from(t: TimeArg) -> Self {
        match t {
            TimeArg::Utc => Self::Utc,
            TimeArg::Local => Self::Local,
            TimeArg::Ms => Self::Ms,
            TimeArg::Relative => Self::Relative,
        }
    }
}

impl From<InputArg> for crate::source::Input {
    fn from(i: InputArg) -> Self {
        match i {
            InputArg::Jsonl => Self::Jsonl,
            InputArg::Json => Self::Json,
            InputArg::Values => Self::Values,
        }
    }
}

impl From<PartitionerArg> for crate::sink::replay::Partitioner {
    fn from(p: PartitionerArg) -> Self {
        match p {
            PartitionerArg::Same => Self::Same,
            PartitionerArg::Key => Self::Key,
        }
    }
}

impl From<MissingSchemaArg> for crate::validate::MissingSchema {
    fn from(m: MissingSchemaArg) -> Self {
        match m {
            MissingSchemaArg::Error => Self::Error,
            MissingSchemaArg::Warn => Self::Warn,
            MissingSchemaArg::Ignore => Self::Ignore,
        }
    }
}

impl From<ReportFormatArg> for crate::sink::violations::ReportFormat {
    fn from(f: ReportFormatArg) -> Self {
        match f {
            ReportFormatArg::Text => Self::Text,
            ReportFormatArg::Json => Self::Json,
            ReportFormatArg::Github => Self::Github,
            ReportFormatArg::Junit => Self::Junit,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn negative_positions_are_values_not_flags() {
        let cli = Cli::try_parse_from(["evt", "read", "orders", "--from", "-100"]).unwrap();
        let Command::Read(read) = cli.command else {
            panic!("expected read")
        };
        assert_eq!(read.range.from, "-100");
        assert_eq!(read.sources, ["orders"]);
    }

    #[test]
    fn global_flags_after_the_subcommand() {
        let cli = Cli::try_parse_from(["evt", "tail", "orders", "-b", "h:1", "-X", "a=b"]).unwrap();
        assert_eq!(cli.connection.brokers.as_deref(), Some("h:1"));
        assert_eq!(cli.connection.properties, ["a=b"]);
    }
}
