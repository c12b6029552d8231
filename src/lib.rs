//! evt: a debugger for event-driven systems on Kafka-protocol brokers.
//!
//! Data flows one way: arguments ([`cli`]) → [`config::Config`] → [`source`] → [`filter`] →
//! [`sink`], through the one loop in [`pipeline`]. [`broker`] is the only place a client
//! library is named. [`run`] is the whole program, callable in-process by tests.

pub mod analysis;
pub mod broker;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod event;
pub mod feed;
pub mod filter;
pub mod jq;
pub mod limits;
pub mod memory;
pub mod pipeline;
pub mod playground;
pub mod position;
pub mod replay;
pub mod report;
pub mod safe;
pub mod sink;
pub mod source;
pub mod stop;
pub mod validate;

use crate::config::{Config, Job};
use crate::error::ExitStatus;
use crate::stop::Stop;

/// Runs one evt command to completion and says how it ended.
pub async fn run(cli: cli::Cli) -> anyhow::Result<ExitStatus> {
    let stop = Stop::default();
    let on_signal = stop.clone();
    tokio::spawn(async move {
        // Ctrl-C, or a polite kill (SIGTERM): both stop at a clean point. While evt only
        // waits on the broker (connecting), or on a second signal, it exits at once.
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let mut signalled = 0;
        loop {
            let terminated = async {
                match term.as_mut() {
                    Some(t) => t.recv().await,
                    None => std::future::pending().await,
                }
            };
            let tick = tokio::time::sleep(std::time::Duration::from_millis(50));
            tokio::select! {
                _ = tokio::signal::ctrl_c() => signalled += 1,
                _ = terminated => signalled += 1,
                _ = tick, if signalled > 0 => {}
            }
            if signalled == 0 {
                continue;
            }
            on_signal.interrupt();
            if on_signal.may_abandon() {
                eprintln!("evt: interrupted while waiting for the broker");
                std::process::exit(i32::from(ExitStatus::Interrupted.code()));
            }
            if signalled > 1 {
                eprintln!("evt: interrupted twice: exiting now");
                std::process::exit(i32::from(ExitStatus::Interrupted.code()));
            }
        }
    });
    // The command runs on a thread of its own with a large stack (reserved, not used): jq
    // programs may build deeply nested values, and dropping one recurses (see
    // `limits::COMMAND_STACK`).
    let (done, answer) = tokio::sync::oneshot::channel();
    let runtime = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name("evt-command".into())
        .stack_size(limits::COMMAND_STACK)
        .spawn(move || {
            let _inside = runtime.enter();
            done.send(run_blocking(cli, &stop)).ok();
        })
        .map_err(|e| error::EvtError::usage(format!("cannot start a thread: {e}")))?;
    answer.await.map_err(|_| {
        anyhow::anyhow!("the command stopped without an answer (a bug: please report it)")
    })?
}

/// `--playground`: the demo broker started inside this process, and the command pointed at
/// it (a replay's target topic made with it: the embedded broker cannot create topics on
/// request). `evt playground`, `completions` and `man` refuse the flag (`cli::refuse_unused`).
fn in_process_playground(config: &mut Config) -> anyhow::Result<Option<playground::Playground>> {
    if !config.in_process_playground {
        return Ok(None);
    }
    let mut options = playground::Options::default();
    let demo = |name: &str| playground::demo::TOPICS.iter().find(|(t, _)| *t == name);
    if let Job::Replay(job) = &config.job {
        if job.same_cluster && demo(&job.target_topic).is_none() {
            let source = job.request.topics().first().cloned().unwrap_or_default();
            let partitions = demo(&source).map_or(1, |(_, n)| *n);
            options
                .extra_topics
                .push((job.target_topic.clone(), partitions));
        }
    }
    let playground = playground::Playground::start(&options)?;
    config.connection.brokers = playground.bootstrap().to_string();
    if let Job::Replay(job) = &mut config.job {
        if job.same_cluster {
            job.target.brokers = playground.bootstrap().to_string();
        }
    }
    if config.connection.verbose > 0 {
        eprintln!(
            "evt: playground running in-process at {}",
            config.connection.brokers
        );
    }
    Ok(Some(playground))
}

fn run_blocking(cli: cli::Cli, stop: &Stop) -> anyhow::Result<ExitStatus> {
    let mut config = Config::from_cli(cli)?;
    // Kept alive until the command ends: the broker lives inside this process.
    let _playground = in_process_playground(&mut config)?;
    let connection = &config.connection;
    match config.job {
        Job::Read(job) | Job::Tail(job) => commands::read::run(connection, job, stop),
        Job::Playground(options) => {
            commands::playground::run(&options, config.playground_registration, stop)
        }
        Job::Replay(job) => commands::replay::run(connection, *job, stop),
        Job::Validate(job) => commands::validate::run(connection, job, stop),
        Job::Diff(job) => commands::diff::run(connection, *job, stop),
        Job::Produce(job) => commands::produce::run(connection, &job, stop),
        Job::Stats(job) => commands::stats::run(connection, *job, stop),
        Job::Trace(job) => commands::trace::run(connection, *job, stop),
        Job::Topics(job) => commands::inspect::topics(connection, job, stop),
        Job::Describe(job) => commands::inspect::describe(connection, job, stop),
        Job::Offsets(job) => commands::inspect::offsets(connection, job, stop),
        Job::Groups(job) => commands::inspect::groups(connection, job, stop),
        Job::Lag(job) => commands::inspect::lag(connection, job, stop),
        Job::Completions(shell) => commands::generate::completions(shell),
        Job::Man(dir) => commands::generate::man(dir.as_deref()),
    }
}
