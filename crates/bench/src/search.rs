//! Search latency as a reader sees it: sequential `GET /search?q=<term>`, each timed from
//! sending to the last body byte.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::Result;

/// The target of every reader benchmark: p99 of a search at most this.
pub const SEARCH_TARGET: Duration = Duration::from_millis(50);

/// What [`measure`] found.
pub struct Searches {
    /// Requests made.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Answers that were not 2xx.
    pub failures: usize,
}

impl Searches {
    /// Whether the p99 meets [`SEARCH_TARGET`] and every answer was 2xx.
    pub fn met(&self) -> bool {
        self.p99 <= SEARCH_TARGET && self.failures == 0
    }
}

/// `count` sequential searches cycling over `terms`; `None` when the server has no search
/// (404 on `/search`).
pub async fn measure(
    client: &reqwest::Client,
    base_url: &str,
    terms: &[&str],
    count: usize,
) -> Result<Option<Searches>> {
    if terms.is_empty() || count == 0 {
        return Err("a search benchmark needs terms and at least one request".into());
    }
    let url = |term: &str| format!("{base_url}/search?q={}", vps_core::url::encode_path(term));
    let probe = client.get(url(terms[0])).send().await?;
    if probe.status() == StatusCode::NOT_FOUND {
        return Ok(None);
    }
    probe.bytes().await?;
    let mut times = Vec::with_capacity(count);
    let mut failures = 0;
    for i in 0..count {
        let term = terms[i % terms.len()];
        let started = Instant::now();
        let response = client.get(url(term)).send().await?;
        let ok = response.status().is_success();
        response.bytes().await?;
        times.push(started.elapsed());
        failures += usize::from(!ok);
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Ok(Some(Searches { count, p50: at(0.50), p99: at(0.99), failures }))
}
