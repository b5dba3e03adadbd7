//! The current time as the plugin writes `publishedAt`: `2026-01-05T10:00:00.000Z`.

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_iso8601() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    iso8601(since.as_secs() as i64, since.subsec_millis())
}

/// UTC date and time of a Unix time (days to civil date: Howard Hinnant's algorithm).
fn iso8601(seconds: i64, millis: u32) -> String {
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_milliseconds() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_767_607_200, 7), "2026-01-05T10:00:00.007Z");
        assert_eq!(iso8601(951_782_400, 999), "2000-02-29T00:00:00.999Z");
        assert!(now_iso8601().ends_with('Z'));
    }
}
