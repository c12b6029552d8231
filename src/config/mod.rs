//! `Config::from_cli`: arguments → everything a command needs, decided up front.
//!
//! Split by concern: [`profile`] (profiles, properties, the environment → the connection),
//! [`output`] (format, colour, width), [`jobs`] (per-command jobs with compiled filters and
//! schemas). Everything the user can get wrong is checked here, before any broker is
//! contacted; nothing after this module reads clap structs or the environment.

pub mod diff;
pub mod inspect;
pub mod jobs;
pub mod output;
pub mod profile;

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::broker::Connection;
use crate::cli::{self, Cli};
pub use jobs::{
    parse_rate, OneEvent, ProduceJob, ReadJob, ReplayJob, StatsJob, TraceJob, ValidateJob,
    ValueFrom,
};
pub use profile::{DEFAULT_BROKERS, PLAYGROUND};

/// Everything a command needs.
pub struct Config {
    pub connection: Connection,
    /// `--playground`: start the demo broker in-process and point the connection at it.
    pub in_process_playground: bool,
    /// Where a running `evt playground` registers its address.
    pub playground_registration: Option<PathBuf>,
    pub job: Job,
}

pub enum Job {
    Read(ReadJob),
    Tail(ReadJob),
    Playground(crate::playground::Options),
    Replay(Box<ReplayJob>),
    Validate(ValidateJob),
    Diff(Box<diff::DiffJob>),
    Produce(ProduceJob),
    Stats(Box<StatsJob>),
    Trace(Box<TraceJob>),
    Topics(inspect::TopicsJob),
    Describe(inspect::DescribeJob),
    Offsets(inspect::OffsetsJob),
    Groups(inspect::GroupsJob),
    Lag(inspect::LagJob),
    Completions(clap_complete::Shell),
    Man(Option<PathBuf>),
}

impl Config {
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        let env = profile::Environment::capture();
        let connection = profile::connection(&cli.connection, cli.verbose, &env)?;
        let in_process_playground = cli.connection.playground;
        let terminal = std::io::stdout().is_terminal();
        let job = match cli.command {
            cli::Command::Read(args) => {
                let output = output::decide(&args.output, terminal, &env)?;
                Job::Read(jobs::read_job(args, &connection, output)?)
            }
            cli::Command::Tail(args) => {
                let output = output::decide(&args.output, terminal, &env)?;
                Job::Tail(jobs::tail_job(args, &connection, output)?)
            }
            cli::Command::Playground(args) => Job::Playground(jobs::playground_options(&args)?),
            cli::Command::Replay(args) => {
                Job::Replay(Box::new(jobs::replay_job(args, &connection, &env)?))
            }
            cli::Command::Validate(args) => {
                let color = terminal && !env.no_color && !env.dumb_terminal;
                Job::Validate(jobs::validate_job(args, &connection, color)?)
            }
            cli::Command::Diff(args) => {
                Job::Diff(Box::new(diff::diff_job(args, &connection, &env, terminal)?))
            }
            cli::Command::Produce(args) => Job::Produce(jobs::produce_job(args, &connection)?),
            cli::Command::Stats(args) => Job::Stats(Box::new(jobs::stats_job(args, &connection)?)),
            cli::Command::Trace(args) => Job::Trace(Box::new(jobs::trace_job(args, &connection)?)),
            cli::Command::Topics(args) => Job::Topics(inspect::topics_job(args)?),
            cli::Command::Describe(args) => Job::Describe(inspect::describe_job(args)),
            cli::Command::Offsets(args) => Job::Offsets(inspect::offsets_job(args)?),
            cli::Command::Groups(args) => Job::Groups(inspect::groups_job(args)?),
            cli::Command::Lag(args) => Job::Lag(inspect::lag_job(args)?),
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
