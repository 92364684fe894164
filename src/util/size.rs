//! Human-readable byte sizes: parsing `"512MiB"` / `"1GB"` / `"100000"` and
//! formatting byte counts as `"1.86 GiB"`, following Dask's `parse_bytes` and
//! `format_bytes` conventions.
//!
//! Decimal units (`kB`, `MB`, `GB`, `TB`, `PB`) are powers of 1000 and binary
//! units (`KiB`, `MiB`, `GiB`, `TiB`, `PiB`) are powers of 1024. Units are
//! case-insensitive, so `"1gb"` is one gigabyte (there are no millibytes).

use std::fmt;
use std::str::FromStr;

/// What every parse error suggests instead.
const HINT: &str = r#"use a number with an optional unit such as "512MiB", "1GB" or "100000""#;

/// Why a text could not be read as a byte size.
///
/// Every message names the offending text and what would be accepted.
///
/// # Example
///
/// ```
/// use spillway::util::size::parse_bytes;
///
/// let err = parse_bytes("1GXB").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"cannot parse "1GXB" as a byte size: unknown unit "GXB"; use a number with an optional unit such as "512MiB", "1GB" or "100000""#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// The text was empty or only whitespace.
    #[error("cannot parse an empty string as a byte size; {hint}", hint = HINT)]
    Empty,
    /// A unit with no number in front of it, such as `"GB"`.
    #[error("cannot parse {text:?} as a byte size: there is no number before the unit; {hint}", hint = HINT)]
    MissingNumber {
        /// The whole text given.
        text: String,
    },
    /// The part before the unit is not a decimal number.
    #[error("cannot parse {text:?} as a byte size: {number:?} is not a number; {hint}", hint = HINT)]
    InvalidNumber {
        /// The whole text given.
        text: String,
        /// The part read as the number.
        number: String,
    },
    /// A negative number, such as `"-1GB"`.
    #[error("cannot parse {text:?} as a byte size: a size cannot be negative; {hint}", hint = HINT)]
    Negative {
        /// The whole text given.
        text: String,
    },
    /// `NaN` or an infinity.
    #[error("cannot parse {text:?} as a byte size: the number is not finite; {hint}", hint = HINT)]
    NotFinite {
        /// The whole text given.
        text: String,
    },
    /// A unit that is not one of B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB.
    #[error("cannot parse {text:?} as a byte size: unknown unit {unit:?}; {hint}", hint = HINT)]
    UnknownUnit {
        /// The whole text given.
        text: String,
        /// The unit as written.
        unit: String,
    },
    /// The size does not fit in 64 bits.
    #[error(
        "cannot parse {text:?} as a byte size: it exceeds the largest size of {max} bytes ({pretty}); {hint}",
        max = u64::MAX,
        pretty = format_bytes(u64::MAX),
        hint = HINT
    )]
    Overflow {
        /// The whole text given.
        text: String,
    },
}

/// The multiplier of a (lower-cased) unit, or `None` when it is unknown.
///
/// Besides the documented units this accepts Dask's short aliases
/// (`k`, `M`, `G`, ... and `Ki`, `Mi`, `Gi`, ...).
fn unit_multiplier(unit_lower: &str) -> Option<u64> {
    const K: u64 = 1000;
    const KI: u64 = 1024;
    let m = match unit_lower {
        "" | "b" => 1,
        "kb" | "k" => K,
        "mb" | "m" => K.pow(2),
        "gb" | "g" => K.pow(3),
        "tb" | "t" => K.pow(4),
        "pb" | "p" => K.pow(5),
        "kib" | "ki" => KI,
        "mib" | "mi" => KI.pow(2),
        "gib" | "gi" => KI.pow(3),
        "tib" | "ti" => KI.pow(4),
        "pib" | "pi" => KI.pow(5),
        _ => return None,
    };
    Some(m)
}

/// A non-negative decimal number `digits * 10^exp10`, kept exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    digits: u128,
    exp10: i64,
}

