//! How the pages write amounts, keys and times.

/// What an amount is counted in: SOL (9 decimals) or a mint's token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// "SOL", or a short form of the mint.
    pub symbol: String,
    pub decimals: u8,
}

impl Unit {
    pub fn sol() -> Self {
        Self {
            symbol: "SOL".into(),
            decimals: 9,
        }
    }

    /// A mint's token, named by the start of its address.
    pub fn token(mint: &str, decimals: u8) -> Self {
        Self {
            symbol: format!("token {}", short(mint)),
            decimals,
        }
    }

    /// `amount` smallest units as a decimal, trailing zeros dropped.
    pub fn amount(&self, amount: u64) -> String {
        decimal(amount, self.decimals)
    }

    /// `amount` with the unit's symbol.
    pub fn with_symbol(&self, amount: u64) -> String {
        format!("{} {}", self.amount(amount), self.symbol)
    }

    /// `amount` as a float in whole units, for charts.
    pub fn value(&self, amount: u64) -> f64 {
        amount as f64 / 10f64.powi(i32::from(self.decimals))
    }
}

/// `amount / 10^decimals`, exact, trailing zeros dropped.
pub fn decimal(amount: u64, decimals: u8) -> String {
    let scale = 10u128.pow(u32::from(decimals));
    let (whole, frac) = (u128::from(amount) / scale, u128::from(amount) % scale);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:0width$}", width = usize::from(decimals));
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

/// The first and last four characters of a base58 key.
pub fn short(key: &str) -> String {
    if key.chars().count() <= 10 {
        return key.to_string();
    }
    let head: String = key.chars().take(4).collect();
    let tail: String = key.chars().skip(key.chars().count() - 4).collect();
    format!("{head}…{tail}")
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// How long before `now_ms` `then_ms` was, in the largest whole unit.
pub fn ago(then_ms: u64, now_ms: u64) -> String {
    let secs = now_ms.saturating_sub(then_ms) / 1000;
    match secs {
        0..60 => format!("{secs} s ago"),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// Days since 1970-01-01 as (year, month, day) in the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact() {
        let sol = Unit::sol();
        assert_eq!(sol.amount(1_500_000_000), "1.5");
        assert_eq!(sol.amount(1), "0.000000001");
        assert_eq!(sol.amount(0), "0");
        assert_eq!(sol.amount(u64::MAX), "18446744073.709551615");
        assert_eq!(decimal(1234, 0), "1234");
        assert_eq!(
            Unit::token("Mint111111111111111111111111111", 6).with_symbol(2_500_000),
            "2.5 token Mint…1111"
        );
    }

    #[test]
    fn times_read_as_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        // 2026-12-04 05:02:25 UTC
        assert_eq!(utc(1_796_360_545_000), "2026-12-04 05:02:25");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(ago(1_000, 61_000), "1 min ago");
        assert_eq!(ago(5_000, 1_000), "0 s ago");
    }

    #[test]
    fn keys_shorten_by_characters() {
        assert_eq!(
            short("HNFcjxJ3E3e3dudZgeh2SrAw4bfmVxxK8t8GWct1bYek"),
            "HNFc…bYek"
        );
        assert_eq!(short("<b>"), "<b>");
    }
}
