//! Task code: what a node runs each round and how it audits others.
//!
//! Two ways to supply it: a Rust [`TaskCode`] implementation (for embedding
//! the node as a library), or [`ExternalCommand`], any executable speaking
//! JSON on stdin/stdout. Either way the node refuses code whose sha256
//! differs from the task's `code_hash`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use sha2::{Digest, Sha256};

/// What a round's code gets to work on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundInput {
    pub task: Pubkey,
    pub round: u64,
    /// `sha256("tasknet-round" ‖ task ‖ round)`: the same for every node.
    pub seed: [u8; 32],
    /// The node whose work this is: the executing node itself, or, in an
    /// audit, the audited node. A task may give each node its own part of
    /// the work (a shard chosen by its address and the seed).
    pub node: Pubkey,
}

impl RoundInput {
    pub fn new(task: Pubkey, round: u64, node: Pubkey) -> Self {
        let seed = Sha256::new()
            .chain_update(b"tasknet-round")
            .chain_update(task.as_ref())
            .chain_update(round.to_le_bytes())
            .finalize()
            .into();
        Self {
            task,
            round,
            seed,
            node,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    #[error("task code hash mismatch for task {task}: the task requires {expected}, this code is {actual}; refusing to run it")]
    HashMismatch {
        task: Pubkey,
        expected: String,
        actual: String,
    },
    #[error("cannot read task code {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("task code {path} failed to start: {source}")]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("task code {path} timed out after {timeout:?}")]
    Timeout { path: PathBuf, timeout: Duration },
    #[error("task code {path} exited with {status}")]
    Exit { path: PathBuf, status: String },
    #[error("task code {path} wrote invalid output: {detail}")]
    Output { path: PathBuf, detail: String },
    #[error("task code returned a payload of {0} bytes; a payload holds 1 byte to 1 MiB")]
    PayloadLength(usize),
    #[error("task module: {0}")]
    Sandbox(#[from] tasknet_sandbox::SandboxError),
    #[error("task module answered outside the protocol: {0}")]
    BadAnswer(String),
    #[error("task module {hash} is not in this node's library, at the task's code URI or with any staked peer; retrying")]
    Missing { hash: String },
}

impl CodeError {
    /// The failure's label in `/metrics` (`tasknet_node_code_failures_total`).
    pub fn kind(&self) -> &'static str {
        use tasknet_sandbox::SandboxError as S;
        match self {
            Self::Missing { .. } => "missing",
            Self::HashMismatch { .. } | Self::Sandbox(S::HashMismatch { .. }) => "hash_mismatch",
            Self::Sandbox(S::ForbiddenImport { .. }) => "forbidden_import",
            Self::Sandbox(S::Invalid(_) | S::NoStart) => "invalid_module",
            Self::Sandbox(S::OutOfFuel { .. }) => "out_of_fuel",
            Self::Sandbox(S::OverLimit { .. }) => "over_limit",
            Self::Sandbox(S::Deadline(_)) | Self::Timeout { .. } => "deadline",
            Self::Sandbox(S::OutputTooLarge { .. }) => "output_too_large",
            Self::Sandbox(S::Exit(_)) | Self::Exit { .. } => "exit",
            Self::Sandbox(S::Trap(_)) => "trap",
            Self::Sandbox(S::Cache { .. }) | Self::Read { .. } | Self::Spawn { .. } => "io",
            Self::BadAnswer(_) | Self::Output { .. } | Self::PayloadLength(_) => "bad_answer",
        }
    }
}

/// Code a node runs for a task.
pub trait TaskCode: Send + Sync {
    /// sha256 of the code, compared with the task's `code_hash`.
    fn code_hash(&self) -> [u8; 32];
    /// Runs the round; returns its payload (1 byte to 1 MiB). The node
    /// submits the payload's sha256 and serves the payload to auditors.
    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError>;
    /// Checks another node's payload for the round (already checked
    /// against its submitted hash).
    fn audit(&self, input: &RoundInput, node: &Pubkey, payload: &[u8]) -> Result<bool, CodeError>;
    /// Fuel the last call used, for code that is metered (WebAssembly).
    fn last_fuel(&self) -> Option<u64> {
        None
    }
}

/// Shared code is code: a module loaded once serves many specs.
impl<T: TaskCode + ?Sized> TaskCode for std::sync::Arc<T> {
    fn code_hash(&self) -> [u8; 32] {
        (**self).code_hash()
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        (**self).execute(input)
    }

    fn audit(&self, input: &RoundInput, node: &Pubkey, payload: &[u8]) -> Result<bool, CodeError> {
        (**self).audit(input, node, payload)
    }

    fn last_fuel(&self) -> Option<u64> {
        (**self).last_fuel()
    }
}

/// Refuses code whose hash is not the task's.
pub fn check_code_hash(
    task: &Pubkey,
    expected: &[u8; 32],
    code: &dyn TaskCode,
) -> Result<(), CodeError> {
    let actual = code.code_hash();
    if &actual == expected {
        Ok(())
    } else {
        Err(CodeError::HashMismatch {
            task: *task,
            expected: hex::encode(expected),
            actual: hex::encode(actual),
        })
    }
}

/// A round's output: what the node serves to auditors; its sha256 is what
/// goes on-chain.
pub fn check_payload(payload: Vec<u8>) -> Result<Vec<u8>, CodeError> {
    if payload.is_empty() || payload.len() > crate::payloads::MAX_PAYLOAD_BYTES {
        Err(CodeError::PayloadLength(payload.len()))
    } else {
        Ok(payload)
    }
}

/// sha256 of a task code file: the hash a task names and a node checks.
pub fn file_hash(path: &Path) -> Result<[u8; 32], CodeError> {
    let bytes = std::fs::read(path).map_err(|source| CodeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Sha256::digest(&bytes).into())
}

/// Where a task's code hash comes from: given, a file's sha256, or the
/// built-in example task. The CLI and task manifests both resolve it here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeSource {
    Hash([u8; 32]),
    File(PathBuf),
    Example,
}

impl CodeSource {
    pub fn code_hash(&self) -> Result<[u8; 32], CodeError> {
        match self {
            Self::Hash(hash) => Ok(*hash),
            Self::File(path) => file_hash(path),
            Self::Example => Ok(IteratedHash.code_hash()),
        }
    }
}

/// The request task code reads on stdin and the answer it writes on
/// stdout: the task kit's own types, so the node and every task built with
/// the kit speak one protocol.
pub use tasknet_task_kit::{Answer as Response, Request};

/// The request to run `input`'s round.
pub fn execute_request(input: &RoundInput) -> Request {
    Request::Execute {
        task: input.task.to_string(),
        round: input.round,
        seed: hex::encode(input.seed),
        node: input.node.to_string(),
    }
}

/// The request to audit `node`'s `payload` for `input`'s round.
pub fn audit_request(input: &RoundInput, node: &Pubkey, payload: &[u8]) -> Request {
    Request::Audit {
        task: input.task.to_string(),
        round: input.round,
        seed: hex::encode(input.seed),
        node: node.to_string(),
        payload: hex::encode(payload),
    }
}

/// Any executable: one JSON request on stdin, one JSON response on stdout,
/// within `timeout`; what it writes on stderr goes to the node's log.
pub struct ExternalCommand {
    pub path: PathBuf,
    pub timeout: Duration,
    hash: [u8; 32],
}

impl ExternalCommand {
    pub fn new(path: impl AsRef<Path>, timeout: Duration) -> Result<Self, CodeError> {
        let path = path.as_ref().to_path_buf();
        Ok(Self {
            hash: file_hash(&path)?,
            path,
            timeout,
        })
    }