/// Parses `[+]digits[.digits][(e|E)[+|-]digits]` exactly; `None` when the
/// syntax is wrong. Digits beyond u128 precision are dropped from the
/// fraction (excess integer digits become exponent), which only ever
/// affects values far below one byte.
fn parse_decimal(number: &str) -> Option<Decimal> {
    let body = number.strip_prefix('+').unwrap_or(number);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !all_digits(int_part) || !all_digits(frac_part) {
        return None;
    }

    let mut digits: u128 = 0;
    let mut exp10: i64 = 0;
    for b in int_part.bytes() {
        let d = u128::from(b - b'0');
        match digits.checked_mul(10).and_then(|v| v.checked_add(d)) {
            Some(v) => digits = v,
            None => exp10 = exp10.saturating_add(1),
        }
    }
    for b in frac_part.bytes() {
        let d = u128::from(b - b'0');
        if let Some(v) = digits.checked_mul(10).and_then(|v| v.checked_add(d)) {
            digits = v;
            exp10 = exp10.saturating_sub(1);
        }
    }

    if let Some(exp_text) = exponent {
        let (negative, exp_digits) = match exp_text.as_bytes().first() {
            Some(b'-') => (true, &exp_text[1..]),
            Some(b'+') => (false, &exp_text[1..]),
            _ => (false, exp_text),
        };
        if exp_digits.is_empty() || !all_digits(exp_digits) {
            return None;
        }
        // Saturate: anything past a few thousand is already 0 or an overflow.
        let mut e: i64 = 0;
        for b in exp_digits.bytes() {
            e = (e * 10 + i64::from(b - b'0')).min(100_000);
        }
        exp10 = if negative {
            exp10.saturating_sub(e)
        } else {
            exp10.saturating_add(e)
        };
    }
    // Normalise away trailing fractional zeros so they cost no precision.
    while digits != 0 && digits.is_multiple_of(10) && exp10 < 0 {
        digits /= 10;
        exp10 += 1;
    }
    Some(Decimal { digits, exp10 })
}

/// `floor(value * multiplier)` as a u64, or `None` on overflow.
fn scale(value: Decimal, multiplier: u64) -> Option<u64> {
    let Decimal {
        mut digits,
        mut exp10,
    } = value;
    if digits == 0 {
        return Some(0);
    }
    let base = loop {
        match digits.checked_mul(u128::from(multiplier)) {
            Some(base) => break base,
            // Too many significant digits: drop the last fractional one.
            // Truncating never rounds up, and the digits dropped are far
            // below one byte for any size that fits in a u64.
            None if exp10 < 0 => {
                digits /= 10;
                exp10 += 1;
            }
            // The value alone exceeds u128, let alone u64.
            None => return None,
        }
    };
    let scaled = if exp10 >= 0 {
        let pow = 10u128.checked_pow(u32::try_from(exp10).ok()?)?;
        base.checked_mul(pow)?
    } else {
        match u32::try_from(-exp10)
            .ok()
            .and_then(|e| 10u128.checked_pow(e))
        {
            Some(pow) => base / pow,
            // 10^39 and beyond exceed any u128 numerator.
            None => 0,
        }
    };
    u64::try_from(scaled).ok()
}

/// Parses a human byte size such as `"1GB"`, `"1.5 GB"`, `"512MiB"`,
/// `"100kB"`, `"1e9"` or `"100000"` into a number of bytes.
///
/// Follows Dask's `parse_bytes`: decimal units are powers of 1000, binary
/// units (`KiB`, `MiB`, ...) powers of 1024, units are case-insensitive and a
/// missing unit means bytes. Whitespace may surround the number and unit.
/// Fractional results are rounded down to whole bytes. Decimal fractions are
/// computed exactly, so `"4.35MB"` is 4 350 000 bytes.
///
/// # Errors
///
/// [`SizeError`] for an empty text, a missing or malformed number, a negative
/// or non-finite number, an unknown unit, or a size that overflows `u64`.
///
/// # Example
///
/// ```
/// use spillway::util::size::parse_bytes;
///
/// assert_eq!(parse_bytes("1GB").unwrap(), 1_000_000_000);
/// assert_eq!(parse_bytes("512MiB").unwrap(), 512 * 1024 * 1024);
/// assert_eq!(parse_bytes("1.5 GB").unwrap(), 1_500_000_000);
/// assert_eq!(parse_bytes("100000").unwrap(), 100_000);
/// assert!(parse_bytes("-1GB").is_err());
/// ```
pub fn parse_bytes(text: &str) -> Result<u64, SizeError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SizeError::Empty);
    }
    let owned = || trimmed.to_string();

    // The unit is the trailing run of alphabetic characters.
    let split = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let number = trimmed[..split].trim();
    let unit = &trimmed[split..];
    let unit_lower = unit.to_lowercase();

    if number.is_empty() {
        let bare = unit_lower.trim_start_matches(['+', '-']);
        if matches!(bare, "nan" | "inf" | "infinity") {
            return Err(SizeError::NotFinite { text: owned() });
        }
        return Err(SizeError::MissingNumber { text: owned() });
    }
    if let Some(rest) = number.strip_prefix('-') {
        // "-nan" / "-inf" end up here with an empty rest and a non-finite unit.
        if rest.is_empty() && matches!(unit_lower.as_str(), "nan" | "inf" | "infinity") {
            return Err(SizeError::NotFinite { text: owned() });
        }
        return Err(SizeError::Negative { text: owned() });
    }
    if number == "+" && matches!(unit_lower.as_str(), "nan" | "inf" | "infinity") {
        return Err(SizeError::NotFinite { text: owned() });
    }
    let Some(value) = parse_decimal(number) else {
        return Err(SizeError::InvalidNumber {
            text: owned(),
            number: number.to_string(),
        });
    };
    let Some(multiplier) = unit_multiplier(&unit_lower) else {
        return Err(SizeError::UnknownUnit {
            text: owned(),
            unit: unit.to_string(),
        });
    };
    scale(value, multiplier).ok_or_else(|| SizeError::Overflow { text: owned() })
}

