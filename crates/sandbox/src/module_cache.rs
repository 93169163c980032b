//! Compiled modules on disk, by code hash: a module is compiled once per
//! machine, and a round only instantiates it.

use std::path::Path;

use wasmtime::{Engine, Module};

use crate::SandboxError;

/// The module of `bytes` (whose sha256 is `hash`, checked by the caller):
/// from `<dir>/<hash>.cwasm` when this machine compiled it before with this
/// engine, else compiled now and stored there.
pub(crate) fn load_or_compile(
    engine: &Engine,
    dir: &Path,
    bytes: &[u8],
    hash: &[u8; 32],
) -> Result<Module, SandboxError> {
    let path = dir.join(format!("{}.cwasm", hex::encode(hash)));
    if path.exists() {
        // SAFETY: the file is one this process's user wrote below its own
        // cache folder, by `Module::serialize` of bytes whose hash names
        // it; wasmtime checks that it was compiled by this version with
        // this configuration and refuses it otherwise (then it is compiled
        // again). Someone able to replace it can already run code as the
        // operator.
        match unsafe { Module::deserialize_file(engine, &path) } {
            Ok(module) => return Ok(module),
            Err(e) => {
                tracing::info!(path = %path.display(), "recompiling a stale compiled module: {e}")
            }
        }
    }
    let module = Module::new(engine, bytes).map_err(|e| SandboxError::Invalid(e.to_string()))?;
    let cache_error = |error: String| SandboxError::Cache {
        path: path.clone(),
        error,
    };
    let compiled = module.serialize().map_err(|e| cache_error(e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| cache_error(e.to_string()))?;
    // Written aside and renamed: a reader never sees half a file.
    let partial = path.with_extension("cwasm.partial");
    std::fs::write(&partial, compiled).map_err(|e| cache_error(e.to_string()))?;
    std::fs::rename(&partial, &path).map_err(|e| cache_error(e.to_string()))?;
    Ok(module)
}
