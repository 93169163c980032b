//! SOL amounts as people type them ("1.5"), exactly, in lamports.

pub use solana_native_token::LAMPORTS_PER_SOL;

/// Parses a SOL amount with up to 9 decimals into lamports.
pub fn parse_sol(text: &str) -> Result<u64, String> {
    let bad = || format!("amount '{text}' is not a SOL amount (e.g. 1.5)");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    if fraction.len() > 9 {
        return Err(format!(
            "amount '{text}' has more than 9 decimals (1 lamport = 0.000000001 SOL)"
        ));
    }
    let out_of_range =
        || format!("amount '{text}' is out of range (at most 18446744073.709551615 SOL)");
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| out_of_range())?
    };
    let fraction: u64 = format!("{fraction:0<9}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(LAMPORTS_PER_SOL)
        .and_then(|l| l.checked_add(fraction))
        .ok_or_else(out_of_range)
}

pub fn format_sol(lamports: u64) -> String {
    let whole = lamports / LAMPORTS_PER_SOL;
    let fraction = lamports % LAMPORTS_PER_SOL;
    if fraction == 0 {
        format!("{whole}")
    } else {
        format!("{whole}.{}", format!("{fraction:09}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_sol("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_sol("0.000000001"), Ok(1));
        assert_eq!(parse_sol(".25"), Ok(250_000_000));
        assert_eq!(parse_sol("7"), Ok(7 * LAMPORTS_PER_SOL));
        assert!(parse_sol("1.0000000001")
            .unwrap_err()
            .contains("more than 9 decimals"));
        assert!(parse_sol("99999999999")
            .unwrap_err()
            .contains("out of range"));
        assert!(parse_sol("-1").unwrap_err().contains("not a SOL amount"));
        assert!(parse_sol("").is_err() && parse_sol(".").is_err() && parse_sol("1e9").is_err());
        assert_eq!(format_sol(1_500_000_000), "1.5");
        assert_eq!(format_sol(3), "0.000000003");
        assert_eq!(format_sol(2 * LAMPORTS_PER_SOL), "2");
    }
}
