//! The current time as the plugin writes `publishedAt`: `2026-01-05T10:00:00.000Z`.

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_iso8601() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    vps_core::job::iso8601(since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_milliseconds() {
        let now = now_iso8601();
        assert_eq!(now.len(), 24, "{now}");
        assert!(now.ends_with('Z') && now.starts_with("20"), "{now}");
    }
}
