//! Completions and man pages are generated from the CLI definition and committed; these
//! tests fail when the committed copies are stale (regenerate with scripts/generate).

use crate::harness::*;

#[test]
fn committed_completions_are_current() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let mut command = evt_command();
        command.args(["completions", shell]);
        let generated = run(command);
        generated.ok();
        let committed = std::fs::read_to_string(repo(&format!("completions/evt.{shell}")))
            .unwrap_or_else(|e| panic!("completions/evt.{shell}: {e}; run scripts/generate"));
        assert!(
            generated.stdout == committed,
            "completions/evt.{shell} is stale; run scripts/generate"
        );
    }
}

#[test]
fn committed_man_pages_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = evt_command();
    command.args(["man", "--dir"]).arg(dir.path());
    run(command).ok();
    let mut generated: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    generated.sort();
    let mut committed: Vec<String> = std::fs::read_dir(repo("man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    committed.sort();
    assert_eq!(
        generated, committed,
        "man/ has other pages; run scripts/generate"
    );
    assert!(generated.contains(&"evt-read.1".to_string()));
    for name in generated {
        let fresh = std::fs::read(dir.path().join(&name)).unwrap();
        let old = std::fs::read(repo("man").join(&name)).unwrap();
        assert!(fresh == old, "man/{name} is stale; run scripts/generate");
    }
}

#[test]
fn man_prints_the_main_page() {
    let mut command = evt_command();
    command.arg("man");
    let page = run(command);
    page.ok();
    assert!(
        page.stdout.contains(".TH evt 1"),
        "{}",
        &page.stdout[..200.min(page.stdout.len())]
    );
}
