//! Amounts in integer minor units, formatted with the currency's symbol and grouping
//! (`₹2,499.00`, `₹1,00,000.00`, `$1,234.50`).

/// The symbol and digit grouping of a currency.
fn style(currency: &str) -> (&'static str, bool) {
    match currency {
        "INR" => ("₹", true),
        "USD" => ("$", false),
        "EUR" => ("€", false),
        "GBP" => ("£", false),
        _ => ("", false),
    }
}

/// Formats `minor` units (two decimals) of `currency`.
pub fn format(minor: i64, currency: &str) -> String {
    let (symbol, indian) = style(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (units, cents) = (abs / 100, abs % 100);
    let digits = units.to_string();
    let grouped = if indian { group_indian(&digits) } else { group(&digits, 3) };
    if symbol.is_empty() {
        format!("{sign}{grouped}.{cents:02} {currency}")
    } else {
        format!("{sign}{symbol}{grouped}.{cents:02}")
    }
}

fn group(digits: &str, size: usize) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(size) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Indian grouping: the last three digits, then pairs (1,00,00,000).
fn group_indian(digits: &str) -> String {
    if digits.len() <= 3 {
        return digits.to_string();
    }
    let (head, tail) = digits.split_at(digits.len() - 3);
    format!("{},{tail}", group(head, 2))
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn formats_with_symbol_and_grouping() {
        assert_eq!(format(249_900, "INR"), "₹2,499.00");
        assert_eq!(format(10_000_000, "INR"), "₹1,00,000.00");
        assert_eq!(format(1_234_567_890, "INR"), "₹1,23,45,678.90");
        assert_eq!(format(5, "INR"), "₹0.05");
        assert_eq!(format(123_456_750, "USD"), "$1,234,567.50");
        assert_eq!(format(-2_500, "EUR"), "-€25.00");
        assert_eq!(format(100, "JPY"), "1.00 JPY");
    }
}
