//! `evt diff`: two sides, each a SOURCE with its own window and cluster, and how they are
//! paired, compared and shown, all decided and checked here.

use std::sync::Arc;

use super::jobs::{
    criteria, other_cluster, parse_position, parse_until, request, sources, Headers,
};
use super::profile::Environment;
use crate::analysis::compare::Rules;
use crate::analysis::diff::Pairing;
use crate::analysis::path::Path;
use crate::broker::Connection;
use crate::cli::{self, ColorChoice};
use crate::error::EvtError;
use crate::filter::{Criteria, Filter};
use crate::position::Window;
use crate::report::diff::{DiffFormat, DiffView};
use crate::source::{Mode, Request};

/// `evt diff`.
pub struct DiffJob {
    pub left: DiffInput,
    pub right: DiffInput,
    /// The filters, compiled on each side's own thread (jq programs stay on the thread that
    /// runs them).
    pub criteria: Option<Arc<Criteria>>,
    pub pairing: Pairing,
    pub rules: Rules,
    pub view: DiffView,
    /// `--max-memory`, in bytes.
    pub budget: u64,
}

/// One side of a diff.
pub struct DiffInput {
    /// The SOURCE as the user wrote it.
    pub label: String,
    /// Another cluster than the command's (`--left-brokers`, `--right-profile` …).
    pub cluster: Option<Connection>,
    pub request: Request,
}

pub fn diff_job(
    args: cli::DiffArgs,
    connection: &Connection,
    env: &Environment,
    terminal: bool,
) -> anyhow::Result<DiffJob> {
    if args.filter.transform.is_some() {
        return Err(EvtError::usage(
            "--jq reshapes what is printed; diff compares events (use --ignore to leave fields out, --where to choose events)",
        ));
    }
    if args.left == "-" && args.right == "-" {
        return Err(EvtError::usage("only one side of a diff can be stdin (-)"));
    }
    let rules = rules(&args)?;
    let headers = if rules.envelope && !rules.ignore_headers {
        Headers::Kept
    } else {
        Headers::ForFilters
    };
    let sides = [
        Side {
            label: &args.left,
            from: args.left_from.as_deref().map(|p| ("--left-from", p)),
            until: args.left_until.as_deref(),
            profile: args.left_profile.as_deref(),
            brokers: args.left_brokers.as_deref(),
        },
        Side {
            label: &args.right,
            from: args.right_from.as_deref().map(|p| ("--right-from", p)),
            until: args.right_until.as_deref(),
            profile: args.right_profile.as_deref(),
            brokers: args.right_brokers.as_deref(),
        },
    ];
    let [left, right] = sides.map(|side| diff_input(&args, &side, headers, connection, env));
    let (left, right) = (left?, right?);
    let criteria = criteria(&args.filter)?;
    // Compiled once here so that a bad program is a usage error before any connection.
    let criteria = Filter::optional(&criteria)?.map(|_| criteria);
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !env.no_color && !env.dumb_terminal,
    };
    Ok(DiffJob {
        left,
        right,
        criteria,
        pairing: pairing(&args.by)?,
        rules,
        view: DiffView {
            format: match args.format {
                cli::DiffFormatArg::Text => DiffFormat::Text,
                cli::DiffFormatArg::Json => DiffFormat::Json,
                cli::DiffFormatArg::Patch => DiffFormat::Patch,
            },
            quiet: args.quiet,
            max_diffs: args.max_diffs,
            color,
            width: terminal.then(super::output::terminal_width).flatten(),
        },
        budget: match &args.max_memory {
            Some(size) => parse_size(size)
                .map_err(|e| EvtError::usage(format!("--max-memory {size}: {e}")))?,
            None => default_budget(),
        },
    })
}

/// What one side's options say (each `None` falls back to the shared option).
struct Side<'a> {
    label: &'a str,
    /// The flag and the position.
    from: Option<(&'static str, &'a str)>,
    until: Option<&'a str>,
    profile: Option<&'a str>,
    brokers: Option<&'a str>,
}

