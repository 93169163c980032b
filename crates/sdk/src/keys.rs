//! Solana CLI keypair files: a JSON array of the 64 secret-key bytes.

use std::path::{Path, PathBuf};

use solana_keypair::Keypair;

#[derive(Debug, thiserror::Error)]
pub enum KeypairError {
    #[error("keypair file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("keypair file {path} is not a Solana keypair (a JSON array of 64 bytes): {detail}")]
    Malformed { path: PathBuf, detail: String },
}

pub fn read_keypair(path: &Path) -> Result<Keypair, KeypairError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeypairError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let malformed = |detail: String| KeypairError::Malformed {
        path: path.to_path_buf(),
        detail,
    };
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    Keypair::try_from(bytes.as_slice()).map_err(|e| malformed(e.to_string()))
}

pub fn write_keypair(keypair: &Keypair, path: &Path) -> Result<(), KeypairError> {
    let json = serde_json::to_string(&keypair.to_bytes().to_vec()).expect("bytes serialize");
    std::fs::write(path, json).map_err(|source| KeypairError::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_signer::Signer;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id.json");
        let keypair = Keypair::new();
        write_keypair(&keypair, &path).unwrap();
        assert_eq!(read_keypair(&path).unwrap().pubkey(), keypair.pubkey());
        std::fs::write(&path, "[1,2,3]").unwrap();
        assert!(matches!(
            read_keypair(&path),
            Err(KeypairError::Malformed { .. })
        ));
        assert!(matches!(
            read_keypair(&dir.path().join("none.json")),
            Err(KeypairError::Read { .. })
        ));
    }
}
