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

/// `--help` groups options by what they do; the commands that connect to nothing do not
/// offer the connection options, and refuse them instead of ignoring them.
#[test]
fn help_groups_options_and_offline_commands_refuse_connection_options() {
    let mut command = evt_command();
    command.args(["read", "--help"]);
    let help = run(command);
    help.ok();
    let section_of = |flag: &str| {
        let at = help
            .stdout
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} in help"));
        help.stdout[..at]
            .lines()
            .rev()
            .find(|l| !l.starts_with(' ') && l.ends_with(':'))
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(section_of("--format <FORMAT>"), "Output:");
    assert_eq!(section_of("--time <STYLE>"), "Output:");
    assert_eq!(section_of("--validate <PATH>"), "Validation:");
    assert_eq!(section_of("--from <POS>"), "Window:");
    assert_eq!(section_of("--brokers <LIST>"), "Connection:");
    for offline in ["playground", "completions", "man"] {
        let mut command = evt_command();
        command.args([offline, "--help"]);
        let help = run(command);
        help.ok();
        assert!(
            !help.stdout.contains("--brokers"),
            "{offline}: {}",
            help.stdout
        );
        assert!(
            !help.stdout.contains("--timeout"),
            "{offline}: {}",
            help.stdout
        );
    }
    let mut command = evt_command();
    command.args(["playground", "-b", "localhost:9092"]);
    let refused = run(command);
    refused.expect_code(2);
    assert!(
        refused
            .stderr
            .contains("--brokers does nothing for `evt playground`"),
        "{}",
        refused.stderr
    );
}

/// Every man page has its examples (where the command gives some), exit status, environment
/// and files.
#[test]
fn man_pages_have_examples_exit_status_environment_and_files() {
    for page in ["evt-read.1", "evt-lag.1", "evt.1"] {
        let text = std::fs::read_to_string(repo(&format!("man/{page}"))).unwrap();
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH NAME",
        ] {
            assert!(text.contains(section), "{page}: {section}");
        }
    }
    let read = std::fs::read_to_string(repo("man/evt-read.1")).unwrap();
    assert!(
        read.contains(".SH EXAMPLES\n.PP\n\\fBevt read orders \\-\\-from 2h\\fR"),
        "{read}"
    );
    assert!(
        read.contains("evt\\-read \\- Read a bounded window"),
        "the NAME line"
    );
}

/// A second `scripts/setup` (everything installed, as when the tests run) reaches for no
/// package manager and is done within seconds: apt-get, pip and cargo are stand-ins here that
/// record any call.
#[test]
fn setup_with_everything_installed_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls");
    for tool in ["apt-get", "sudo"] {
        let fake = dir.path().join(tool);
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\necho {tool} \"$@\" >> {}\nexit 1\n",
                calls.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = std::process::Command::new(repo("scripts/setup"));
    command.env("PATH", path);
    let started = std::time::Instant::now();
    let ran = run(command);
    ran.ok();
    assert!(
        !calls.exists(),
        "called: {}",
        std::fs::read_to_string(&calls).unwrap_or_default()
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(ran.stdout.contains("setup: ready"), "{}", ran.stdout);
}
