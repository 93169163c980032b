//! One node process per state database: an exclusive `flock` on
//! `<db>.lock`, held for the process's life and released by the kernel
//! however the process ends (a kill -9 included), so a stale lock never
//! needs cleaning up.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The held lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct DbLock {
    _file: File,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "node state database {db} is in use by another node process{holder}; \
         stop that node, or give this one another --db"
    )]
    InUse { db: PathBuf, holder: String },
    #[error("cannot lock node state database {db}: {source}")]
    Io { db: PathBuf, source: std::io::Error },
}

impl DbLock {
    /// Takes the lock of the database at `db`, or says who holds it.
    pub fn acquire(db: &Path) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            db: db.to_path_buf(),
            source,
        };
        let mut path = db.as_os_str().to_owned();
        path.push(".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        // SAFETY: flock on a file descriptor we own; no memory is shared.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if locked != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(io(error));
            }
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let holder = match pid.trim() {
                "" => String::new(),
                pid => format!(" (pid {pid})"),
            };
            return Err(LockError::InUse {
                db: db.to_path_buf(),
                holder,
            });
        }
        // Our pid, for the message another process gets.
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("node.db");
        let first = DbLock::acquire(&db).unwrap();
        // flock locks belong to the open file description, so a second
        // open in the same process is refused as another process would be.
        let refused = DbLock::acquire(&db).unwrap_err();
        let message = refused.to_string();
        assert!(
            message.contains("in use by another node process"),
            "{message}"
        );
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(first);
        DbLock::acquire(&db).expect("free again once dropped");
    }
}
