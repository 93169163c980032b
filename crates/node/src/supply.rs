//! Where a round's task code comes from. The operator either gives it
//! ([`CodeSupply::Given`]: native code or `--command`, which run the
//! rounds whose code hash is their own) or lets the node find WebAssembly
//! modules by hash ([`CodeSupply::ByHash`]): its [`ModuleLibrary`] looks in
//! its directory (`<dir>/<sha256>.wasm`), then at the task's `code_uri`,
//! then asks the task's staked peers (`GET /code/<sha256>` on their
//! payload endpoints). Every byte is checked against the hash before it is
//! kept or compiled; a source that serves other bytes is logged and the
//! next one tried.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use tasknet::state::{CodeLimits, Stake, Task};
use tasknet_sandbox::{Limits, Sandbox, SandboxError, TaskModule};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::chain::decode_account;

use crate::code::{CodeError, TaskCode};
use crate::payloads::{admitted_hash, get_bounded, BoundedGetError, RateLimit};
use crate::snapshot::AccountSource;
use crate::wasm::WasmCode;

/// Largest module the node downloads or serves.
pub const MAX_MODULE_BYTES: usize = 32 << 20;
/// How long one source may take to send a module.
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// After every source failed, how long before they are asked again.
pub const RETRY_AFTER: Duration = Duration::from_secs(10);
/// Peers asked for a module, at most, per attempt.
pub const MAX_PEERS_ASKED: usize = 8;
/// Module requests the node answers per second; more get 429 (a module is
/// up to 32 MiB: this bounds what peers can make it send).
pub const MAX_MODULE_REQUESTS_PER_SECOND: u64 = 4;

/// A task's code, as the operator supplies it.
#[derive(Clone)]
pub enum CodeSupply {
    /// This code, for the rounds whose code hash is its own.
    Given(Arc<dyn TaskCode>),
    /// Whatever module each round's code hash names, found by the library.
    ByHash(Arc<ModuleLibrary>),
}

impl CodeSupply {
    /// The code for a round of `task` whose code hash is `hash`.
    pub async fn code_for(
        &self,
        source: &impl AccountSource,
        task_key: &Pubkey,
        task: &Task,
        hash: &[u8; 32],
    ) -> Result<Arc<dyn TaskCode>, CodeError> {
        match self {
            Self::Given(code) if &code.code_hash() == hash => Ok(code.clone()),
            Self::Given(code) => Err(CodeError::HashMismatch {
                task: *task_key,
                expected: hex::encode(hash),
                actual: hex::encode(code.code_hash()),
            }),
            Self::ByHash(library) => {
                let code = library.code_for(source, task_key, task, hash).await?;
                Ok(code)
            }
        }
    }
}

/// Modules by hash: kept on disk, compiled once, fetched when missing.
pub struct ModuleLibrary {
    sandbox: Arc<Sandbox>,
    dir: PathBuf,
    /// The operator's caps on what any task's module may use.
    caps: Limits,
    http: reqwest::Client,
    compiled: Mutex<HashMap<[u8; 32], TaskModule>>,
    /// When each missing hash last failed every source.
    missing: Mutex<HashMap<[u8; 32], Instant>>,
}

impl ModuleLibrary {
    /// A library in `dir` (created if missing; compiled modules are cached
    /// there too), running modules within the operator's `caps`.
    pub fn new(dir: PathBuf, caps: Limits) -> Result<Self, CodeError> {
        std::fs::create_dir_all(&dir).map_err(|source| CodeError::Read {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            sandbox: Arc::new(Sandbox::new(Some(dir.clone()))?),
            dir,
            caps,
            http: reqwest::Client::new(),
            compiled: Mutex::default(),
            missing: Mutex::default(),
        })
    }

    /// Where the module with `hash` is kept.
    pub fn path(&self, hash: &[u8; 32]) -> PathBuf {
        module_path(&self.dir, hash)
    }

    /// Adds a module the operator brought (`--module`); returns its hash.
    pub fn add(&self, bytes: &[u8]) -> Result<[u8; 32], CodeError> {
        let hash: [u8; 32] = Sha256::digest(bytes).into();
        self.keep(&hash, bytes)?;
        self.compile(&hash, bytes)?;
        Ok(hash)
    }

