//! Secrets never printed: which client properties are secret (by key, typos included), and
//! [`scrub`], which every error and log line passes through on its way to stderr, replacing
//! each secret value the command was given by `[redacted]`.

use std::sync::Mutex;

/// What a secret value is shown as.
pub const REDACTED: &str = "[redacted]";

/// Shorter secret values are not scrubbed from free text (they would mangle it); their keys
/// are still redacted wherever a property is listed.
const MIN_SCRUBBED: usize = 4;

/// Whether a property's value must never be printed: its key names a password, a secret, a
/// token, a JAAS or OAUTHBEARER configuration, credentials or key material; misspellings
/// count (`sasl.pasword`, `sasl.passwrod`, `sasl.secert`).
pub fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    const PARTS: [&str; 13] = [
        "pass",
        "pwd",
        "secret",
        "token",
        "jaas",
        "credential",
        "oauthbearer.config",
        "private",
        "key.pem",
        "ssl_key",
        "apikey",
        "api.key",
        "api_key",
    ];
    if PARTS.iter().any(|p| key.contains(p)) {
        return true;
    }
    key.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| word.len() >= 4)
        .any(|word| {
            // Edits, with a swap of neighbours as one (`secert`).
            let near = |target: &str, edits: usize| strsim::osa_distance(word, target) <= edits;
            near("password", 2) || near("passwd", 1) || near("secret", 1) || near("token", 1)
        })
}

/// A property's value as it may be shown.
pub fn shown<'a>(key: &str, value: &'a str) -> &'a str {
    if is_secret(key) {
        REDACTED
    } else {
        value
    }
}

/// The secret values of this process's properties, longest first.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records the secret values among `properties`, so [`scrub`] removes them from any text:
/// the whole value, and quoted `password="…"`-style parts of it (a JAAS line) too.
pub fn remember(properties: &[(String, String)]) {
    let mut found = Vec::new();
    for (key, value) in properties {
        if is_secret(key) {
            found.push(value.clone());
            found.extend(quoted_secrets(value));
        }
    }
    remember_values(found);
}

/// Records values to scrub whatever their key (e.g. the value of a key the client rejected).
pub fn remember_values(values: impl IntoIterator<Item = String>) {
    let Ok(mut secrets) = SECRETS.lock() else {
        return;
    };
    for value in values {
        let value = value.trim().to_string();
        if value.chars().count() >= MIN_SCRUBBED && !secrets.contains(&value) {
            secrets.push(value);
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `password="x"` or `secret='y'` inside a value (JAAS configurations, OAUTHBEARER configs).
fn quoted_secrets(value: &str) -> Vec<String> {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(r#"([A-Za-z0-9_.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s,;]+))"#)
            .expect("a valid pattern")
    });
    pattern
        .captures_iter(value)
        .filter(|c| is_secret(&c[1]))
        .filter_map(|c| c.get(2).or(c.get(3)).or(c.get(4)))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// `text` with every remembered secret value replaced by `[redacted]`.
pub fn scrub(text: &str) -> String {
    let Ok(secrets) = SECRETS.lock() else {
        return text.to_string();
    };
    let mut text = text.to_string();
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), REDACTED);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_typos_included() {
        for key in [
            "sasl.password",
            "SASL.PASSWORD",
            "ssl.key.password",
            "ssl.keystore.password",
            "ssl.key.pem",
            "ssl_key",
            "sasl.oauthbearer.config",
            "sasl.oauthbearer.client.secret",
            "sasl.jaas.config",
            "sasl.pasword",
            "sasl.passwrod",
            "sasl.paswd",
            "sasl.secert",
            "sasl.tokn",
            "basic.auth.user.info.credentials",
            "sasl.oauthbearer.assertion.private.key.file",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in [
            "security.protocol",
            "sasl.username",
            "sasl.mechanism",
            "ssl.key.location",
            "ssl.ca.location",
            "bootstrap.servers",
            "client.id",
            "session.timeout.ms",
            "topic.metadata.refresh.interval.ms",
        ] {
            assert!(!is_secret(key), "{key}");
        }
    }

    #[test]
    fn scrub_removes_whole_values_and_quoted_parts() {
        remember(&[
            ("security.protocol".into(), "SASL_SSL".into()),
            (
                "sasl.jaas.config".into(),
                r#"PlainLoginModule required username="u" password="s3cr3t-quoted";"#.into(),
            ),
            ("sasl.pasword".into(), "typo-secret-1".into()),
            ("sasl.password".into(), "abc".into()),
        ]);
        let text = scrub(
            r#"bad: PlainLoginModule required username="u" password="s3cr3t-quoted"; then s3cr3t-quoted, typo-secret-1, abc, SASL_SSL"#,
        );
        assert!(!text.contains("s3cr3t-quoted"), "{text}");
        assert!(!text.contains("typo-secret-1"), "{text}");
        assert!(text.contains("SASL_SSL") && text.contains("abc"), "{text}");
        assert!(
            text.starts_with("bad: [redacted] then [redacted]"),
            "{text}"
        );
    }
}
