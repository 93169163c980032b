//! The README's walk-through, run as written: every shell line of the code
//! blocks marked `<!-- guide -->`, in order, in a scratch directory whose
//! `./target/debug` is this build's, against the `tasknet localnet` the
//! guide itself starts (on 127.0.0.1:8899, as `-u l` says). Only what a
//! reader fills in is filled in: `<TASK>` from `task create`'s output,
//! `<MINT>` from `token create`'s,
//! `<CODE HASH>` from `task test`'s and `<YOUR ADDRESS>` from the
//! creator's `keygen`. `cargo build` lines are
//! skipped (this test runs on the build). Lines ending in `&` run in the
//! background until the end. A line that needs the chain's clock to move
//! on is run again, as the guide tells a reader to, until it succeeds.
//! Under `anchor test` the validator is the chain (see `on_a_validator`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a line may keep failing while the chain's clock moves on
/// (unbonding takes two whole rounds; rounds are 15 s at 100 ms slots, a
/// minute on a validator's 400 ms).
fn patience() -> Duration {
    if on_a_validator() {
        Duration::from_secs(600)
    } else {
        Duration::from_secs(150)
    }
}

/// Under `anchor test` a validator already serves 127.0.0.1:8899, which is
/// what the guide's `-u l` means: the guide then runs against it, without
/// starting a chain of its own.
fn on_a_validator() -> bool {
    std::env::var_os("ANCHOR_PROVIDER_URL").is_some()
}

/// The body of a plain HTTP GET (the node's `/status`).
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return format!("nothing listens on {addr}");
    };
    let _ = write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

/// Where the machine's cargo and rustup keep their state (the guide's
/// shells get a scratch HOME).
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cargo"))
}

fn rustup_home() -> PathBuf {
    std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".rustup"))
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The guide's shell lines, continuation lines joined, comments dropped.
fn guide_lines(readme: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut marked = false;
    let mut inside = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.trim() == "<!-- guide -->" {
            marked = true;
            continue;
        }
        if line.starts_with("```") {
            if inside {
                inside = false;
                marked = false;
            } else if marked {
                inside = true;
            }
            continue;
        }
        if !inside {
            continue;
        }
        pending.push_str(line.trim_end().trim_end_matches('\\'));
        if line.trim_end().ends_with('\\') {
            pending.push(' ');
            continue;
        }
        let command = strip_comment(&pending);
        if !command.is_empty() {
            lines.push(command);
        }
        pending.clear();
    }
    lines
}

