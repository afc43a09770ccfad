//! Unix seconds <-> RFC 3339 UTC text (`2024-03-01T08:00:00Z`).
//!
//! Exports write up to a dozen times per incident, so the common shape is formatted and
//! parsed by hand (civil-from-days, H. Hinnant); anything else RFC 3339 allows (offsets,
//! fractions, lower-case `t`/`z`) goes through chrono. Tests compare both with chrono.

use chrono::{DateTime, Utc};

use crate::model::UnixTime;

/// First and last second that format as a 4-digit year (0000-01-01 .. 9999-12-31).
const MIN: UnixTime = -62_167_219_200;
const MAX: UnixTime = 253_402_300_799;

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ`, or `None` outside years 0000-9999.
#[must_use]
pub fn format_time(t: UnixTime) -> Option<String> {
    if !(MIN..=MAX).contains(&t) {
        return None;
    }
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::with_capacity(20);
    for (v, width, sep) in [
        (y, 4, '-'),
        (m, 2, '-'),
        (d, 2, 'T'),
        (hh, 2, ':'),
        (mm, 2, ':'),
        (ss, 2, 'Z'),
    ] {
        push_digits(&mut out, v, width);
        out.push(sep);
    }
    Some(out)
}

fn push_digits(out: &mut String, v: i64, width: u32) {
    let mut div = 10_i64.pow(width - 1);
    while div > 0 {
        // `v` is within 0..10^width here, so each digit is 0-9.
        out.push(char::from(b'0' + (v / div % 10) as u8));
        div /= 10;
    }
}

/// Parses an RFC 3339 time into Unix seconds (fractions of a second are dropped).
pub fn parse_time(s: &str) -> Result<UnixTime, String> {
    if let Some(t) = parse_fast(s.as_bytes()) {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc).timestamp())
        .map_err(|e| format!("{s:?} is not an RFC 3339 time like 2024-03-01T08:00:00Z ({e})"))
}

/// The exact `YYYY-MM-DDTHH:MM:SSZ` shape; `None` sends the text to chrono.
fn parse_fast(b: &[u8]) -> Option<UnixTime> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0_i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Leap seconds and impossible dates go to chrono, which judges them.
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn chrono_format(t: UnixTime) -> String {
        DateTime::<Utc>::from_timestamp(t, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }

    #[test]
    fn agrees_with_chrono() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let edges = [
            MIN,
            MIN + 1,
            -1,
            0,
            1,
            951_782_400,
            4_107_542_400,
            MAX - 1,
            MAX,
        ];
        let random = (0..20_000).map(|_| rng.random_range(MIN..=MAX));
        for t in edges.into_iter().chain(random) {
            let s = format_time(t).unwrap();
            assert_eq!(s, chrono_format(t), "{t}");
            assert_eq!(parse_time(&s).unwrap(), t, "{s}");
            assert_eq!(
                DateTime::parse_from_rfc3339(&s).unwrap().timestamp(),
                t,
                "{s}"
            );
        }
        assert_eq!(format_time(MAX + 1), None);
        assert_eq!(format_time(MIN - 1), None);
    }

    #[test]
    fn other_rfc3339_shapes_and_garbage() {
        assert_eq!(parse_time("1970-01-01T08:00:00+08:00").unwrap(), 0);
        assert_eq!(parse_time("1970-01-01t00:00:01.9z").unwrap(), 1);
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01",
            "２０２４-01-01T00:00:00Z",
            "2024-01-01T00:00:00",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_time("2024-02-29T23:59:59Z").unwrap(), 1_709_251_199);
    }
}