    /// Runs the command once. Its stdin is written, and its stdout and
    /// stderr read, by their own threads while it runs, so neither side
    /// ever waits on a full pipe (a 1 MiB payload is 2 MiB of hex). It runs
    /// in its own process group, and the whole group is killed when the
    /// command is done or out of time: no child it spawned outlives it.
    fn call(&self, request: &Request) -> Result<Response, CodeError> {
        let run = self.run_once(request)?;
        self.judge(run)
    }

    /// Spawns the command, feeds it `request` and waits for it (or its
    /// timeout); then kills its process group.
    fn run_once(&self, request: &Request) -> Result<Run, CodeError> {
        let mut child = Command::new(&self.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|source| CodeError::Spawn {
                path: self.path.clone(),
                source,
            })?;
        let group = child.id() as libc::pid_t;
        let body = serde_json::to_vec(request).expect("requests serialize");
        let stdin = child.stdin.take().map(|mut stdin| {
            // A command that exits without reading is judged by its output.
            std::thread::spawn(move || drop(stdin.write_all(&body)))
        });
        let stdout = child
            .stdout
            .take()
            .map(|out| read_capped(out, MAX_RESPONSE_BYTES));
        let stderr = child
            .stderr
            .take()
            .map(|err| read_capped(err, STDERR_TAIL_BYTES));

        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if started.elapsed() >= self.timeout => break Err(None),
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(source) => break Err(Some(source)),
            }
        };
        // The command is done, or is cut off: its group goes with it, which
        // also closes any pipe a leftover child still held.
        // SAFETY: signals a process group this call created.
        unsafe { libc::killpg(group, libc::SIGKILL) };
        let _ = child.wait();
        if let Some(writer) = stdin {
            let _ = writer.join();
        }
        let stdout = stdout.and_then(|r| r.join().ok()).unwrap_or_default();
        let stderr = stderr.and_then(|r| r.join().ok()).unwrap_or_default();
        Ok(Run {
            status,
            stdout,
            stderr,
        })
    }

    /// The command's answer, or why it has none; its stderr to the log.
    fn judge(&self, run: Run) -> Result<Response, CodeError> {
        let Run {
            status,
            stdout,
            stderr,
        } = run;
        let stderr_tail = String::from_utf8_lossy(&stderr.tail);
        let status = match status {
            Ok(status) => status,
            Err(None) => {
                tracing::warn!(code = %self.path.display(), "timed out; the end of its stderr:\n{stderr_tail}");
                return Err(CodeError::Timeout {
                    path: self.path.clone(),
                    timeout: self.timeout,
                });
            }
            Err(Some(source)) => {
                return Err(CodeError::Spawn {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        if stderr.dropped > 0 {
            tracing::info!(code = %self.path.display(), "({} earlier bytes of stderr not shown)", stderr.dropped);
        }
        for line in stderr_tail.lines() {
            tracing::info!(code = %self.path.display(), "{line}");
        }
        if !status.success() {
            return Err(CodeError::Exit {
                path: self.path.clone(),
                status: status.to_string(),
            });
        }
        if stdout.dropped > 0 {
            return Err(self.bad_output(&format!("more than {MAX_RESPONSE_BYTES} bytes on stdout")));
        }
        serde_json::from_slice(&stdout.tail).map_err(|e| CodeError::Output {
            path: self.path.clone(),
            detail: e.to_string(),
        })
    }

    fn bad_output(&self, detail: &str) -> CodeError {
        CodeError::Output {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }
}

impl TaskCode for ExternalCommand {
    fn code_hash(&self) -> [u8; 32] {
        self.hash
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        let request = execute_request(input);
        match self.call(&request)? {
            Response::Payload { payload } => {
                check_payload(hex::decode(payload).map_err(|e| self.bad_output(&e.to_string()))?)
            }
            Response::Verdict { .. } => Err(self.bad_output("expected {\"payload\": hex}")),
        }
    }

    fn audit(&self, input: &RoundInput, node: &Pubkey, payload: &[u8]) -> Result<bool, CodeError> {
        let request = audit_request(input, node, payload);
        match self.call(&request)? {
            Response::Verdict { valid } => Ok(valid),
            Response::Payload { .. } => Err(self.bad_output("expected {\"valid\": bool}")),
        }
    }
}

/// The most a command may write on stdout: a 1 MiB payload as hex in its
/// JSON answer, with room to spare.
const MAX_RESPONSE_BYTES: usize = 2 * crate::payloads::MAX_PAYLOAD_BYTES + 4096;

/// How much of a command's stderr is kept for the log: its end.
const STDERR_TAIL_BYTES: usize = 16 * 1024;

/// What a pipe delivered: its last `cap` bytes, and how many came before.
#[derive(Default)]
struct Captured {
    tail: Vec<u8>,
    dropped: usize,
}

/// One finished (or cut off) run of an external command.
struct Run {
    /// `Err(None)`: out of time; `Err(Some(_))`: waiting failed.
    status: Result<std::process::ExitStatus, Option<std::io::Error>>,
    stdout: Captured,
    stderr: Captured,
}

/// Drains `pipe` to its end on a thread, keeping the last `cap` bytes.
fn read_capped(
    mut pipe: impl std::io::Read + Send + 'static,
    cap: usize,
) -> std::thread::JoinHandle<Captured> {
    std::thread::spawn(move || {
        let mut captured = Captured::default();
        let mut buffer = [0u8; 64 * 1024];
        while let Ok(n @ 1..) = pipe.read(&mut buffer) {
            captured.tail.extend_from_slice(&buffer[..n]);
            if captured.tail.len() > cap {
                let excess = captured.tail.len() - cap;
                captured.tail.drain(..excess);
                captured.dropped += excess;
            }
        }
        captured
    })
}

/// The example task's work (`crates/example-tasks`, whose module computes
/// the same bytes): `rounds` iterations of sha256 over the round seed.
/// Deterministic, so every honest node gets the same 32 bytes, and
/// checkable by recomputing.
pub use tasknet_example_tasks::{iterated_hash, ITERATIONS as EXAMPLE_ITERATIONS};

/// The example task as a Rust [`TaskCode`], for embedding.
pub struct IteratedHash;

impl IteratedHash {
    /// Identifies this implementation; the task's `code_hash` must equal it.
    pub const DESCRIPTOR: &'static [u8] = b"tasknet-example:iterated-hash:sha256x10000:v1";
}

impl TaskCode for IteratedHash {
    fn code_hash(&self) -> [u8; 32] {
        Sha256::digest(Self::DESCRIPTOR).into()
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        Ok(iterated_hash(&input.seed, EXAMPLE_ITERATIONS).to_vec())
    }

    fn audit(&self, input: &RoundInput, _node: &Pubkey, payload: &[u8]) -> Result<bool, CodeError> {
        Ok(payload == iterated_hash(&input.seed, EXAMPLE_ITERATIONS))
    }
}

/// The proof-of-work example: the task code of the example verifier
/// program (`tasknet-pow-verifier`). A round's result is a nonce whose
/// hash with the task, round and node meets the verifier's target; the
/// value submitted is the nonce itself (8 bytes), which the verifier
/// checks on-chain when challenged.
pub struct ProofOfWork;

impl ProofOfWork {
    /// Identifies this implementation; the task's `code_hash` must equal it.
    pub const DESCRIPTOR: &'static [u8] = b"tasknet-example:proof-of-work:v1";
}

impl TaskCode for ProofOfWork {
    fn code_hash(&self) -> [u8; 32] {
        Sha256::digest(Self::DESCRIPTOR).into()
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        let nonce = tasknet_pow_verifier::pow::solve(
            &input.task.to_bytes(),
            input.round,
            &input.node.to_bytes(),
        );
        Ok(nonce.to_le_bytes().to_vec())
    }

    fn audit(&self, input: &RoundInput, node: &Pubkey, payload: &[u8]) -> Result<bool, CodeError> {
        Ok(tasknet_pow_verifier::pow::is_valid(
            &input.task.to_bytes(),
            input.round,
            &node.to_bytes(),
            payload,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_of_work_results_pass_its_own_audit_and_the_verifier() {
        let (task, node) = (Pubkey::new_unique(), Pubkey::new_unique());
        let input = RoundInput::new(task, 5, node);
        let value = ProofOfWork.execute(&input).unwrap();
        assert!(ProofOfWork.audit(&input, &node, &value).unwrap());
        assert!(!ProofOfWork.audit(&input, &node, &value[..7]).unwrap());
    }

    #[test]
    fn example_is_deterministic_and_checkable() {
        let input = RoundInput::new(Pubkey::new_from_array([1; 32]), 3, Pubkey::new_unique());
        let value = IteratedHash.execute(&input).unwrap();
        assert_eq!(value.len(), 32);
        assert!(IteratedHash
            .audit(&input, &Pubkey::default(), &value)
            .unwrap());
        assert!(!IteratedHash
            .audit(&input, &Pubkey::default(), b"wrong")
            .unwrap());
        let other = RoundInput::new(Pubkey::new_from_array([1; 32]), 4, Pubkey::new_unique());
        assert_ne!(IteratedHash.execute(&other).unwrap(), value);
    }

    #[test]
    fn code_hash_mismatch_is_refused() {
        let task = Pubkey::new_unique();
        assert!(check_code_hash(&task, &IteratedHash.code_hash(), &IteratedHash).is_ok());
        let e = check_code_hash(&task, &[0; 32], &IteratedHash).unwrap_err();
        assert!(e.to_string().contains("code hash mismatch"), "{e}");
    }

    #[test]
    fn code_sources_resolve_to_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("code");
        std::fs::write(&file, b"code").unwrap();
        let expected: [u8; 32] = Sha256::digest(b"code").into();
        assert_eq!(CodeSource::File(file).code_hash().unwrap(), expected);
        assert_eq!(CodeSource::Hash([4; 32]).code_hash().unwrap(), [4; 32]);
        assert_eq!(
            CodeSource::Example.code_hash().unwrap(),
            IteratedHash.code_hash()
        );
        let missing = CodeSource::File(dir.path().join("none")).code_hash();
        assert!(matches!(missing, Err(CodeError::Read { .. })));
    }

    /// An executable shell script in `dir`.
    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("code.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A 1 MiB payload out (2 MiB of hex on stdout, with 100 kB on stderr
    /// written first) and in (an audit request of 2 MiB on stdin): both
    /// far past a pipe's 64 KiB buffer.
    #[test]
    fn one_mib_payloads_pass_through_a_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = script(
            dir.path(),
            r#"request=$(cat)
head -c 100000 /dev/zero | tr '\0' 'e' >&2
case "$request" in
  *'"op":"execute"'*)
    printf '{"payload":"'
    head -c 1048576 /dev/zero | od -An -v -tx1 | tr -d ' \n'
    printf '"}' ;;
  *) printf '{"valid":%s}' "$([ ${#request} -gt 2097152 ] && echo true || echo false)" ;;
esac"#,
        );
        let code = ExternalCommand::new(&path, Duration::from_secs(60)).unwrap();
        let input = RoundInput::new(Pubkey::new_unique(), 0, Pubkey::new_unique());
        let payload = code.execute(&input).unwrap();
        assert_eq!(payload, vec![0u8; crate::payloads::MAX_PAYLOAD_BYTES]);
        assert!(code.audit(&input, &Pubkey::new_unique(), &payload).unwrap());
    }

    /// A command that starts a child and hangs: at the timeout the whole
    /// process group is killed, the child included.
    #[test]
    fn a_hanging_command_is_killed_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("child.pid");
        let path = script(
            dir.path(),
            &format!(
                "sleep 1000 &\necho $! > {}\necho started a child >&2\nsleep 1000",
                pid_file.display()
            ),
        );
        let code = ExternalCommand::new(&path, Duration::from_millis(500)).unwrap();
        let e = code
            .execute(&RoundInput::new(
                Pubkey::new_unique(),
                0,
                Pubkey::new_unique(),
            ))
            .unwrap_err();
        assert!(matches!(e, CodeError::Timeout { .. }), "{e}");
        let child: u32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Gone, or a zombie waiting for a reaper: either way not running.
        let running = || {
            std::fs::read_to_string(format!("/proc/{child}/stat")).is_ok_and(|stat| {
                !stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
        };
        for _ in 0..100 {
            if !running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the command's child {child} outlived it");
    }

    #[test]
    fn requests_and_responses_are_plain_json() {
        let r = Request::Execute {
            task: "t".into(),
            round: 1,
            seed: "00".into(),
            node: "n".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"op":"execute","task":"t","round":1,"seed":"00","node":"n"}"#
        );
        let v: Response = serde_json::from_str(r#"{"valid":true}"#).unwrap();
        assert_eq!(v, Response::Verdict { valid: true });
    }
}
