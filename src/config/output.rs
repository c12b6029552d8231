//! Output decisions, made once: the format (pretty on a terminal, the envelope when piped),
//! colour (never off a terminal, `NO_COLOR` and `TERM=dumb` honoured) and the width tables fit.

use super::profile::Environment;
use crate::cli::{self, ColorChoice};
use crate::error::EvtError;
use crate::sink::print::template::Template;
pub use crate::sink::print::{Format, Output};

/// The output `args` ask for, given whether stdout is a terminal; a template that does not
/// parse is a usage error.
pub fn decide(
    args: &cli::OutputArgs,
    stdout_is_terminal: bool,
    env: &Environment,
) -> anyhow::Result<Output> {
    let template = |text: &str| {
        Template::parse(text)
            .map(Format::Template)
            .map_err(|e| EvtError::usage(format!("format template: {e}")))
    };
    let format = match (&args.format, &args.template) {
        (_, Some(text)) | (Some(cli::Format::Template(text)), None) => template(text)?,
        (Some(cli::Format::Pretty), None) => Format::Pretty,
        (Some(cli::Format::Compact), None) => Format::Compact,
        (Some(cli::Format::Json), None) => Format::Json,
        (Some(cli::Format::Value), None) => Format::Value,
        (Some(cli::Format::Table), None) => Format::Table,
        (None, None) if stdout_is_terminal => Format::Pretty,
        (None, None) => Format::Json,
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && !env.no_color && !env.dumb_terminal,
    };
    Ok(Output {
        format,
        time: args.time.into(),
        color,
        width: stdout_is_terminal.then(terminal_width).flatten(),
        terminal: stdout_is_terminal,
    })
}

/// The terminal's width in columns (`COLUMNS` when set, else asked of the terminal).
pub(super) fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(columns);
    }
    comfy_table::Table::new().width().map(usize::from)
}