    /// The module for `hash`, run within `task`'s limits under our caps.
    pub async fn code_for(
        &self,
        source: &impl AccountSource,
        task_key: &Pubkey,
        task: &Task,
        hash: &[u8; 32],
    ) -> Result<Arc<dyn TaskCode>, CodeError> {
        let module = match self.compiled_module(hash) {
            Some(module) => module,
            None => {
                let bytes = self.find(source, task_key, task, hash).await?;
                // Compiling takes a while (Cranelift): off the async workers.
                let (sandbox, key) = (self.sandbox.clone(), *hash);
                let module = tokio::task::spawn_blocking(move || sandbox.load(&bytes, &key))
                    .await
                    .map_err(|e| SandboxError::Invalid(format!("compiling stopped: {e}")))??;
                self.remember(hash, module.clone());
                module
            }
        };
        let limits = task_limits(&task.code_limits).within(&self.caps);
        Ok(Arc::new(WasmCode::new(
            self.sandbox.clone(),
            module,
            limits,
        )))
    }

    fn compiled_module(&self, hash: &[u8; 32]) -> Option<TaskModule> {
        let compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        compiled.get(hash).cloned()
    }

    fn compile(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<TaskModule, CodeError> {
        let module = self.sandbox.load(bytes, hash)?;
        self.remember(hash, module.clone());
        Ok(module)
    }

    fn remember(&self, hash: &[u8; 32], module: TaskModule) {
        let mut compiled = self.compiled.lock().unwrap_or_else(|p| p.into_inner());
        compiled.insert(*hash, module);
    }

    /// The module's bytes: from disk, else from the task's URI, else from
    /// its peers; checked against `hash` wherever they came from.
    async fn find(
        &self,
        source: &impl AccountSource,
        task_key: &Pubkey,
        task: &Task,
        hash: &[u8; 32],
    ) -> Result<Vec<u8>, CodeError> {
        if let Some(bytes) = self.kept(hash) {
            return Ok(bytes);
        }
        let hex = hex::encode(hash);
        if let Some(since) = self.missing_since(hash) {
            if since.elapsed() < RETRY_AFTER {
                return Err(CodeError::Missing { hash: hex });
            }
        }
        let mut urls = Vec::new();
        if !task.code_uri.is_empty() {
            urls.push(task.code_uri.clone());
        }
        urls.extend(
            peer_endpoints(source, task_key)
                .await
                .into_iter()
                .map(|endpoint| format!("{}/code/{hex}", endpoint.trim_end_matches('/'))),
        );
        for url in &urls {
            match self.download(url, hash).await {
                Ok(bytes) => {
                    tracing::info!(task = %task_key, code = %hex, %url, "fetched the task's module");
                    self.keep(hash, &bytes)?;
                    self.forget_missing(hash);
                    return Ok(bytes);
                }
                Err(e) => tracing::info!(task = %task_key, code = %hex, %url, "no module: {e}"),
            }
        }
        self.note_missing(hash);
        Err(CodeError::Missing { hash: hex })
    }

    /// Bytes kept on disk, if they are still the module's (a file changed
    /// under us is removed and fetched again).
    fn kept(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        let path = self.path(hash);
        let bytes = std::fs::read(&path).ok()?;
        if Sha256::digest(&bytes).as_slice() == hash {
            return Some(bytes);
        }
        tracing::warn!(path = %path.display(), "kept module does not match its hash; removing it");
        let _ = std::fs::remove_file(&path);
        None
    }

    fn keep(&self, hash: &[u8; 32], bytes: &[u8]) -> Result<(), CodeError> {
        let path = self.path(hash);
        // Written aside and renamed: a reader never sees half a module.
        let partial = path.with_extension("wasm.partial");
        std::fs::write(&partial, bytes)
            .and_then(|_| std::fs::rename(&partial, &path))
            .map_err(|source| CodeError::Read { path, source })
    }

    /// One source's bytes, bounded in size and time, checked against `hash`.
    async fn download(&self, url: &str, hash: &[u8; 32]) -> Result<Vec<u8>, DownloadError> {
        let body = get_bounded(&self.http, url, DOWNLOAD_TIMEOUT, MAX_MODULE_BYTES)
            .await
            .map_err(|e| match e {
                BoundedGetError::Unreachable(e) => DownloadError::Unreachable(e),
                BoundedGetError::TooLarge => DownloadError::TooLarge,
            })?;
        let actual: [u8; 32] = Sha256::digest(&body).into();
        if &actual != hash {
            return Err(DownloadError::WrongBytes {
                actual: hex::encode(actual),
            });
        }
        Ok(body)
    }

    fn missing_since(&self, hash: &[u8; 32]) -> Option<Instant> {
        let missing = self.missing.lock().unwrap_or_else(|p| p.into_inner());
        missing.get(hash).copied()
    }

    fn note_missing(&self, hash: &[u8; 32]) {
        let mut missing = self.missing.lock().unwrap_or_else(|p| p.into_inner());
        missing.insert(*hash, Instant::now());
    }

    fn forget_missing(&self, hash: &[u8; 32]) {
        let mut missing = self.missing.lock().unwrap_or_else(|p| p.into_inner());
        missing.remove(hash);
    }

    /// `GET /code/<sha256>`: the modules this node keeps, for its peers.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/code/{hash}", get(serve_module))
            .with_state(Arc::new(ModuleServer {
                dir: self.dir.clone(),
                limit: RateLimit::new(MAX_MODULE_REQUESTS_PER_SECOND),
            }))
    }
}

