//! Checked parsing of the numbers RESP carries in its lines, and
//! allocation-free formatting of the numbers the encoder writes.

/// A length header: a count, RESP2's null (`-1`), or RESP3's streamed (`?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Len {
    Count(u64),
    Null,
    Streamed,
}

/// Parses a length header; `None` when it is none of the three forms.
#[inline]
pub(crate) fn parse_len(line: &[u8]) -> Option<Len> {
    match line {
        b"-1" => Some(Len::Null),
        b"?" => Some(Len::Streamed),
        _ => parse_u64(line).map(Len::Count),
    }
}

/// Fewer digits than this cannot overflow a `u64`, so need no checks.
const SAFE_DIGITS: usize = 19;

/// Parses a run of decimal digits; `None` for anything else or an overflow.
// Always inlined: a call costs a fifth of decoding an integer reply.
#[allow(clippy::inline_always)]
#[inline(always)]
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let checked = digits.len() >= SAFE_DIGITS;
    let mut value: u64 = 0;
    // Eight digits at a time keep the multiply chain short for long numbers.
    let mut chunks = digits.chunks_exact(8);
    for chunk in &mut chunks {
        let eight = eight_digits(chunk)?;
        value = if checked {
            value.checked_mul(100_000_000)?.checked_add(eight)?
        } else {
            value * 100_000_000 + eight
        };
    }
    for &byte in chunks.remainder() {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = if checked {
            value.checked_mul(10)?.checked_add(u64::from(digit))?
        } else {
            value * 10 + u64::from(digit)
        };
    }
    Some(value)
}