/// Formats `bytes` with `(threshold, unit)` pairs, largest first, two decimals.
fn format_with(bytes: u64, units: &[(u64, &str)]) -> String {
    for &(size, unit) in units {
        if bytes >= size {
            return format!("{:.2} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} B")
}

/// Formats a byte count Dask-style with binary units and two decimals:
/// `"1.86 GiB"`, `"512.00 MiB"`, `"10.00 kiB"`; counts below 1024 print as
/// `"N B"`.
///
/// The output parses back with [`parse_bytes`] (to within the rounding).
///
/// # Example
///
/// ```
/// use spillway::util::size::format_bytes;
///
/// assert_eq!(format_bytes(2_000_000_000), "1.86 GiB");
/// assert_eq!(format_bytes(512 * 1024 * 1024), "512.00 MiB");
/// assert_eq!(format_bytes(10 * 1024), "10.00 kiB");
/// assert_eq!(format_bytes(100), "100 B");
/// ```
pub fn format_bytes(bytes: u64) -> String {
    format_with(
        bytes,
        &[
            (1 << 50, "PiB"),
            (1 << 40, "TiB"),
            (1 << 30, "GiB"),
            (1 << 20, "MiB"),
            (1 << 10, "kiB"),
        ],
    )
}

/// Formats a byte count with decimal (SI) units and two decimals:
/// `"1.00 GB"`, `"512.00 MB"`, `"1.50 kB"`; counts below 1000 print as
/// `"N B"`. Handy for echoing a limit the user wrote in decimal units.
///
/// # Example
///
/// ```
/// use spillway::util::size::format_bytes_decimal;
///
/// assert_eq!(format_bytes_decimal(1_000_000_000), "1.00 GB");
/// assert_eq!(format_bytes_decimal(1_500), "1.50 kB");
/// assert_eq!(format_bytes_decimal(999), "999 B");
/// ```
pub fn format_bytes_decimal(bytes: u64) -> String {
    format_with(
        bytes,
        &[
            (1_000_000_000_000_000, "PB"),
            (1_000_000_000_000, "TB"),
            (1_000_000_000, "GB"),
            (1_000_000, "MB"),
            (1_000, "kB"),
        ],
    )
}

/// A number of bytes that parses from and displays as a human size.
///
/// `FromStr` uses [`parse_bytes`] and `Display` uses [`format_bytes`].
///
/// # Example
///
/// ```
/// use spillway::util::size::ByteSize;
///
/// let size: ByteSize = "512MiB".parse().unwrap();
/// assert_eq!(size, ByteSize(512 << 20));
/// assert_eq!(size.to_string(), "512.00 MiB");
/// assert_eq!(ByteSize::from(100u64).to_string(), "100 B");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// The number of bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use spillway::util::size::ByteSize;
    ///
    /// assert_eq!(ByteSize(42).bytes(), 42);
    /// ```
    pub const fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for ByteSize {
    type Err = SizeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_bytes(s).map(ByteSize)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_bytes(self.0))
    }
}

impl From<u64> for ByteSize {
    fn from(bytes: u64) -> Self {
        ByteSize(bytes)
    }
}

