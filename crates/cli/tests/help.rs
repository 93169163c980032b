//! The `tasknet` binary explains itself: bare commands print their usage,
//! clap's errors arrive whole, global flags stand apart, commands that
//! never touch a cluster do not offer its flags, and an unreachable cluster
//! is named as such. No cluster needed.

use std::process::Command;

/// Runs `tasknet <args>`: (exit code, stdout, stderr).
fn tasknet(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tasknet"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("tasknet runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bare_commands_print_their_usage_and_subcommands() {
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &[],
            &[
                "task", "node", "round", "demo", "explore", "localnet", "keygen",
            ],
        ),
        (
            &["task"],
            &["create", "fund", "update", "pause", "close", "show"],
        ),
        (
            &["node"],
            &["stake", "unstake", "withdraw", "status", "run"],
        ),
        (&["round"], &["show"]),
    ];
    for (args, subcommands) in cases {
        let (code, stdout, stderr) = tasknet(args);
        assert_eq!(code, 2, "tasknet {args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains("Usage: tasknet"),
            "tasknet {args:?}: {stderr}"
        );
        assert!(stderr.contains("Commands:"), "tasknet {args:?}: {stderr}");
        for sub in subcommands {
            assert!(
                stderr.lines().any(|l| l.trim_start().starts_with(sub)),
                "tasknet {args:?} does not list {sub}: {stderr}"
            );
        }
    }
}

#[test]
fn clap_errors_are_shown_whole() {
    // A missing argument names it, and shows the usage.
    let (code, _, stderr) = tasknet(&["task", "fund"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the following required arguments were not provided"),
        "{stderr}"
    );
    assert!(
        stderr.contains("<TASK>") && stderr.contains("<AMOUNT>"),
        "{stderr}"
    );
    assert!(stderr.contains("Usage: tasknet task fund"), "{stderr}");
    // A typo gets clap's tip.
    let (code, _, stderr) = tasknet(&["tsak"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("similar subcommand exists: 'task'"),
        "{stderr}"
    );
    let (code, _, stderr) = tasknet(&["node", "stake", "--endpont", "x"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--endpoint"),
        "a tip names the real flag: {stderr}"
    );
}

#[test]
fn global_flags_stand_apart_and_only_where_they_are_used() {
    let (code, stdout, _) = tasknet(&["task", "create", "--help"]);
    assert_eq!(code, 0);
    let (own, global) = stdout
        .split_once("Global options:")
        .expect("a Global options section");
    assert!(
        own.contains("--round-slots") && own.contains("--slash-bps"),
        "{stdout}"
    );
    assert!(
        global.contains("--url") && global.contains("--keypair"),
        "{stdout}"
    );
    assert!(
        !own.contains("--url"),
        "global flags are not mixed in: {stdout}"
    );

    for command in ["keygen", "localnet"] {
        let (code, stdout, _) = tasknet(&[command, "--help"]);
        assert_eq!(code, 0);
        for flag in ["--url", "--keypair", "--commitment"] {
            assert!(
                !stdout.contains(flag),
                "{command} --help offers {flag}: {stdout}"
            );
        }
    }
    // The demo runs on a cluster given --url, with keys of its own.
    let (_, stdout, _) = tasknet(&["demo", "--help"]);
    assert!(
        stdout.contains("--url") && !stdout.contains("--keypair"),
        "{stdout}"
    );
}

#[test]
fn flags_say_their_units() {
    let (_, stdout, _) = tasknet(&["task", "create", "--help"]);
    for (flag, unit) in [
        ("--round-slots", "slots"),
        ("--slash-bps", "basis points"),
        ("--min-stake", "SOL"),
        ("--challenge-bond", "SOL"),
    ] {
        let line = stdout
            .lines()
            .skip_while(|l| !l.contains(flag))
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(line.contains(unit), "{flag} does not say {unit}: {line}");
    }
}

/// Every command that talks to a cluster says, in one line, that it cannot
/// reach it — not "AccountNotFound", not an airdrop rate limit.
#[test]
fn an_unreachable_cluster_is_named_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let keypair = dir.path().join("k.json");
    let keypair = keypair.to_str().unwrap();
    let (code, _, stderr) = tasknet(&["keygen", "--outfile", keypair]);
    assert_eq!(code, 0, "{stderr}");
    let task = "11111111111111111111111111111111";
    let db = dir.path().join("node.db");
    let db = db.to_str().unwrap();
    let commands: [&[&str]; 11] = [
        &["task", "show", task],
        &["task", "list"],
        &["task", "fund", task, "1"],
        &["task", "pause", task],
        &[
            "task",
            "create",
            "--id",
            "1",
            "--name",
            "x",
            "--example",
            "--reward",
            "1",
        ],
        &["node", "status", task],
        &["node", "stake", task, "1"],
        &["round", "show", task, "0"],
        &["airdrop", "1"],
        &["node", "run", "--task", task, "--db", db],
        &["explore", "--bind", "127.0.0.1:0"],
    ];
    // In parallel: each gives up only after its transport retries (~6 s).
    let runs: Vec<_> = commands
        .iter()
        .map(|command| {
            let mut args: Vec<String> = [
                "-u",
                "http://127.0.0.1:1",
                "-k",
                keypair,
                "-C",
                "/nonexistent",
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            args.extend(command.iter().map(|a| a.to_string()));
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                tasknet(&args)
            })
        })
        .collect();
    for (command, run) in commands.iter().zip(runs) {
        let (code, _, stderr) = run.join().unwrap();
        assert_eq!(code, 1, "{command:?}: {stderr}");
        let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(error.len(), 1, "{command:?}: {stderr}");
        assert!(
            error[0].starts_with("error: cannot reach the cluster's RPC at http://127.0.0.1:1"),
            "{command:?}: {stderr}"
        );
    }
}

/// With `-o json` a failure is JSON too, on stderr, with the same message.
#[test]
fn json_output_makes_errors_json() {
    let (code, stdout, stderr) = tasknet(&[
        "-o",
        "json",
        "-k",
        "/nonexistent/key.json",
        "-C",
        "/nonexistent",
        "balance",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    let error: serde_json::Value = serde_json::from_str(stderr.trim()).expect("JSON on stderr");
    let message = error["error"].as_str().expect("an error message");
    assert!(
        message.starts_with("keypair file /nonexistent/key.json"),
        "{message}"
    );
}

#[test]
fn task_update_says_when_a_change_applies() {
    let (code, stdout, stderr) = tasknet(&["task", "update", "--help"]);
    assert_eq!(code, 0, "{stderr}");
    let text = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("A change applies from the next round opened"),
        "{stdout}"
    );
}
