//! Defaults from the Solana CLI config file, and `-u` cluster shorthands.

use std::path::{Path, PathBuf};

/// What tasknet reads from `~/.config/solana/cli/config.yml`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SolanaConfig {
    pub json_rpc_url: Option<String>,
    pub keypair_path: Option<String>,
    pub commitment: Option<String>,
}

pub fn default_config_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config/solana/cli/config.yml"))
}

impl SolanaConfig {
    /// Reads the config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("Solana CLI config {}: {e}", path.display())),
        }
    }

    /// The file is flat YAML written by the Solana CLI: top-level
    /// `key: value` lines are all tasknet needs.
    pub fn parse(text: &str) -> Self {
        let mut config = Self::default();
        for line in text.lines() {
            if line.starts_with([' ', '\t', '#', '-']) {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string();
            if value.is_empty() {
                continue;
            }
            match key.trim() {
                "json_rpc_url" => config.json_rpc_url = Some(value),
                "keypair_path" => config.keypair_path = Some(value),
                "commitment" => config.commitment = Some(value),
                _ => {}
            }
        }
        config
    }
}

/// Expands the Solana CLI's cluster monikers; anything else is a URL.
pub fn cluster_url(moniker_or_url: &str) -> String {
    match moniker_or_url {
        "l" | "localhost" => "http://localhost:8899".into(),
        "d" | "devnet" => "https://api.devnet.solana.com".into(),
        "t" | "testnet" => "https://api.testnet.solana.com".into(),
        "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".into(),
        url => url.into(),
    }
}

/// `~/` at the start of a path, as the Solana CLI writes them.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_solana_cli_config() {
        let text = "---\njson_rpc_url: \"http://127.0.0.1:8899\"\nwebsocket_url: \"\"\nkeypair_path: /k/id.json\naddress_labels:\n  \"1111\": System Program\ncommitment: finalized\n";
        let config = SolanaConfig::parse(text);
        assert_eq!(
            config.json_rpc_url.as_deref(),
            Some("http://127.0.0.1:8899")
        );
        assert_eq!(config.keypair_path.as_deref(), Some("/k/id.json"));
        assert_eq!(config.commitment.as_deref(), Some("finalized"));
    }

    #[test]
    fn monikers_expand() {
        assert_eq!(cluster_url("l"), "http://localhost:8899");
        assert_eq!(cluster_url("d"), "https://api.devnet.solana.com");
        assert_eq!(cluster_url("m"), "https://api.mainnet-beta.solana.com");
        assert_eq!(cluster_url("http://x:1"), "http://x:1");
    }
}
