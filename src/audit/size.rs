//! Exchange size values (`TotalItemSize`, quotas) as exported to CSV, to exact byte counts.
//!
//! Exchange prints a `ByteQuantifiedSize` as `1.234 GB (1,325,012,345 bytes)` from 2010 on (the
//! same text comes out of Exchange Online's deserialised objects), with the byte count grouped by
//! the exporting machine's culture: `1.325.012.345`, `1 325 012 345` with a plain, non-breaking
//! (U+00A0) or narrow no-break (U+202F) space, `1'325'012'345`. Exchange 2007 prints whole
//! units with no space (`1325012345B`, `2097152KB`). Quotas may be `Unlimited`.
//! Units are binary (1 KB = 1,024 bytes), as in Exchange.
//!
//! The byte count in parentheses is the value; the rounded figure before it is only checked for
//! consistency. A value that is not exact (`1.2 GB` with no byte count) or does not parse is an
//! error for the caller to report: this module never guesses.

use std::fmt;

/// A parsed size: an exact byte count, or `Unlimited` (quotas only, in practice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Bytes(u64),
    Unlimited,
}

/// Why a size value could not be read exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeError {
    Empty,
    /// A rounded figure with no exact byte count (`1.2 GB`).
    Inexact,
    /// The rounded figure and the byte count in parentheses disagree.
    Inconsistent,
    TooLarge,
    Malformed,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SizeError::Empty => "the size is empty",
            SizeError::Inexact => "the size is a rounded figure without the exact byte count",
            SizeError::Inconsistent => {
                "the rounded figure and the byte count in parentheses disagree"
            }
            SizeError::TooLarge => "the size does not fit in 64 bits",
            SizeError::Malformed => "the size is not in a form Exchange prints",
        })
    }
}

const KIB: u64 = 1024;

fn unit_multiplier(unit: &str) -> Option<u64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "b" | "byte" | "bytes" => 1,
        "kb" => KIB,
        "mb" => KIB * KIB,
        "gb" => KIB * KIB * KIB,
        "tb" => KIB * KIB * KIB * KIB,
        _ => return None,
    })
}

/// Characters cultures use to group thousands (never a decimal point on their own).
fn is_space_like(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\t')
}

fn is_group_separator(c: char) -> bool {
    is_space_like(c) || matches!(c, ',' | '.' | '\'' | '\u{2019}')
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || is_space_like(c))
}

/// Parses a size exactly as Exchange exports it; see the module notes for the accepted forms.
pub fn parse_size(raw: &str) -> Result<Size, SizeError> {
    let s = trim(raw);
    if s.is_empty() {
        return Err(SizeError::Empty);
    }
    if s.eq_ignore_ascii_case("unlimited") {
        return Ok(Size::Unlimited);
    }
    if let Some(open) = s.find('(') {
        let inner = s[open + 1..]
            .strip_suffix(')')
            .ok_or(SizeError::Malformed)?;
        let bytes = parse_byte_count(inner)?;
        let shown = trim(&s[..open]);
        if !shown.is_empty() {
            check_shown(shown, bytes)?;
        }
        return Ok(Size::Bytes(bytes));
    }
    // No parentheses: a plain byte count, or a whole number of units (Exchange 2007).
    let (number, unit) = split_unit(s);
    let multiplier = match unit {
        "" => 1,
        u => unit_multiplier(u).ok_or(SizeError::Malformed)?,
    };
    if multiplier == 1 {
        return parse_grouped_integer(number).map(Size::Bytes);
    }
    // Whole units are printed without grouping; `1.234 GB` is a rounded figure, not `1234 GB`.
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(if parse_decimal(number).is_some() {
            SizeError::Inexact
        } else {
            SizeError::Malformed
        });
    }
    parse_grouped_integer(number)?
        .checked_mul(multiplier)
        .map(Size::Bytes)
        .ok_or(SizeError::TooLarge)
}

/// `1,325,012,345 bytes` (the text inside the parentheses).
fn parse_byte_count(inner: &str) -> Result<u64, SizeError> {
    let (number, unit) = split_unit(trim(inner));
    if unit_multiplier(unit) != Some(1) {
        return Err(SizeError::Malformed);
    }
    parse_grouped_integer(number)
}

/// Splits `123 GB` / `123GB` into number and unit text.
fn split_unit(s: &str) -> (&str, &str) {
    let cut = s
        .char_indices()
        .find(|&(_, c)| c.is_ascii_alphabetic())
        .map_or(s.len(), |(i, _)| i);
    (trim(&s[..cut]), trim(&s[cut..]))
}

