//! SOL amounts as people type them ("1.5"), exactly, in lamports.

pub use solana_native_token::LAMPORTS_PER_SOL;

/// Parses a SOL amount with up to 9 decimals into lamports.
pub fn parse_sol(text: &str) -> Result<u64, String> {
    parse_units(text, 9, "SOL")
}

pub fn format_sol(lamports: u64) -> String {
    format_units(lamports, 9)
}

/// Parses an amount of a token with `decimals` decimals ("1.5") into its
/// smallest units, exactly; `symbol` names it in errors.
pub fn parse_units(text: &str, decimals: u8, symbol: &str) -> Result<u64, String> {
    let bad = || format!("amount '{text}' is not a {symbol} amount (e.g. 1.5)");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let places = usize::from(decimals);
    let unit = 10u64
        .checked_pow(u32::from(decimals))
        .ok_or_else(|| format!("{symbol} has {decimals} decimals, more than an amount can hold"))?;
    if fraction.len() > places {
        return Err(format!(
            "amount '{text}' has more than {decimals} decimals (1 unit = {} {symbol})",
            format_units(1, decimals)
        ));
    }
    let out_of_range = || {
        format!(
            "amount '{text}' is out of range (at most {} {symbol})",
            format_units(u64::MAX, decimals)
        )
    };
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| out_of_range())?
    };
    let fraction: u64 = if places == 0 {
        0
    } else {
        format!("{fraction:0<places$}").parse().map_err(|_| bad())?
    };
    whole
        .checked_mul(unit)
        .and_then(|l| l.checked_add(fraction))
        .ok_or_else(out_of_range)
}

/// An amount in a token's smallest units, as people read it.
pub fn format_units(amount: u64, decimals: u8) -> String {
    let Some(unit) = 10u64.checked_pow(u32::from(decimals)) else {
        return amount.to_string();
    };
    let (whole, fraction) = (amount / unit, amount % unit);
    if fraction == 0 {
        format!("{whole}")
    } else {
        let places = usize::from(decimals);
        format!(
            "{whole}.{}",
            format!("{fraction:0places$}").trim_end_matches('0')
        )
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

    #[test]
    fn token_amounts_follow_their_decimals() {
        assert_eq!(parse_units("1.5", 6, "USDC"), Ok(1_500_000));
        assert_eq!(parse_units("0.000001", 6, "USDC"), Ok(1));
        assert_eq!(parse_units("42", 0, "PTS"), Ok(42));
        assert!(parse_units("0.5", 0, "PTS")
            .unwrap_err()
            .contains("more than 0 decimals"));
        assert!(parse_units("0.0000001", 6, "USDC")
            .unwrap_err()
            .contains("1 unit = 0.000001 USDC"));
        assert!(parse_units("18446744073709.551616", 6, "USDC")
            .unwrap_err()
            .contains("out of range"));
        assert_eq!(format_units(1_500_000, 6), "1.5");
        assert_eq!(format_units(7, 0), "7");
        assert_eq!(format_units(1, 6), "0.000001");
    }
}
