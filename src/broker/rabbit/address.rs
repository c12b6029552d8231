//! A RabbitMQ Streams address: `rabbitmq-stream://user:pass@host:port/vhost`. The scheme picks
//! the broker family (a bare `host:port` stays Kafka); the password is remembered as a secret
//! the moment the address is read, so no error or log line can print it.

use crate::error::EvtError;

pub const SCHEME: &str = "rabbitmq-stream://";
/// The stream protocol's port.
pub const DEFAULT_PORT: u16 = 5552;

/// Where a RabbitMQ node's stream listener is, and who to log in as.
#[derive(Clone, PartialEq, Eq)]
pub struct Address {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub vhost: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// Shown without the password.
impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{SCHEME}{}@{}:{}/{}",
            self.user,
            self.host,
            self.port,
            percent_encode(&self.vhost)
        )
    }
}

/// Whether `brokers` names a RabbitMQ Streams node.
pub fn is_rabbit(brokers: &str) -> bool {
    brokers.trim().to_ascii_lowercase().starts_with(SCHEME)
}

/// Remembers the password of every `scheme://user:password@` in `brokers` (and its decoded
/// form) as a secret to scrub from all output. Safe to call on any broker list.
pub fn remember_secrets(brokers: &str) {
    let mut found = Vec::new();
    for part in brokers.split(',') {
        let Some((_, rest)) = part.split_once("://") else {
            continue;
        };
        let authority = rest.split('/').next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                found.push(password.to_string());
                if let Ok(decoded) = percent_decode(password) {
                    found.push(decoded);
                }
            }
        }
    }
    crate::broker::redact::remember_values(found);
}

impl Address {
    /// Parses `rabbitmq-stream://[user[:password]@]host[:port][/vhost]`; the vhost is
    /// percent-encoded (`%2f` is `/`, the default), user and password too.
    pub fn parse(text: &str) -> anyhow::Result<Address> {
        remember_secrets(text);
        let bad = |why: &str| {
            EvtError::usage(format!(
                "broker address '{}': {why}; write {SCHEME}user:password@host:5552/vhost",
                crate::broker::redact::scrub(text)
            ))
        };
        let trimmed = text.trim();
        if !is_rabbit(trimmed) {
            return Err(bad("not a RabbitMQ Streams address"));
        }
        let rest = &trimmed[SCHEME.len()..];
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let decode = |s: &str| percent_decode(s).map_err(|e| bad(&e));
        let (user, password) = match userinfo {
            None => ("guest".to_string(), "guest".to_string()),
            Some(u) => match u.split_once(':') {
                Some((user, password)) => (decode(user)?, decode(password)?),
                None => (decode(u)?, String::new()),
            },
        };
        let port_of = |p: &str| {
            p.parse::<u16>()
                .map_err(|_| bad(&format!("port '{p}' is not a number from 1 to 65535")))
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            // [::1]:5552 or [::1]
            match v6.split_once(']') {
                Some((h, "")) => (h, DEFAULT_PORT),
                Some((h, p)) => (h, port_of(p.trim_start_matches(':'))?),
                None => return Err(bad("'[' without ']'")),
            }
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, port_of(p)?),
                None => (hostport, DEFAULT_PORT),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        if port == 0 {
            return Err(bad("port 0"));
        }
        let vhost = match decode(path.trim_end_matches('/'))? {
            v if v.is_empty() => "/".to_string(),
            v => v,
        };
        Ok(Address {
            host: host.to_string(),
            port,
            user,
            password,
            vhost,
        })
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("'%' at byte {i} is not followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-encoding that is not UTF-8".to_string())
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02x}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_defaults() {
        let a = Address::parse("rabbitmq-stream://app:p%40ss@mq.internal:5553/%2fprod").unwrap();
        assert_eq!(
            (
                a.host.as_str(),
                a.port,
                a.user.as_str(),
                a.password.as_str(),
                a.vhost.as_str()
            ),
            ("mq.internal", 5553, "app", "p@ss", "/prod")
        );
        let d = Address::parse("rabbitmq-stream://localhost").unwrap();
        assert_eq!(
            (d.port, d.user.as_str(), d.vhost.as_str()),
            (5552, "guest", "/")
        );
        let slash = Address::parse("RABBITMQ-STREAM://u:p@[::1]:5552/%2f").unwrap();
        assert_eq!((slash.host.as_str(), slash.vhost.as_str()), ("::1", "/"));
        for bad in [
            "rabbitmq-stream://u:p@host:notaport/",
            "rabbitmq-stream://u:p@:5552/",
            "rabbitmq-stream://u:p@h/%zz",
            "kafka:9092",
        ] {
            assert!(Address::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_password_is_never_shown() {
        let a = Address::parse("rabbitmq-stream://app:hunter2secret@mq:5552/v1").unwrap();
        assert_eq!(a.to_string(), "rabbitmq-stream://app@mq:5552/v1");
        assert_eq!(format!("{a:?}"), a.to_string());
        let err = Address::parse("rabbitmq-stream://app:hunter2secret@mq:x/").unwrap_err();
        assert!(!err.to_string().contains("hunter2secret"), "{err}");
        assert!(crate::broker::redact::scrub("at app:hunter2secret@mq").contains("[redacted]"));
    }
}