/// Digits, optionally grouped in threes by one consistent separator.
fn parse_grouped_integer(s: &str) -> Result<u64, SizeError> {
    if s.is_empty() {
        return Err(SizeError::Malformed);
    }
    let mut separator: Option<char> = None;
    let mut groups: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() {
            continue;
        }
        if !is_group_separator(c) {
            return Err(SizeError::Malformed);
        }
        let same = |a: char, b: char| a == b || (is_space_like(a) && is_space_like(b));
        match separator {
            Some(prev) if !same(prev, c) => return Err(SizeError::Malformed),
            _ => separator = Some(c),
        }
        groups.push(&s[start..i]);
        start = i + c.len_utf8();
    }
    groups.push(&s[start..]);
    if groups.len() > 1 {
        let (first, rest) = groups.split_first().ok_or(SizeError::Malformed)?;
        if first.is_empty() || first.len() > 3 || rest.iter().any(|g| g.len() != 3) {
            return Err(SizeError::Malformed);
        }
    }
    let mut value: u64 = 0;
    for b in groups.concat().bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(SizeError::TooLarge)?;
    }
    Ok(value)
}

/// `1.234` or `1,234` as a decimal number (the rounded figure's culture is unknown).
fn parse_decimal(s: &str) -> Option<Vec<f64>> {
    let digits_ok = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mut readings = Vec::new();
    if digits_ok(s) {
        readings.push(s.parse().ok()?);
        return Some(readings);
    }

    for point in ['.', ','] {
        if let Some((whole, frac)) = s.split_once(point) {
            if digits_ok(whole) && digits_ok(frac) {
                readings.push(format!("{whole}.{frac}").parse().ok()?);
            }
        }
    }
    (!readings.is_empty()).then_some(readings)
}

/// The rounded figure (`1.234 GB`, `43.74 KB`, `12.35 GB`) must agree with the exact count.
/// Exchange shows about four significant digits in the unit, rounded or truncated depending on
/// the version, so one unit of the fourth significant digit (never less than 0.001 of the unit,
/// the older three-decimal form) is the tolerance.
fn check_shown(shown: &str, bytes: u64) -> Result<(), SizeError> {
    let (number, unit) = split_unit(shown);
    let multiplier = unit_multiplier(unit).ok_or(SizeError::Malformed)?;
    let mut readings = parse_decimal(number).ok_or(SizeError::Malformed)?;
    // `1,023 KB` may be a grouped 1023 as well as a decimal 1.023.
    if let Ok(whole) = parse_grouped_integer(number) {
        readings.push(whole as f64);
    }
    let exact = bytes as f64 / multiplier as f64;
    let fourth_digit = if exact >= 1.0 {
        10f64.powi(exact.log10().floor() as i32 - 3)
    } else {
        0.001
    };
    let tolerance = fourth_digit.max(0.001) * 1.0001 + 1e-9;
    if readings.iter().any(|r| (r - exact).abs() <= tolerance) {
        Ok(())
    } else {
        Err(SizeError::Inconsistent)
    }
}