/// The value of eight ASCII digits, combined pairwise in one register;
/// `None` if any byte is not a digit.
#[inline]
fn eight_digits(chunk: &[u8]) -> Option<u64> {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(chunk);
    let text = u64::from_le_bytes(bytes);
    // Every byte is 0x30..=0x39: its high nibble is 3, and adding 6 keeps it 3.
    let high_nibbles = 0xF0F0_F0F0_F0F0_F0F0;
    let threes = 0x3030_3030_3030_3030;
    if text & high_nibbles != threes
        || text.wrapping_add(0x0606_0606_0606_0606) & high_nibbles != threes
    {
        return None;
    }
    let mut value = text - threes;
    value = (value * 10 + (value >> 8)) & 0x00FF_00FF_00FF_00FF;
    value = (value * 100 + (value >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some((value * 10_000 + (value >> 32)) & 0xFFFF_FFFF)
}

/// Parses an optionally signed decimal `i64` in one checked pass.
#[inline]
pub(crate) fn parse_i64(line: &[u8]) -> Option<i64> {
    let (negative, digits) = match line {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, line),
    };
    let magnitude = parse_u64(digits)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Whether `text` is an optionally signed, non-empty run of decimal digits.
pub(crate) fn is_big_number(text: &[u8]) -> bool {
    let digits = match text {
        [b'-' | b'+', rest @ ..] => rest,
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Parses a RESP3 double: `[+-]digits[.digits][(e|E)[+-]digits]`, or `inf`,
/// `-inf`, `+inf`, or a NaN as servers before 7.2 may write it (`nan`,
/// `-nan`, `NAN`, `nan(chars)`). The grammar is checked before the
/// conversion, which alone would also accept forms such as `infinity` or `.5`.
pub(crate) fn parse_double(line: &[u8]) -> Option<f64> {
    let mut rest = match line {
        [b'-' | b'+', rest @ ..] => rest,
        _ => line,
    };
    if rest == b"inf" {
        return Some(if line[0] == b'-' {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if is_nan(rest) {
        return Some(f64::NAN);
    }
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let whole = digits(rest);
    if whole == 0 {
        return None;
    }
    rest = &rest[whole..];
    if let [b'.', after @ ..] = rest {
        let fraction = digits(after);
        if fraction == 0 {
            return None;
        }
        rest = &after[fraction..];
    }
    if let [b'e' | b'E', after @ ..] = rest {
        let after = match after {
            [b'-' | b'+', unsigned @ ..] => unsigned,
            _ => after,
        };
        let exponent = digits(after);
        if exponent == 0 {
            return None;
        }
        rest = &after[exponent..];
    }
    if !rest.is_empty() {
        return None;
    }
    core::str::from_utf8(line).ok()?.parse().ok()
}

/// `nan` in any case, optionally followed by libc's `(chars)`.
fn is_nan(text: &[u8]) -> bool {
    let Some((nan, rest)) = text.split_at_checked(3) else {
        return false;
    };
    nan.eq_ignore_ascii_case(b"nan")
        && match rest {
            [] => true,
            [b'(', inner @ .., b')'] => inner
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_'),
            _ => false,
        }
}

/// Room for any `i64`/`u64` in decimal, or any `f64` as [`format_f64`] writes it.
pub(crate) const NUMBER_BUF: usize = 32;

/// Writes `value` in decimal at the end of `buf`, returning the digits.
pub(crate) fn format_u64(mut value: u64, buf: &mut [u8; NUMBER_BUF]) -> &[u8] {
    let mut at = NUMBER_BUF;
    loop {
        at -= 1;
        buf[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[at..];
        }
    }
}

/// Writes `value` in decimal at the end of `buf`, returning the text.
pub(crate) fn format_i64(value: i64, buf: &mut [u8; NUMBER_BUF]) -> &[u8] {
    let start = NUMBER_BUF - format_u64(value.unsigned_abs(), buf).len();
    if value < 0 {
        buf[start - 1] = b'-';
        &buf[start - 1..]
    } else {
        &buf[start..]
    }
}

/// Writes `value` as RESP3 and Redis read it: `inf`, `-inf`, `nan`, or the
/// shortest text that parses back to the same `f64` (plain decimal for
/// moderate magnitudes, exponent form otherwise). No heap allocation.
pub(crate) fn format_f64(value: f64, buf: &mut [u8; NUMBER_BUF]) -> &[u8] {
    use core::fmt::Write;

    struct Cursor<'b> {
        buf: &'b mut [u8; NUMBER_BUF],
        len: usize,
    }
    impl Write for Cursor<'_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let end = self.len + s.len();
            let room = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
            room.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    if value.is_nan() {
        return b"nan";
    }
    if value.is_infinite() {
        return if value > 0.0 { b"inf" } else { b"-inf" };
    }
    let magnitude = value.abs();
    let plain = magnitude == 0.0 || (1e-5..1e16).contains(&magnitude);
    let mut cursor = Cursor { buf, len: 0 };
    let written = if plain {
        write!(cursor, "{value}")
    } else {
        write!(cursor, "{value:e}")
    };
    // The shortest round-trip form of an f64 in these two notations is at
    // most 24 bytes, so the buffer always suffices.
    debug_assert!(written.is_ok());
    let len = cursor.len;
    &buf[..len]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_in_range_and_refuse_overflow() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"+7"), Some(7));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"123456789012345678901234567890"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(parse_i64(b"1a"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"12345678"), Some(12_345_678));
        assert_eq!(parse_i64(b"1234567890123456"), Some(1_234_567_890_123_456));
        assert_eq!(parse_i64(b"-00000000000000000001"), Some(-1));
        for bad in [
            &b"1234567/"[..],
            b"1234567:",
            b"/2345678",
            b"12345678 ",
            b"1234 678",
        ] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lengths_know_null_and_streamed() {
        assert_eq!(parse_len(b"-1"), Some(Len::Null));
        assert_eq!(parse_len(b"?"), Some(Len::Streamed));
        assert_eq!(parse_len(b"12"), Some(Len::Count(12)));
        assert_eq!(parse_len(b"-2"), None);
        assert_eq!(parse_len(b"+2"), None);
        assert_eq!(parse_len(b"99999999999999999999999"), None);
    }

    #[test]
    fn doubles_follow_the_resp3_grammar() {
        assert_eq!(parse_double(b"1.23"), Some(1.23));
        assert_eq!(parse_double(b"-10"), Some(-10.0));
        assert_eq!(parse_double(b"1e-3"), Some(0.001));
        assert_eq!(parse_double(b"+2.5E+2"), Some(250.0));
        assert_eq!(parse_double(b"inf"), Some(f64::INFINITY));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        for nan in [
            &b"nan"[..],
            b"-nan",
            b"NAN",
            b"NaN",
            b"nan(0x7ff)",
            b"nan(abc_1)",
        ] {
            assert!(parse_double(nan).is_some_and(f64::is_nan), "{nan:?}");
        }
        for bad in [
            &b"1e400x"[..],
            b"",
            b"-",
            b"1.",
            b".5",
            b"1e",
            b"infinity",
            b"nan(",
            b"nanx",
            b"0x10",
            b"1 ",
        ] {
            assert_eq!(parse_double(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn numbers_format_without_allocation_and_round_trip() {
        let mut buf = [0; NUMBER_BUF];
        assert_eq!(format_i64(i64::MIN, &mut buf), b"-9223372036854775808");
        assert_eq!(format_i64(0, &mut buf), b"0");
        assert_eq!(format_u64(u64::MAX, &mut buf), b"18446744073709551615");
        for value in [
            0.0,
            -0.0,
            1.5,
            -1e300,
            1e-300,
            f64::MAX,
            f64::MIN_POSITIVE,
            1e16,
            123_456.789,
            5e-324,
        ] {
            let text = format_f64(value, &mut buf);
            assert_eq!(parse_double(text), Some(value), "{value}");
        }
        assert_eq!(format_f64(f64::NEG_INFINITY, &mut buf), b"-inf");
    }
}
