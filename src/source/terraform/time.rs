//! Terraform's pure date and time functions: `formatdate`, `timeadd` and `timecmp`, on RFC 3339
//! timestamps ("2018-01-02T23:12:01Z", "2018-01-02T23:12:01.5-08:00"). `timestamp` and
//! `plantimestamp` change on every run and are not here. Pure functions: values in, a value (or
//! the error Terraform reports) out. The caller makes the result unknown when any argument is
//! unknown.

use std::cmp::Ordering;

use crate::span::Span;
use crate::value::{Val, ValKind};

use super::eval::as_string;

/// The functions this family evaluates.
pub const NAMES: &[&str] = &["formatdate", "timeadd", "timecmp"];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// An instant: seconds since the Unix epoch, nanoseconds, and the UTC offset it was written
/// with (`None` for `Z`).
#[derive(Clone, Copy)]
struct Time {
    secs: i64,
    nanos: i64,
    offset: Option<i64>,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

impl Time {
    fn parse(s: &str) -> Result<Time, String> {
        let bad = || format!("not a valid RFC3339 timestamp: {s:?}");
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
            let t = s.get(r).ok_or_else(bad)?;
            if t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(bad());
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let days_in = [
            31,
            if leap(y) { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        if !(1..=12).contains(&mo)
            || d < 1
            || d > days_in[(mo - 1) as usize]
            || h > 23
            || mi > 59
            || sec > 59
        {
            return Err(bad());
        }
        let mut i = 19;
        let mut nanos = 0;
        if b[i] == b'.' {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start || i - start > 9 {
                return Err(bad());
            }
            nanos = num(start..i)? * 10i64.pow(9 - (i - start) as u32);
        }
        let offset = match s.get(i..).ok_or_else(bad)? {
            "Z" => None,
            z if z.len() == 6
                && (z.starts_with('+') || z.starts_with('-'))
                && z.as_bytes()[3] == b':' =>
            {
                let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return Err(bad());
                }
                let o = oh * 3600 + om * 60;
                Some(if z.starts_with('-') { -o } else { o })
            }
            _ => return Err(bad()),
        };
        let local = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec;
        Ok(Time {
            secs: local - offset.unwrap_or(0),
            nanos,
            offset,
        })
    }

    /// The local date and time fields: (year, month, day, hour, minute, second, weekday).
    fn fields(self) -> (i64, i64, i64, i64, i64, i64, usize) {
        let local = self.secs + self.offset.unwrap_or(0);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let weekday = (days + 4).rem_euclid(7) as usize;
        (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60, weekday)
    }

    fn zone(self, colon: bool) -> String {
        let o = self.offset.unwrap_or(0);
        let sign = if o < 0 { '-' } else { '+' };
        let sep = if colon { ":" } else { "" };
        format!("{sign}{:02}{sep}{:02}", o.abs() / 3600, o.abs() % 3600 / 60)
    }

    /// RFC 3339 without fractional seconds, in the offset the time was written with (Go's
    /// `time.RFC3339` layout, which Terraform's `timeadd` uses).
    fn rfc3339(self) -> String {
        let (y, mo, d, h, mi, s, _) = self.fields();
        let zone = match self.offset {
            None => "Z".to_string(),
            Some(_) => self.zone(true),
        };
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}")
    }
}

fn str_arg(args: &[Val], i: usize, what: &str) -> Result<String, String> {
    args.get(i)
        .and_then(as_string)
        .ok_or_else(|| format!("{what} must be a string"))
}

/// Evaluates one of [`NAMES`] on known arguments.
pub fn call(name: &str, args: &[Val], span: Span) -> Result<Val, String> {
    match name {
        "formatdate" => {
            let spec = str_arg(args, 0, "the format specification")?;
            let t = Time::parse(&str_arg(args, 1, "the timestamp")?)?;
            Ok(Val::str(formatdate(&spec, t)?, span))
        }
        "timeadd" => {
            let t = Time::parse(&str_arg(args, 0, "the timestamp")?)?;
            let d = duration(&str_arg(args, 1, "the duration")?)?;
            let total = i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos) + d;
            let secs = i64::try_from(total.div_euclid(1_000_000_000))
                .map_err(|_| "the result is out of range".to_string())?;
            let out = Time {
                secs,
                nanos: total.rem_euclid(1_000_000_000) as i64,
                offset: t.offset,
            };
            if out.fields().0 > 9999 || out.fields().0 < 0 {
                return Err("the result is out of range".into());
            }
            Ok(Val::str(out.rfc3339(), span))
        }
        "timecmp" => {
            let a = Time::parse(&str_arg(args, 0, "timestamp_a")?)?;
            let b = Time::parse(&str_arg(args, 1, "timestamp_b")?)?;
            let n = match (a.secs, a.nanos).cmp(&(b.secs, b.nanos)) {
                Ordering::Less => "-1",
                Ordering::Equal => "0",
                Ordering::Greater => "1",
            };
            Ok(Val::new(ValKind::Number(n.to_string()), span))
        }
        _ => Err(format!("{name} is not a date and time function")),
    }
}

