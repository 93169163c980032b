//! `Sol`: an amount in lamports that people type and read as SOL ("1.5").
//! Parses for clap and serde, prints for tables, serializes as a string so
//! JSON never loses a lamport to floating point.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tasknet_sdk::amount::{format_sol, parse_sol};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sol(pub u64);

impl Sol {
    pub fn lamports(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Sol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_sol(self.0))
    }
}

impl FromStr for Sol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        parse_sol(text).map(Sol)
    }
}

impl Serialize for Sol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An amount as typed ("1.5"), in SOL or in a task's token: converted to
/// the smallest units once the asset's decimals are known (a token task's
/// mint decides them), so no amount is rounded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount(String);

impl Amount {
    /// The amount in lamports.
    pub fn lamports(&self) -> Result<u64, String> {
        parse_sol(&self.0)
    }

    /// The amount in the smallest units of a token with `decimals`.
    pub fn units(&self, decimals: u8, symbol: &str) -> Result<u64, String> {
        tasknet_sdk::amount::parse_units(&self.0, decimals, symbol)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Amount {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        // Any number of decimals parses here; the asset's are checked later.
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(format!("amount '{text}' is not an amount (e.g. 1.5)"));
        }
        Ok(Self(text.to_string()))
    }
}

impl From<Sol> for Amount {
    fn from(sol: Sol) -> Self {
        Self(sol.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_text() {
        let amount: Sol = "1.5".parse().unwrap();
        assert_eq!(amount, Sol(1_500_000_000));
        assert_eq!(amount.to_string(), "1.5");
        assert_eq!(serde_json::to_string(&amount).unwrap(), "\"1.5\"");
        let back: Sol = serde_json::from_str("\"0.25\"").unwrap();
        assert_eq!(back, Sol(250_000_000));
        assert!("1.5x".parse::<Sol>().is_err());
    }
}