/// Why one source did not give the module.
#[derive(Debug, thiserror::Error)]
enum DownloadError {
    #[error("{0}")]
    Unreachable(String),
    #[error("larger than {MAX_MODULE_BYTES} bytes")]
    TooLarge,
    #[error("it served other bytes (sha256 {actual}); trying the next source")]
    WrongBytes { actual: String },
}

/// A task's asked-for limits over the defaults (0 keeps a default).
pub fn task_limits(asked: &CodeLimits) -> Limits {
    let defaults = Limits::default();
    let or = |asked: u64, default: u64| if asked == 0 { default } else { asked };
    Limits {
        fuel: or(asked.fuel, defaults.fuel),
        memory_bytes: match asked.memory_mib {
            0 => defaults.memory_bytes,
            mib => (mib as usize).saturating_mul(1 << 20),
        },
        deadline: match asked.deadline_ms {
            0 => defaults.deadline,
            ms => Duration::from_millis(u64::from(ms)),
        },
        ..defaults
    }
}

fn module_path(dir: &Path, hash: &[u8; 32]) -> PathBuf {
    dir.join(format!("{}.wasm", hex::encode(hash)))
}

/// The payload endpoints staked on the task, at most [`MAX_PEERS_ASKED`].
async fn peer_endpoints(source: &impl AccountSource, task_key: &Pubkey) -> Vec<String> {
    let found = source
        .program_accounts(
            &filters::task_stakes(task_key),
            8 + <Stake as anchor_lang::Space>::INIT_SPACE,
        )
        .await;
    let Ok(found) = found else {
        return Vec::new();
    };
    found
        .iter()
        .filter_map(|(key, data)| decode_account::<Stake>(key, data).ok())
        .map(|stake| stake.endpoint)
        .filter(|endpoint| !endpoint.is_empty())
        .take(MAX_PEERS_ASKED)
        .collect()
}

/// What `/code/<sha256>` serves from, and how often.
struct ModuleServer {
    dir: PathBuf,
    limit: RateLimit,
}

