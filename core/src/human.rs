//! Sizes and durations in human form for serialized configuration: `"16MiB"`, `"250ms"`.
//!
//! Used through `#[serde(with = ...)]` on the config types, so every binding hands the core the
//! same JSON (or TOML) and the core alone parses and checks it.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

use crate::error::{Error, Result};

/// A size as written by a user: a number of bytes or a text such as `"64KiB"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeForm {
    Bytes(u64),
    Text(String),
}

/// A duration as written by a user: seconds as a number, or a text such as `"250ms"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum DurationForm {
    Seconds(f64),
    Text(String),
}

/// Parses `"250ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"` (a bare number is seconds).
pub fn parse_duration_str(s: &str) -> Result<Duration> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| Error::config(format!("duration {s:?}: expected a number followed by ms, s, m or h")))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        u => return Err(Error::config(format!("duration {s:?}: unknown unit {u:?} (use ms, s, m, h)"))),
    };
    seconds(secs, s)
}

fn seconds(secs: f64, shown: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| Error::config(format!("duration {shown:?} must be a finite number >= 0")))
}

/// The shortest exact human form of a duration: `"250ms"`, `"10s"`.
pub fn duration_text(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos() % 1_000_000 == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

/// The shortest exact human form of a size: `"16MiB"`, `"1000"`.
pub fn size_text(n: usize) -> String {
    for (unit, mult) in [("GiB", 1usize << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if n >= mult && n % mult == 0 {
            return format!("{}{unit}", n / mult);
        }
    }
    n.to_string()
}

/// `#[serde(with = "crate::human::size")]`: a `usize` written as `"16MiB"` or a number.
pub mod size {
    use super::*;

    /// Writes the size in its human form.
    pub fn serialize<S: Serializer>(n: &usize, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&size_text(*n))
    }

    /// Reads a number of bytes or a human size.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<usize, D::Error> {
        match SizeForm::deserialize(d)? {
            SizeForm::Bytes(n) => usize::try_from(n).map_err(serde::de::Error::custom),
            SizeForm::Text(t) => crate::config::parse_size_str(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// `#[serde(with = "crate::human::duration")]`: a `Duration` written as `"250ms"` or seconds.
pub mod duration {
    use super::*;

    /// Writes the duration in its human form.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&duration_text(*d))
    }

    /// Reads seconds as a number, or a human duration.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
        match DurationForm::deserialize(d)? {
            DurationForm::Seconds(n) => seconds(n, &n.to_string()).map_err(serde::de::Error::custom),
            DurationForm::Text(t) => parse_duration_str(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// `#[serde(with = "crate::human::optional_duration")]`: `None` is written `"off"`; `"off"`,
/// `null` and zero read as `None`.
pub mod optional_duration {
    use super::*;

    /// Writes the duration, or `"off"`.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> std::result::Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&duration_text(*d)),
            None => s.serialize_str("off"),
        }
    }

    /// Reads a duration; `"off"`, `null` or zero mean none.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Duration>, D::Error> {
        let d = match Option::<DurationForm>::deserialize(d)? {
            None => return Ok(None),
            Some(DurationForm::Text(t)) if t.trim() == "off" => return Ok(None),
            Some(DurationForm::Seconds(n)) => seconds(n, &n.to_string()).map_err(serde::de::Error::custom)?,
            Some(DurationForm::Text(t)) => parse_duration_str(&t).map_err(serde::de::Error::custom)?,
        };
        Ok((!d.is_zero()).then_some(d))
    }
}

/// `#[serde(with = "crate::human::pem")]`: PEM bytes written as text.
pub mod pem {
    use super::*;

    /// Writes the PEM as a string.
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }

    /// Reads PEM text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_round_trip_in_human_form() {
        assert_eq!(parse_duration_str("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration_str("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration_str("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration_str("5 parsecs").is_err());
        assert!(parse_duration_str("-1s").is_err());
        assert_eq!(duration_text(Duration::from_millis(250)), "250ms");
        assert_eq!(duration_text(Duration::from_secs(10)), "10s");
        assert_eq!(size_text(16 << 20), "16MiB");
        assert_eq!(size_text(1000), "1000");
    }
}
