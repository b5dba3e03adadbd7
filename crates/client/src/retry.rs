//! When and how long to wait before trying a call again.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How calls are retried after a transport error (refused, reset, timed out) or a 429/503
/// answer. Other refusals are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt, doubled before each later one.
    pub first_delay: Duration,
    /// The longest wait, whether computed or asked for by the server.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, waiting 0.5 s, 1 s, 2 s, 4 s; a server's `Retry-After` is honoured up to 30 s.
    fn default() -> Self {
        Self { attempts: 5, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based) when the server named none.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait a 429/503 answer asks for: `Retry-After` in whole seconds (as the plugin reads
    /// it; an HTTP date is not understood), else the body's `retryAfterMs`; capped.
    pub(crate) fn server_delay(&self, headers: &HeaderMap, body: &str) -> Option<Duration> {
        let from_header = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let from_body = || {
            let body: serde_json::Value = serde_json::from_str(body).ok()?;
            let ms = body.get("retryAfterMs")?.as_f64()?;
            (ms.is_finite() && ms >= 0.0).then(|| Duration::from_millis(ms as u64))
        };
        from_header.or_else(from_body).map(|delay| delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_from_half_a_second_and_is_capped() {
        let policy = RetryPolicy::default();
        let waits: Vec<_> = (1..=4).map(|attempt| policy.backoff(attempt).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000]);
        assert_eq!(policy.backoff(40), Duration::from_secs(30));
    }

    #[test]
    fn the_server_delay_comes_from_retry_after_then_retry_after_ms() {
        let policy = RetryPolicy::default();
        let mut headers = HeaderMap::new();
        assert_eq!(policy.server_delay(&headers, ""), None);
        assert_eq!(policy.server_delay(&headers, r#"{"retryAfterMs":1500}"#), Some(Duration::from_millis(1500)));
        assert_eq!(policy.server_delay(&headers, r#"{"retryAfterMs":-3}"#), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(policy.server_delay(&headers, r#"{"retryAfterMs":1500}"#), Some(Duration::from_secs(2)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3600"));
        assert_eq!(policy.server_delay(&headers, ""), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(policy.server_delay(&headers, r#"{"retryAfterMs":100}"#), Some(Duration::from_millis(100)));
    }
}
