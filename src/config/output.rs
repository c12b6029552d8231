//! Output decisions, made once: the format (pretty on a terminal, the envelope when piped),
//! colour (never off a terminal, `NO_COLOR` and `TERM=dumb` honoured) and the width tables fit.

use super::profile::Environment;
use crate::cli::{self, ColorChoice};
pub use crate::sink::print::{Format, Output};

/// The output `args` ask for, given whether stdout is a terminal.
pub fn decide(args: &cli::OutputArgs, stdout_is_terminal: bool, env: &Environment) -> Output {
    let format = args.format.map_or(
        if stdout_is_terminal {
            Format::Pretty
        } else {
            Format::Json
        },
        Format::from,
    );
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && !env.no_color && !env.dumb_terminal,
    };
    Output {
        format,
        color,
        width: stdout_is_terminal.then(terminal_width).flatten(),
        terminal: stdout_is_terminal,
    }
}

/// The terminal's width in columns (`COLUMNS` when set, else asked of the terminal).
pub(super) fn terminal_width() -> Option<usize> {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
        return Some(columns);
    }
    comfy_table::Table::new().width().map(usize::from)
}
