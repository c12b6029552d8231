use std::process::ExitCode;

/// The reader thread allocates events and the printer frees them; mimalloc handles that
/// cross-thread pattern far better than glibc's arenas. Counted per thread, so that a jq
/// evaluation can be held to a memory budget.
#[global_allocator]
static ALLOCATOR: evt::memory::Counting<mimalloc::MiMalloc> =
    evt::memory::Counting(mimalloc::MiMalloc);

use clap::FromArgMatches;
use evt::error::{exit_status_of, ExitStatus};

fn main() -> ExitCode {
    let matches = evt::cli::command().get_matches();
    if let Err(why) = evt::cli::refuse_unused(&matches) {
        eprintln!("evt: {why}");
        return ExitStatus::Usage.into();
    }
    let cli = evt::cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(evt::run(cli)) {
        Ok(status) => status.into(),
        Err(error) => {
            // Whatever an error quotes (a client library echoing a property), no secret shows.
            eprintln!("evt: {}", evt::broker::redact::scrub(&one_line(&error)));
            exit_status_of(&error).into()
        }
    }
}

/// The error and its causes on one line: `reading orders: no answer from the broker …`.
fn one_line(error: &anyhow::Error) -> String {
    let parts: Vec<String> = error.chain().map(ToString::to_string).collect();
    let mut line = parts.join(": ");
    if line.is_empty() {
        line = format!("failed ({:?})", ExitStatus::Usage);
    }
    line
}