async fn serve_module(
    State(server): State<Arc<ModuleServer>>,
    UrlPath(name): UrlPath<String>,
) -> Response {
    let hash = match admitted_hash(&server.limit, &name) {
        Ok(hash) => hash,
        Err(refused) => return refused.into_response(),
    };
    match tokio::fs::read(module_path(&server.dir, &hash)).await {
        Ok(bytes) if bytes.len() <= MAX_MODULE_BYTES => bytes.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use anchor_lang::AccountSerialize;
    use tasknet_sdk::accounts::Memcmp;
    use tasknet_sdk::chain::ChainError;

    use super::*;

    /// The stakes a task's peers hold, in a fixed order: enough of a chain
    /// for the library to find the peers' endpoints.
    struct Peers(Vec<String>);

    impl AccountSource for Peers {
        async fn slot(&self) -> Result<u64, ChainError> {
            Ok(0)
        }

        async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
            Ok(vec![None; addresses.len()])
        }

        async fn program_accounts(
            &self,
            _filters: &[Memcmp],
            _data_size: usize,
        ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
            Ok(self
                .0
                .iter()
                .map(|endpoint| {
                    let mut stake = Stake::open(Pubkey::default(), Pubkey::new_unique(), 0, 0);
                    stake.endpoint = endpoint.clone();
                    let mut data = Vec::new();
                    stake.try_serialize(&mut data).unwrap();
                    (Pubkey::new_unique(), data)
                })
                .collect())
        }
    }

    /// An HTTP server answering every `/code/{hash}` with `body`.
    async fn serve(body: Vec<u8>) -> String {
        let app = Router::new().route("/code/{hash}", get(move || async move { body.clone() }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    fn task(code_uri: String) -> Task {
        let args = tasknet::instructions::CreateTaskArgs {
            task_id: 1,
            name: "t".into(),
            metadata_uri: String::new(),
            code_hash: [0; 32],
            code_uri,
            code_limits: CodeLimits::default(),
            schedule: Default::default(),
            economics: tasknet_sdk::defaults::ECONOMICS,
            commit_reveal: true,
            accept_freeze_authority: false,
            verifier: None,
        };
        Task::new(Pubkey::new_unique(), args, 0, 0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wrong_bytes_from_the_uri_and_a_peer_are_refused_and_the_next_peer_serves() {
        let module = wat::parse_str(r#"(module (func (export "_start")))"#).unwrap();
        let hash: [u8; 32] = Sha256::digest(&module).into();
        let uri = format!("{}/code/x", serve(b"a gateway gone bad".to_vec()).await);
        let lying_peer = serve(b"not the module".to_vec()).await;
        let honest_peer = serve(module.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let library = ModuleLibrary::new(dir.path().to_path_buf(), Limits::default()).unwrap();
        let peers = Peers(vec![lying_peer, String::new(), honest_peer]);
        let task = task(uri);
        let code = library
            .code_for(&peers, &Pubkey::new_unique(), &task, &hash)
            .await
            .map_err(|e| e.to_string());
        assert_eq!(code.map(|c| c.code_hash()), Ok(hash));
        assert_eq!(std::fs::read(library.path(&hash)).unwrap(), module);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn code_no_source_has_is_missing_and_nothing_is_kept() {
        let hash = [7; 32];
        let dir = tempfile::tempdir().unwrap();
        let library = ModuleLibrary::new(dir.path().to_path_buf(), Limits::default()).unwrap();
        let peers = Peers(vec![serve(b"other bytes".to_vec()).await]);
        let task = task(String::new());
        for _ in 0..2 {
            let found = library
                .code_for(&peers, &Pubkey::new_unique(), &task, &hash)
                .await;
            assert!(matches!(found, Err(CodeError::Missing { .. })));
        }
        assert!(library.missing_since(&hash).is_some());
        assert!(!library.path(&hash).exists(), "nothing kept");
    }

    #[test]
    fn a_task_asks_for_limits_and_the_operator_caps_them() {
        let asked = CodeLimits {
            fuel: 5,
            memory_mib: 1 << 20,
            deadline_ms: 0,
        };
        let caps = Limits {
            memory_bytes: 64 << 20,
            ..Limits::default()
        };
        let granted = task_limits(&asked).within(&caps);
        assert_eq!(granted.fuel, 5);
        assert_eq!(granted.memory_bytes, 64 << 20, "capped by the operator");
        assert_eq!(
            granted.deadline,
            Limits::default().deadline,
            "0 keeps the default"
        );
        assert_eq!(task_limits(&CodeLimits::default()), Limits::default());
    }
}