/// The line without its trailing `# comment` (none of the guide's
/// arguments contain " #").
fn strip_comment(line: &str) -> String {
    let line = match line.find(" #") {
        Some(at) => &line[..at],
        None => line,
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The value of `field` in a record as `tasknet` prints it ("field:  value").
fn field(output: &str, field: &str) -> Option<String> {
    output
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map(|v| v.trim().to_string())
}

struct Guide {
    dir: tempfile::TempDir,
    vars: BTreeMap<String, String>,
    fills: BTreeMap<&'static str, String>,
    background: Vec<Child>,
}

impl Guide {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // ./target/debug is this build's, wherever CARGO_TARGET_DIR put it.
        let debug: PathBuf = Path::new(env!("CARGO_BIN_EXE_tasknet"))
            .parent()
            .unwrap()
            .to_path_buf();
        std::fs::create_dir(dir.path().join("target")).unwrap();
        std::os::unix::fs::symlink(debug, dir.path().join("target/debug")).unwrap();
        Self {
            dir,
            vars: BTreeMap::new(),
            fills: BTreeMap::new(),
            background: Vec::new(),
        }
    }

    fn shell(&self, line: &str) -> Command {
        let mut command = Command::new("bash");
        command
            .args(["-c", line])
            .current_dir(self.dir.path())
            // No Solana CLI config of the machine's: the guide's flags only.
            .env("HOME", self.dir.path())
            // The machine's Rust, as a reader's shell has it; the task
            // crate the guide scaffolds builds into its own target.
            .env("CARGO_HOME", cargo_home())
            .env("RUSTUP_HOME", rustup_home())
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("RUSTFLAGS")
            .env("NO_COLOR", "1")
            .envs(&self.vars);
        command
    }

    fn fill(&self, line: &str) -> String {
        self.fills
            .iter()
            .fold(line.to_string(), |line, (placeholder, value)| {
                line.replace(placeholder, value)
            })
    }

    fn run(&mut self, line: &str) {
        if line.starts_with("cargo ") || (on_a_validator() && line.contains(" localnet ")) {
            return;
        }
        // A variable the following lines use.
        if let Some((name, value)) = line.split_once('=') {
            if !name.contains(' ') {
                self.vars
                    .insert(name.to_string(), value.trim_matches('"').to_string());
                return;
            }
        }
        let line = self.fill(line);
        if let Some(command) = line.strip_suffix('&') {
            let log = std::fs::File::create(
                self.dir
                    .path()
                    .join(format!("background-{}.log", self.background.len())),
            )
            .unwrap();
            let child = self
                .shell(&format!("exec {command}"))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            self.background.push(child);
            return;
        }
        let started = Instant::now();
        let stdout = loop {
            let output = self.shell(&line).output().unwrap();
            if output.status.success() {
                break String::from_utf8_lossy(&output.stdout).into_owned();
            }
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(
                started.elapsed() < patience(),
                "the README's line `{line}` still fails after {:?}: {stderr}",
                patience()
            );
            std::thread::sleep(Duration::from_secs(1));
        };
        if line.contains("keygen --outfile creator.json") {
            let address = field(&stdout, "address").expect("keygen prints the address");
            self.fills.insert("<YOUR ADDRESS>", address);
        }
        if line.contains("task test") {
            let hash = stdout
                .lines()
                .find_map(|l| l.strip_prefix("module "))
                .and_then(|rest| rest.split_whitespace().next())
                .expect("task test names the module's hash");
            self.fills.insert("<CODE HASH>", hash.to_string());
        }
        if line.contains("token create") {
            let mint = field(&stdout, "mint").expect("token create prints the mint");
            self.fills.insert("<MINT>", mint);
        }
        if line.contains("task create") {
            let task = field(&stdout, "task").expect("task create prints the task");
            self.fills.insert("<TASK>", task);
        }
    }
}

impl Guide {
    /// The last lines of every background command's log, for a failure.
    fn background_logs(&self) -> String {
        (0..self.background.len())
            .map(|i| {
                let path = self.dir.path().join(format!("background-{i}.log"));
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(40)..].join("\n");
                format!("--- background {i}:\n{tail}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Guide {
    fn drop(&mut self) {
        for child in &mut self.background {
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

#[test]
fn the_readme_walk_through_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let lines = guide_lines(&readme);
    assert!(lines.len() >= 20, "the guide's lines: {lines:#?}");
    let mut guide = Guide::new();
    for line in &lines {
        guide.run(line);
    }
    // Everything the guide started is still running: nothing crashed.
    for child in &mut guide.background {
        assert!(
            child.try_wait().unwrap().is_none(),
            "a background command exited"
        );
    }
    // And it did what it says: the first node was paid; the second, which
    // never had the file, fetched the module by hash, kept it and ran it
    // (whether it also lands a submission before the guide pauses the task
    // is a race the guide does not wait for); and the task is closed (with
    // no stake left, its accounts are gone).
    let earnings = guide
        .shell("$N -o json node earnings --db node.db")
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&earnings.stdout).unwrap();
    assert!(
        rows.as_array().unwrap().iter().any(|r| r["round"] == "0"),
        "the first node earned in round 0: {rows}; the background logs:\n{}",
        guide.background_logs()
    );
    let status = http_get("127.0.0.1:9001", "/status");
    assert!(
        status.contains(r#""code":"ready""#),
        "the second node ran the module it fetched: {status}"
    );
    let fetched = guide.fill("node2-code/<CODE HASH>.wasm");
    assert!(
        guide.dir.path().join(&fetched).exists(),
        "the second node kept the module it fetched: {fetched}"
    );
    let show = guide
        .shell(&guide.fill("$T task show <TASK>"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&show.stderr);
    assert!(
        !show.status.success() && stderr.contains("does not exist"),
        "the task's accounts are closed: {stderr}"
    );
    // The token task returned its whole bounty to the creator.
    let balance = guide
        .shell(&guide.fill("$T -o json balance --mint <MINT>"))
        .output()
        .unwrap();
    let balance: serde_json::Value = serde_json::from_slice(&balance.stdout).unwrap();
    assert_eq!(balance["balance"], "1000", "{balance}");
}
