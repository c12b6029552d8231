//! `evt completions SHELL` and `evt man`: generated from the clap definition.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{EvtError, ExitStatus};

pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitStatus> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "evt", &mut out);
    write_stdout(&out)
}

/// The man page of `evt` itself, or every page into `dir`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let Some(dir) = dir else {
        return write_stdout(&render(&Cli::command())?);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| EvtError::usage(format!("cannot create {}: {e}", dir.display())))?;
    for (name, page) in pages()? {
        let path = dir.join(name);
        std::fs::write(&path, page)
            .map_err(|e| EvtError::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(ExitStatus::Success)
}

/// `evt.1` and one `evt-COMMAND.1` per subcommand.
pub fn pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut cli = Cli::command();
    cli.build();
    let mut pages = vec![("evt.1".to_string(), render(&cli)?)];
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("evt-{}", sub.get_name());
        let page = render(&sub.clone().name(name.clone()))?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

fn render(command: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .map_err(|e| EvtError::usage(format!("cannot render the man page: {e}")))?;
    Ok(out)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitStatus> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitStatus::Success),
    }
}