fn diff_input(
    args: &cli::DiffArgs,
    side: &Side,
    headers: Headers,
    connection: &Connection,
    env: &Environment,
) -> anyhow::Result<DiffInput> {
    let cluster = (side.profile.is_some() || side.brokers.is_some())
        .then(|| other_cluster(side.profile, side.brokers, connection, env))
        .transpose()?;
    let (flag, from) = side.from.unwrap_or(("--from", &args.range.from));
    let window = Window {
        partitions: args.partitions.clone(),
        from: parse_position(flag, from)?,
        until: parse_until(side.until.or(args.range.until.as_deref()))?,
    };
    window.check().map_err(EvtError::usage)?;
    let request = request(
        sources(&[side.label.to_string()])?,
        window,
        &args.filter,
        Mode::Bounded { by_time: true },
        args.input.input,
        cluster.as_ref().unwrap_or(connection),
        headers,
    );
    request.check()?;
    Ok(DiffInput {
        label: side.label.to_string(),
        cluster,
        request,
    })
}

/// `--compare`, `--ignore` and the rest, checked.
fn rules(args: &cli::DiffArgs) -> anyhow::Result<Rules> {
    Ok(Rules {
        envelope: args.compare == cli::CompareArg::Envelope,
        ignore: args
            .ignore
            .iter()
            .map(|p| Path::parse(p).map_err(|e| EvtError::usage(format!("--ignore {p}: {e}"))))
            .collect::<anyhow::Result<_>>()?,
        ignore_headers: args.ignore_headers,
        ignore_timestamps: args.ignore_timestamps,
    })
}

/// `key`, `offset` or a path into the value.
fn pairing(by: &str) -> anyhow::Result<Pairing> {
    match by {
        "key" => Ok(Pairing::Key),
        "offset" => Ok(Pairing::Offset),
        path if path.starts_with('.') => {
            let path = Path::parse(path).map_err(|e| EvtError::usage(format!("--by {by}: {e}")))?;
            if path.is_wildcard() {
                return Err(EvtError::usage(format!(
                    "--by {by}: an id is one value; [] stands for many"
                )));
            }
            Ok(Pairing::Field(path))
        }
        _ => Err(EvtError::usage(format!(
            "--by {by}: pair by key, offset, or a path into the value such as .order_id"
        ))),
    }
}

/// 1 GiB, or half the memory the system has available when that is less: the default must
/// not invite the OS to kill evt on a small machine.
fn default_budget() -> u64 {
    const DEFAULT: u64 = 1 << 30;
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .map(|kib| kib * 1024)
        });
    available.map_or(DEFAULT, |bytes| DEFAULT.min(bytes / 2).max(64 << 20))
}

/// `1G`, `512M`, `64K`, `1.5G` or a number of bytes (binary units: 1K = 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    let number = upper.trim_end_matches("IB").trim_end_matches('B');
    let (digits, unit) = match number.char_indices().last() {
        Some((i, c @ ('K' | 'M' | 'G' | 'T'))) => (&number[..i], c),
        _ => (number, ' '),
    };
    let scale: u64 = match unit {
        'K' => 1 << 10,
        'M' => 1 << 20,
        'G' => 1 << 30,
        'T' => 1 << 40,
        _ => 1,
    };
    let value: f64 = digits
        .trim()
        .parse()
        .map_err(|_| "expected a size such as 512M, 2G or 1048576".to_string())?;
    if !(value.is_finite() && value > 0.0) {
        return Err("the size must be more than 0".into());
    }
    Ok((value * scale as f64).min(u64::MAX as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        for bad in ["", "0", "-1G", "lots", "1X"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_budget_fits_the_machine() {
        let budget = default_budget();
        assert!((64 << 20..=1 << 30).contains(&budget), "{budget}");
    }

    #[test]
    fn pairings() {
        assert!(matches!(pairing("key"), Ok(Pairing::Key)));
        assert!(matches!(pairing("offset"), Ok(Pairing::Offset)));
        assert!(matches!(pairing(".order_id"), Ok(Pairing::Field(_))));
        for bad in ["foo", ".items[].id", ".a["] {
            assert!(pairing(bad).is_err(), "{bad}");
        }
    }
}