impl From<ByteSize> for u64 {
    fn from(size: ByteSize) -> Self {
        size.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_good_inputs() {
        let table: &[(&str, u64)] = &[
            ("1GB", 1_000_000_000),
            ("1 GB", 1_000_000_000),
            ("  1 GB  ", 1_000_000_000),
            ("1.5GB", 1_500_000_000),
            ("512MiB", 512 << 20),
            ("2GiB", 2 << 30),
            ("100kB", 100_000),
            ("100KB", 100_000),
            ("100kb", 100_000),
            ("64 MB", 64_000_000),
            ("100000", 100_000),
            ("1e9", 1_000_000_000),
            ("1E9", 1_000_000_000),
            ("1.5e3kB", 1_500_000),
            ("2.5e-3GB", 2_500_000),
            ("16B", 16),
            ("16 b", 16),
            ("0", 0),
            ("0B", 0),
            ("0.0GiB", 0),
            ("+5MB", 5_000_000),
            ("1TB", 1_000_000_000_000),
            ("1PB", 1_000_000_000_000_000),
            ("1KiB", 1024),
            ("1kib", 1024),
            ("1TiB", 1 << 40),
            ("1PiB", 1 << 50),
            ("1k", 1000),
            ("1Mi", 1 << 20),
            (".5kB", 500),
            ("5.kB", 5000),
            ("4.35MB", 4_350_000),
            ("0.1kB", 100),
            ("1.5B", 1),
            ("0.9999B", 0),
            ("10.00 kiB", 10 * 1024),
            ("18446744073709551615", u64::MAX),
            ("16383.99PiB", 18_446_732_814_710_483_189),
            ("1e-50GB", 0),
        ];
        for &(text, want) in table {
            assert_eq!(parse_bytes(text), Ok(want), "parsing {text:?}");
        }
    }

    #[test]
    fn rejects_bad_inputs_with_messages() {
        let hint = r#"use a number with an optional unit such as "512MiB", "1GB" or "100000""#;
        let table: &[(&str, String)] = &[
            (
                "",
                format!("cannot parse an empty string as a byte size; {hint}"),
            ),
            (
                "   ",
                format!("cannot parse an empty string as a byte size; {hint}"),
            ),
            (
                "1GXB",
                format!(r#"cannot parse "1GXB" as a byte size: unknown unit "GXB"; {hint}"#),
            ),
            (
                "-1GB",
                format!(r#"cannot parse "-1GB" as a byte size: a size cannot be negative; {hint}"#),
            ),
            (
                "-5",
                format!(r#"cannot parse "-5" as a byte size: a size cannot be negative; {hint}"#),
            ),
            (
                "NaN",
                format!(r#"cannot parse "NaN" as a byte size: the number is not finite; {hint}"#),
            ),
            (
                "-inf",
                format!(r#"cannot parse "-inf" as a byte size: the number is not finite; {hint}"#),
            ),
            (
                "infinity",
                format!(
                    r#"cannot parse "infinity" as a byte size: the number is not finite; {hint}"#
                ),
            ),
            (
                "GB",
                format!(
                    r#"cannot parse "GB" as a byte size: there is no number before the unit; {hint}"#
                ),
            ),
            (
                "1..5GB",
                format!(r#"cannot parse "1..5GB" as a byte size: "1..5" is not a number; {hint}"#),
            ),
            (
                "1 0GB",
                format!(r#"cannot parse "1 0GB" as a byte size: "1 0" is not a number; {hint}"#),
            ),
            (
                "1e",
                format!(r#"cannot parse "1e" as a byte size: unknown unit "e"; {hint}"#),
            ),
            (
                "1e+GB",
                format!(r#"cannot parse "1e+GB" as a byte size: "1e+" is not a number; {hint}"#),
            ),
            (
                "1,5GB",
                format!(r#"cannot parse "1,5GB" as a byte size: "1,5" is not a number; {hint}"#),
            ),
            (
                "18446744073709551616",
                format!(
                    r#"cannot parse "18446744073709551616" as a byte size: it exceeds the largest size of 18446744073709551615 bytes (16384.00 PiB); {hint}"#
                ),
            ),
            (
                "20000PB",
                format!(
                    r#"cannot parse "20000PB" as a byte size: it exceeds the largest size of 18446744073709551615 bytes (16384.00 PiB); {hint}"#
                ),
            ),
        ];
        for (text, want) in table {
            let err = parse_bytes(text).expect_err(text);
            assert_eq!(&err.to_string(), want, "parsing {text:?}");
        }
    }

    #[test]
    fn rejects_overflow_variants() {
        for text in [
            "1e20",
            "1e400",
            "1e99999999999999999999",
            "16384PiB",
            "1.9e19",
        ] {
            assert_eq!(
                parse_bytes(text),
                Err(SizeError::Overflow {
                    text: text.to_string()
                }),
                "{text}"
            );
        }
        // Long mantissas lose only far-below-a-byte precision.
        let long = format!("1.{}GB", "0".repeat(60));
        assert_eq!(parse_bytes(&long), Ok(1_000_000_000));
        let long = format!("1.{}1GB", "0".repeat(60));
        assert_eq!(parse_bytes(&long), Ok(1_000_000_000));
        let long = format!("1.{}PiB", "9".repeat(60));
        assert_eq!(parse_bytes(&long), Ok((2 << 50) - 1));
        let long = format!("0.{}kB", "3".repeat(45));
        assert_eq!(parse_bytes(&long), Ok(333));
        let huge = format!("1{}", "0".repeat(60));
        assert!(matches!(
            parse_bytes(&huge),
            Err(SizeError::Overflow { .. })
        ));
    }

    #[test]
    fn error_variants_carry_values() {
        assert_eq!(
            parse_bytes("3 furlongs"),
            Err(SizeError::UnknownUnit {
                text: "3 furlongs".into(),
                unit: "furlongs".into()
            })
        );
        assert_eq!(
            parse_bytes("x1"),
            Err(SizeError::InvalidNumber {
                text: "x1".into(),
                number: "x1".into()
            })
        );
    }

    #[test]
    fn formats_dask_style() {
        let table: &[(u64, &str)] = &[
            (0, "0 B"),
            (100, "100 B"),
            (1023, "1023 B"),
            (1024, "1.00 kiB"),
            (10 * 1024, "10.00 kiB"),
            (512 << 20, "512.00 MiB"),
            (1_000_000_000, "953.67 MiB"),
            (2_000_000_000, "1.86 GiB"),
            (1 << 40, "1.00 TiB"),
            (3 << 50, "3.00 PiB"),
            (u64::MAX, "16384.00 PiB"),
        ];
        for &(bytes, want) in table {
            assert_eq!(format_bytes(bytes), want, "{bytes}");
        }
    }

    #[test]
    fn formats_decimal() {
        assert_eq!(format_bytes_decimal(999), "999 B");
        assert_eq!(format_bytes_decimal(1000), "1.00 kB");
        assert_eq!(format_bytes_decimal(1_000_000_000), "1.00 GB");
        assert_eq!(format_bytes_decimal(64_000_000), "64.00 MB");
        assert_eq!(format_bytes_decimal(2 << 40), "2.20 TB");
        assert_eq!(format_bytes_decimal(5_000_000_000_000_000), "5.00 PB");
    }

    #[test]
    fn format_parses_back_approximately() {
        for bytes in [0u64, 1, 1023, 1024, 123_456_789, 1 << 33, 987_654_321_012] {
            let back = parse_bytes(&format_bytes(bytes)).unwrap();
            let tolerance = bytes / 200 + 1;
            assert!(back.abs_diff(bytes) <= tolerance, "{bytes} -> {back}");
        }
    }

    #[test]
    fn byte_size_round_trip() {
        let size: ByteSize = "2GiB".parse().unwrap();
        assert_eq!(size, ByteSize(2 << 30));
        assert_eq!(size.bytes(), 2 << 30);
        assert_eq!(size.to_string(), "2.00 GiB");
        assert_eq!(u64::from(size), 2 << 30);
        assert_eq!(ByteSize::from(7u64), ByteSize(7));
        assert!(ByteSize(1) < ByteSize(2));
        assert!("bogus".parse::<ByteSize>().is_err());
    }

    proptest::proptest! {
        #[test]
        fn plain_integers_parse_exactly(n in proptest::num::u64::ANY) {
            proptest::prop_assert_eq!(parse_bytes(&n.to_string()), Ok(n));
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_bytes(&s);
        }

        #[test]
        fn kib_units_are_exact(n in 0u64..(1 << 40)) {
            proptest::prop_assert_eq!(parse_bytes(&format!("{n} KiB")), Ok(n * 1024));
        }
    }
}