/// Bytes as Exchange would round them for people: `1.23 GB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    match UNITS.get(unit) {
        Some(&"B") | None => format!("{bytes} B"),
        Some(u) => format!("{value:.2} {u}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn every_exported_form() {
        use Size::{Bytes, Unlimited};
        let ok: &[(&str, Size)] = &[
            ("1.234 GB (1,325,012,345 bytes)", Bytes(1_325_012_345)),
            ("1,234 GB (1.325.012.345 bytes)", Bytes(1_325_012_345)),
            ("1,234 GB (1 325 012 345 bytes)", Bytes(1_325_012_345)),
            (
                "1,234 GB (1\u{a0}325\u{a0}012\u{a0}345 bytes)",
                Bytes(1_325_012_345),
            ),
            (
                "1,234 GB (1\u{202f}325\u{202f}012\u{202f}345 bytes)",
                Bytes(1_325_012_345),
            ),
            ("1.234 GB (1'325'012'345 bytes)", Bytes(1_325_012_345)),
            (
                "1,234\u{a0}GB (1\u{a0}325\u{a0}012\u{a0}345 bytes)",
                Bytes(1_325_012_345),
            ),
            ("1.2 GB (1,288,490,189 bytes)", Bytes(1_288_490_189)),
            ("  1.234 GB (1,325,012,345 bytes)  ", Bytes(1_325_012_345)),
            ("1.234 gb (1,325,012,345 Bytes)", Bytes(1_325_012_345)),
            ("0 B (0 bytes)", Bytes(0)),
            ("512 B (512 bytes)", Bytes(512)),
            ("1 KB (1,024 bytes)", Bytes(1024)),
            ("1.5 KB (1,536 bytes)", Bytes(1536)),
            ("999.9 MB (1,048,471,142 bytes)", Bytes(1_048_471_142)),
            ("49 GB (52,613,349,376 bytes)", Bytes(49 * GIB)),
            ("50 GB (53,687,091,200 bytes)", Bytes(50 * GIB)),
            ("1.5 TB (1,649,267,441,664 bytes)", Bytes(1_649_267_441_664)),
            // Four significant digits, as Exchange prints them.
            ("43.74 KB (44,793 bytes)", Bytes(44_793)),
            ("12.35 GB (13,262,859,878 bytes)", Bytes(13_262_859_878)),
            ("12,35 GB (13.262.859.878 bytes)", Bytes(13_262_859_878)),
            ("234.5 MB (245,890,123 bytes)", Bytes(245_890_123)),
            ("1,023 KB (1,047,552 bytes)", Bytes(1_047_552)),
            // Truncated rather than rounded (12.359... shown as 12.35).
            ("12.35 GB (13,270,000,000 bytes)", Bytes(13_270_000_000)),
            ("(1,325,012,345 bytes)", Bytes(1_325_012_345)),
            ("1325012345", Bytes(1_325_012_345)),
            ("1,325,012,345", Bytes(1_325_012_345)),
            ("1.325.012.345", Bytes(1_325_012_345)),
            ("1 325 012 345", Bytes(1_325_012_345)),
            ("0", Bytes(0)),
            ("1325012345 bytes", Bytes(1_325_012_345)),
            ("1325012345B", Bytes(1_325_012_345)),
            ("2097152KB", Bytes(2_147_483_648)),
            ("2048MB", Bytes(2 * GIB)),
            ("50GB", Bytes(50 * GIB)),
            ("50 GB", Bytes(50 * GIB)),
            ("1TB", Bytes(1 << 40)),
            ("Unlimited", Unlimited),
            ("unlimited", Unlimited),
            (" UNLIMITED ", Unlimited),
        ];
        for (input, want) in ok {
            assert_eq!(parse_size(input), Ok(*want), "input {input:?}");
        }
    }

    #[test]
    fn malformed_values_are_errors_never_guesses() {
        use SizeError::*;
        let bad: &[(&str, SizeError)] = &[
            ("", Empty),
            ("   ", Empty),
            ("\u{a0}", Empty),
            ("1.234 GB", Inexact),
            ("1,5 GB", Inexact),
            ("1,234 GB", Inexact),
            ("1 234 GB", Malformed),
            ("0.5 TB", Inexact),
            ("1.234 GB (1,325,012,345 bytes", Malformed),
            ("1.234 GB 1,325,012,345 bytes)", Malformed),
            ("1.234 GB (1,325,012,345)", Malformed),
            ("1.234 GB (1,325,012,345 KB)", Malformed),
            ("1.234 GB (1,325.012,345 bytes)", Malformed),
            ("1.234 GB (13,25,012,345 bytes)", Malformed),
            ("1.234 GB (,325,012,345 bytes)", Malformed),
            ("1.234 GB (1,325,012,345, bytes)", Malformed),
            ("1.234 XB (1,325,012,345 bytes)", Malformed),
            ("9.9 GB (1,325,012,345 bytes)", Inconsistent),
            ("43.76 KB (44,793 bytes)", Inconsistent),
            ("12.37 GB (13,262,859,878 bytes)", Inconsistent),
            ("1.234 MB (1,325,012,345 bytes)", Inconsistent),
            ("-5", Malformed),
            ("1e9", Malformed),
            ("abc", Malformed),
            ("1.5", Malformed),
            ("12,34", Malformed),
            ("5 PB", Malformed),
            ("System.Object[]", Malformed),
            (
                "Microsoft.Exchange.Data.Unlimited`1[Microsoft.Exchange.Data.ByteQuantifiedSize]",
                Malformed,
            ),
            ("99999999999999999999", TooLarge),
            ("99999999999 TB", TooLarge),
            ("NaN", Malformed),
        ];
        for (input, want) in bad {
            assert_eq!(parse_size(input), Err(want.clone()), "input {input:?}");
        }
    }

    /// `12.35 GB (13,262,859,878 bytes)` as Exchange prints it: four significant digits in the
    /// largest unit, rounded or truncated, trailing zeros dropped, with a culture's separators.
    fn exchange_text(bytes: u64, group: char, point: char, truncate: bool) -> String {
        let digits = bytes.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        let (mut v, mut unit) = (bytes as f64, 0);
        while v >= 1024.0 && unit < 4 {
            v /= 1024.0;
            unit += 1;
        }
        let decimals = if v < 10.0 {
            3
        } else if v < 100.0 {
            2
        } else if v < 1000.0 {
            1
        } else {
            0
        };
        let scale = 10f64.powi(decimals);
        let v = if truncate {
            (v * scale).floor() / scale
        } else {
            v
        };
        let shown = format!("{v:.*}", decimals as usize);
        let shown = if shown.contains('.') {
            shown
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_string()
        } else {
            shown
        };
        let shown = shown.replace('.', &point.to_string());
        let units = ["B", "KB", "MB", "GB", "TB"];
        format!("{shown} {} ({grouped} bytes)", units[unit])
    }

    proptest::proptest! {
        #[test]
        fn any_exchange_printed_size_reads_back_exactly(
            bytes in 0u64..(1u64 << 50),
            culture in 0usize..5,
            truncate in proptest::bool::ANY,
        ) {
            let (group, point) =
                [(',', '.'), ('.', ','), ('\u{a0}', ','), ('\'', '.'), ('\u{202f}', ',')][culture];
            let text = exchange_text(bytes, group, point, truncate);
            proptest::prop_assert_eq!(parse_size(&text), Ok(Size::Bytes(bytes)), "{}", text);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,40}") {
            let _ = parse_size(&text);
        }
    }

    #[test]
    fn human_rounds_in_binary_units() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.50 KB");
        assert_eq!(human(50 * GIB), "50.00 GB");
    }
}