/// A Go duration ("1h30m", "-10m", "1.5h", "300ms") in nanoseconds.
fn duration(s: &str) -> Result<i128, String> {
    let bad = || format!("invalid duration {s:?}");
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, tail) = rest.split_at(n);
        if num.is_empty() || num == "." {
            return Err(bad());
        }
        let value: f64 = num.parse().map_err(|_| bad())?;
        let u = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(u);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = next;
    }
    if total > 9.3e18 {
        return Err(bad());
    }
    let ns = total.round() as i128;
    Ok(if neg { -ns } else { ns })
}

/// Terraform's `formatdate` specification: runs of one letter are sequences, text in single
/// quotes is literal (`''` is a quote), other characters are copied.
fn formatdate(spec: &str, t: Time) -> Result<String, String> {
    let (y, mo, d, h, mi, s, wd) = t.fields();
    let chars: Vec<char> = spec.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let end = chars[i + 1..]
                .iter()
                .position(|x| *x == '\'')
                .ok_or("unterminated literal '")?;
            out.extend(&chars[i + 1..i + 1 + end]);
            i += end + 2;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|x| **x == c).count();
        let h12 = if h % 12 == 0 { 12 } else { h % 12 };
        let piece = match (c, n) {
            ('Y', 4) => format!("{y:04}"),
            ('Y', 2) => format!("{:02}", y % 100),
            ('M', 4) => MONTHS[(mo - 1) as usize].to_string(),
            ('M', 3) => MONTHS[(mo - 1) as usize][..3].to_string(),
            ('M', 2) => format!("{mo:02}"),
            ('M', 1) => mo.to_string(),
            ('D', 2) => format!("{d:02}"),
            ('D', 1) => d.to_string(),
            ('E', 4) => DAYS[wd].to_string(),
            ('E', 3) => DAYS[wd][..3].to_string(),
            ('h', 2) => format!("{h:02}"),
            ('h', 1) => h.to_string(),
            ('H', 2) => format!("{h12:02}"),
            ('H', 1) => h12.to_string(),
            ('A', 2) => if h < 12 { "AM" } else { "PM" }.to_string(),
            ('a', 2) => if h < 12 { "am" } else { "pm" }.to_string(),
            ('m', 2) => format!("{mi:02}"),
            ('m', 1) => mi.to_string(),
            ('s', 2) => format!("{s:02}"),
            ('s', 1) => s.to_string(),
            ('Z', 5) => t.zone(true),
            ('Z', 4) => t.zone(false),
            ('Z', 3) if t.offset.unwrap_or(0) == 0 => "UTC".to_string(),
            ('Z', 3) => t.zone(false),
            ('Z', 1) if t.offset.is_none() => "Z".to_string(),
            ('Z', 1) => t.zone(true),
            _ => {
                let seq: String = chars[i..i + n].iter().collect();
                return Err(format!(
                    "invalid date format verb {seq:?}: might be missing quotes around a literal"
                ));
            }
        };
        out.push_str(&piece);
        i += n;
    }
    Ok(out)
}
