//! Profiles and properties: `~/.config/evt/config.toml`, kcat.conf files and `-X`, and the
//! environment variables evt reads, captured once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::broker::Connection;
use crate::cli;
use crate::error::EvtError;
use crate::position::parse_duration;

/// The broker used when neither a flag, `EVT_BROKERS` nor a profile names one.
pub const DEFAULT_BROKERS: &str = "localhost:9092";

/// The environment variables evt reads, captured once.
#[derive(Debug, Default)]
pub struct Environment {
    pub no_color: bool,
    pub dumb_terminal: bool,
    config_path: Option<PathBuf>,
    home: Option<PathBuf>,
    xdg_config_home: Option<PathBuf>,
}

impl Environment {
    pub fn capture() -> Environment {
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
    pub fn profile_file(&self) -> Option<PathBuf> {
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
pub struct Profile {
    #[serde(default)]
    pub brokers: Option<String>,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    #[serde(default)]
    pub readonly: bool,
}

/// The connection the flags, the environment and the profile describe (in that precedence).
pub fn connection(
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
    for (n, p) in args.properties.iter().enumerate() {
        properties.push(
            parse_property(p)
                .map_err(|e| EvtError::usage(format!("-X argument {}: {e}", n + 1)))?,
        );
    }
    crate::broker::redact::remember(&properties);
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
    // A password in a broker URL (rabbitmq-stream://user:password@…) is a secret too.
    crate::broker::rabbit::address::remember_secrets(&brokers);
    Ok(Connection {
        creates_topics: profile_name.as_deref() != Some(PLAYGROUND),
        brokers,
        properties,
        timeout,
        profile: profile_name,
        readonly: profile.readonly,
        verbose,
    })
}

pub fn load_profile(
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
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && matches!(requested, Some(PLAYGROUND | PLAYGROUND_RABBITMQ)) =>
        {
            return playground_profile(&path, requested.unwrap_or(PLAYGROUND))
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
        None if name == PLAYGROUND || name == PLAYGROUND_RABBITMQ => {
            playground_profile(&path, &name)
        }
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
/// The profile of its RabbitMQ node (`evt playground --with-rabbitmq`).
pub const PLAYGROUND_RABBITMQ: &str = "playground-rabbitmq";

fn playground_profile(config_file: &Path, name: &str) -> anyhow::Result<(Option<String>, Profile)> {
    let registration = crate::playground::registration_file(Some(config_file))
        .expect("a config file path has a directory");
    let Ok(text) = std::fs::read_to_string(&registration) else {
        return Err(EvtError::usage(
            "no playground is running; start one with `evt playground` in another terminal, \
             or add --playground to run one inside this command",
        ));
    };
    let mut lines = text.lines().map(str::trim);
    let addr = if name == PLAYGROUND_RABBITMQ {
        lines.nth(1)
    } else {
        lines.next()
    };
    match addr.filter(|a| !a.is_empty()) {
        Some(addr) => {
            crate::broker::rabbit::address::remember_secrets(addr);
            Ok((
                Some(name.to_string()),
                Profile {
                    brokers: Some(addr.to_string()),
                    ..Profile::default()
                },
            ))
        }
        None => Err(EvtError::usage(
            "the running playground has no RabbitMQ node; start it with `evt playground --with-rabbitmq`",
        )),
    }
}

/// `key=value`, or Java's `key: value` (as in a client.properties file). An error never
/// repeats the text: it may be a secret with its separator missing.
fn parse_property(text: &str) -> Result<(String, String), String> {
    let split = text
        .find(['=', ':'])
        .map(|at| (&text[..at], &text[at + 1..]));
    match split {
        Some((k, v)) if is_key(k.trim()) => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err("expected key=value or key: value, e.g. security.protocol=SSL (the text is not repeated: it may hold a secret)".to_string()),
    }
}

/// A property name: `sasl.password`, `ssl_key`, `client.id`.
fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Reads a kcat.conf-style file: `key=value` (or `key: value`) lines, `#` or `!` comments,
/// blank lines.
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
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .map(|(n, l)| parse_property(l).map_err(|e| (n, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::is_secret;
    use crate::cli::Cli;
    use clap::Parser;
    use std::time::Duration;

    fn env_with(config: Option<&Path>) -> Environment {
        Environment {
            config_path: config.map(Path::to_path_buf),
            ..Environment::default()
        }
    }

    use super::connection as connection_of;

    fn connection(args: &[&str], env: &Environment) -> anyhow::Result<Connection> {
        let mut argv = vec!["evt"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["read", "t"]);
        let cli = Cli::try_parse_from(argv).unwrap();
        connection_of(&cli.connection, 0, env)
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
        // Java's `key: value` is accepted; a line without a separator is refused unquoted.
        assert_eq!(
            parse_properties("! comment\nsasl.password: a:b\nbootstrap.servers=h:1\n").unwrap(),
            vec![
                ("sasl.password".into(), "a:b".into()),
                ("bootstrap.servers".into(), "h:1".into())
            ]
        );
        for bad in [
            "sasl.password hunter2-x",
            "hunter2-x",
            "=hunter2-x",
            "my key=hunter2-x",
        ] {
            let (line, error) = parse_properties(bad).unwrap_err();
            assert_eq!(line, 1);
            assert!(!error.contains("hunter2"), "{error}");
        }
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
            "sasl.jaas.config",
            "sasl.pasword",
        ] {
            assert!(is_secret(k), "{k}");
        }
        assert!(!is_secret("security.protocol"));
    }
}
