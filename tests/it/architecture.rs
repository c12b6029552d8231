//! The shape of the house: rdkafka lives behind the broker boundary, and the broker imports
//! nothing from the layers above it (issue 9).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 20, "found the sources: {files:?}");
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("a readable source file");
            let name = f.strip_prefix(root).unwrap().display().to_string();
            (name, text)
        })
        .collect()
}

/// True when `word` occurs in `text` as a whole word (`librdkafka` is not `rdkafka`).
fn names(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !is_word(before) && !is_word(after)
    })
}

#[test]
fn rdkafka_is_named_only_under_src_broker() {
    let leaks: Vec<String> = sources()
        .into_iter()
        .filter(|(name, text)| {
            !name.starts_with("src/broker/")
                && (names(text, "rdkafka") || names(text, "rdkafka_sys"))
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        leaks.is_empty(),
        "rdkafka named outside src/broker/: {leaks:?}"
    );
}

#[test]
fn the_broker_imports_nothing_from_above() {
    let above = [
        "crate::commands",
        "crate::sink",
        "crate::cli",
        "crate::config",
        "crate::pipeline",
        "crate::source",
    ];
    let upward: Vec<String> = sources()
        .into_iter()
        .filter(|(name, _)| name.starts_with("src/broker/"))
        .flat_map(|(name, text)| {
            above
                .iter()
                .filter(|m| text.contains(*m))
                .map(|m| format!("{name} imports {m}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(upward.is_empty(), "{upward:?}");
}

/// The analysis (diff today) is pure: it reads no broker, file or terminal, and knows no
/// command, option, source or sink (issue 11).
#[test]
fn the_analysis_is_pure() {
    let not_here = [
        "crate::broker",
        "crate::commands",
        "crate::sink",
        "crate::cli",
        "crate::config",
        "crate::pipeline",
        "crate::source",
        "crate::report",
        "std::io",
        "std::fs",
        "println!",
    ];
    let found: Vec<String> = sources()
        .into_iter()
        .filter(|(name, _)| name.starts_with("src/analysis/"))
        .flat_map(|(name, text)| {
            not_here
                .iter()
                .filter(|m| text.contains(*m))
                .map(|m| format!("{name} uses {m}"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        sources().iter().any(|(n, _)| n == "src/analysis/diff.rs"),
        "the diff logic lives in src/analysis/diff.rs"
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn the_word_check_sees_whole_words_only() {
    assert!(names("use rdkafka::consumer;", "rdkafka"));
    assert!(!names("librdkafka's poll", "rdkafka"));
    assert!(!names("rdkafka_sys", "rdkafka"));
}
