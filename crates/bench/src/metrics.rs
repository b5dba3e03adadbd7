//! The server's `/metrics` (Prometheus text) read back: one value per metric name.

use std::collections::BTreeMap;

use crate::Result;

/// Counts the store and the blob cache keep for the reader's side (named in issue 14); a server
/// without them shows none of them.
pub const STORE_BLOB_READS: &str = "vps_store_blob_reads_total";
/// Blob cache hits.
pub const BLOB_CACHE_HITS: &str = "vps_blob_cache_hits_total";
/// Blob cache misses.
pub const BLOB_CACHE_MISSES: &str = "vps_blob_cache_misses_total";
/// Responses compressed at request time.
pub const REQUEST_COMPRESSIONS: &str = "vps_request_compressions_total";

/// The values of one scrape of `/metrics`, by metric name (labels kept in the name).
#[derive(Debug, Clone, Default)]
pub struct Scrape(BTreeMap<String, f64>);

impl Scrape {
    /// `GET {base_url}/metrics`, read.
    pub async fn fetch(client: &reqwest::Client, base_url: &str) -> Result<Self> {
        let response = client.get(format!("{base_url}/metrics")).send().await?;
        if !response.status().is_success() {
            return Err(format!("GET /metrics answered {}", response.status()).into());
        }
        Ok(Self::parse(&response.text().await?))
    }

    /// Reads the text exposition format: `name value` lines; `#` lines are skipped.
    pub fn parse(text: &str) -> Self {
        let values = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                Some((name.trim().to_owned(), value.trim().parse().ok()?))
            })
            .collect();
        Self(values)
    }

    /// The value of `name`, when the server has it.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }

    /// The sum of every series of `name` (each of its labels: `name{reason="…"}`), 0 without any.
    pub fn sum_prefix(&self, name: &str) -> f64 {
        self.0
            .iter()
            .filter(|(key, _)| key.as_str() == name || key.strip_prefix(name).is_some_and(|rest| rest.starts_with('{')))
            .map(|(_, value)| value)
            .sum()
    }

    /// How much `name` grew from `before` to this scrape; `n/a (metric missing)` when either
    /// lacks it.
    pub fn delta_label(&self, before: &Scrape, name: &str) -> String {
        match (before.get(name), self.get(name)) {
            (Some(before), Some(after)) => format!("{}", after - before),
            _ => "n/a (metric missing)".to_owned(),
        }
    }

    /// How much `name` grew from `before`, when both have it.
    pub fn delta(&self, before: &Scrape, name: &str) -> Option<f64> {
        Some(self.get(name)? - before.get(name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_read_and_missing_ones_say_so() {
        let before = Scrape::parse("# HELP a x\n# TYPE a counter\na 3\nb 1\n");
        let after = Scrape::parse("a 10\n");
        assert_eq!(after.delta(&before, "a"), Some(7.0));
        assert_eq!(after.delta_label(&before, "b"), "n/a (metric missing)");
    }
}
