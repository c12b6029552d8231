//! `evt completions SHELL` and `evt man`: generated from the clap definition.

use std::io::Write;
use std::path::Path;

use crate::error::{EvtError, ExitStatus};

pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitStatus> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "evt", &mut out);
    write_stdout(&out)
}

/// The man page of `evt` itself, or every page into `dir`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let Some(dir) = dir else {
        return write_stdout(&render(&crate::cli::command())?);
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
    let cli = crate::cli::command();
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
    // evt's own sections go before VERSION: examples, exit status, environment, files.
    let page = String::from_utf8_lossy(&out).into_owned();
    let at = page.find(".SH VERSION").unwrap_or(page.len());
    Ok(format!("{}{}{}", &page[..at], sections(command), &page[at..]).into_bytes())
}

/// Text for roff: backslashes and hyphens escaped, no line starting with a control character.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.chars().next() {
        Some('.' | '\'') => format!("\\&{escaped}"),
        _ => escaped,
    }
}

/// EXAMPLES (from the command's "Examples: a; b" text), EXIT STATUS, ENVIRONMENT and FILES.
fn sections(command: &clap::Command) -> String {
    let mut out = String::new();
    let about = command
        .get_long_about()
        .or(command.get_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    if let Some(at) = about.find("Examples: ") {
        let list = about[at + "Examples: ".len()..]
            .split("\n\n")
            .next()
            .unwrap_or("");
        out.push_str(".SH EXAMPLES\n");
        for example in list.split("; ").map(|e| e.trim().trim_end_matches('.')) {
            if !example.is_empty() {
                out.push_str(&format!(".PP\n\\fB{}\\fR\n", roff(example)));
            }
        }
    }
    let table = |title: &str, rows: &[(&str, &str)]| {
        let mut s = format!(".SH {title}\n");
        for (term, text) in rows {
            s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(term), roff(text)));
        }
        s
    };
    out.push_str(&table(
        "\"EXIT STATUS\"",
        &[
            ("0", "Success (also: Ctrl-C ends evt tail and evt lag --watch; a closed pipe ends any command)."),
            ("1", "A check found something: violations, differences, lag over --max-lag or --max-lag-time, a broken flow."),
            ("2", "Usage, configuration or input error: a bad position, an unknown topic, a bad property, a record too large to write."),
            ("3", "Broker or network failure: unreachable within --timeout, refused, not authorised, data gone."),
            ("130", "Interrupted: Ctrl-C or SIGTERM during a bounded command."),
        ],
    ));
    out.push_str(&table(
        "ENVIRONMENT",
        &[
            ("EVT_BROKERS", "The brokers when -b is not given."),
            ("EVT_PROFILE", "The profile when --profile is not given."),
            (
                "EVT_CONFIG",
                "The profile file, instead of ~/.config/evt/config.toml.",
            ),
            (
                "NO_COLOR",
                "No colour, whatever the terminal (TERM=dumb too).",
            ),
            (
                "COLUMNS",
                "The width tables fit, instead of the terminal's.",
            ),
        ],
    ));
    out.push_str(&table(
        "FILES",
        &[
            ("~/.config/evt/config.toml", "Profiles: brokers, properties, readonly (see EVT_CONFIG)."),
            ("~/.config/evt/playground.addr", "Where a running evt playground leaves its addresses, for --profile playground and --profile playground-rabbitmq."),
            (".evt-replay-SOURCE-TARGET.json", "A replay's checkpoint, in the working directory unless --checkpoint says where; --resume continues from it."),
        ],
    ));
    out
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitStatus> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitStatus::Success),
    }
}
