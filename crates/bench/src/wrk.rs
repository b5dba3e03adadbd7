//! [wrk](https://github.com/wg/wrk), the HTTP load generator the reader benchmarks run: installed
//! from Debian when missing ([`ensure_wrk`]), run on one URL with extra request headers
//! ([`Wrk::run`]), its report read back ([`parse`]).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::Result;

/// How wrk loads a URL: threads, connections, seconds (`-t -c -d`, always `--latency`).
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    /// `-t`.
    pub threads: u32,
    /// `-c`.
    pub connections: u32,
    /// `-d`, in seconds.
    pub seconds: u32,
}

/// What a wrk run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// `Requests/sec:`.
    pub requests_per_sec: f64,
    /// `N requests in …`: how many were answered.
    pub requests: Option<u64>,
    /// The 99th percentile of the latency distribution.
    pub p99: Option<Duration>,
    /// wrk's socket errors and non-2xx/3xx count, when it reports any.
    pub errors: Option<String>,
}

impl Report {
    /// Runs of equal length on one URL as one: the mean rate, the requests summed, the worst p99,
    /// every error. `None` for no runs.
    pub fn combine(runs: &[Report]) -> Option<Report> {
        let first = runs.first()?;
        let mut errors = runs.iter().filter_map(|run| run.errors.clone()).peekable();
        Some(Report {
            requests_per_sec: runs.iter().map(|run| run.requests_per_sec).sum::<f64>() / runs.len() as f64,
            requests: runs.iter().map(|run| run.requests).sum(),
            p99: runs.iter().map(|run| run.p99).reduce(|a, b| a.max(b)).unwrap_or(first.p99),
            errors: errors.peek().is_some().then(|| errors.collect::<Vec<_>>().join("; ")),
        })
    }

    /// `12.34 ms`, or `?` when wrk gave none.
    pub fn p99_label(&self) -> String {
        self.p99.map_or("?".to_owned(), |p99| format!("{:.2} ms", p99.as_secs_f64() * 1e3))
    }
}

impl Wrk {
    /// `-t{threads} -c{connections} -d{seconds}s`, for the report.
    pub fn label(&self) -> String {
        format!("wrk -t{} -c{} -d{}s --latency", self.threads, self.connections, self.seconds)
    }

    /// Runs wrk on `url`, each request carrying `headers` (`("Accept-Encoding", "gzip")`).
    pub fn run(&self, url: &str, headers: &[(&str, &str)]) -> Result<Report> {
        let mut command = Command::new("wrk");
        command.args([
            format!("-t{}", self.threads),
            format!("-c{}", self.connections),
            format!("-d{}s", self.seconds),
            "--latency".to_owned(),
        ]);
        for (name, value) in headers {
            command.arg("-H").arg(format!("{name}: {value}"));
        }
        let output = command.arg(url).output()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            return Err(
                format!("wrk failed ({}): {text}{}", output.status, String::from_utf8_lossy(&output.stderr)).into()
            );
        }
        parse(&text).ok_or_else(|| format!("cannot read wrk's report:\n{text}").into())
    }
}

/// `wrk` on the PATH, installed with apt-get when it is missing and that is possible; Err says
/// how to install it.
pub fn ensure_wrk() -> std::result::Result<(), String> {
    // `wrk --version` exits with 1: that it starts is enough.
    let found = || Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    let how = "install it with `sudo apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS) \
               or from https://github.com/wg/wrk";
    crate::apt_install_if(found, "wrk").map_err(|why| format!("{why}; {how}"))
}

/// Reads wrk's report: requests/s, the p99 of `--latency`, errors.
pub fn parse(text: &str) -> Option<Report> {
    let mut report = Report { requests_per_sec: f64::NAN, requests: None, p99: None, errors: None };
    let mut errors = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            report.requests_per_sec = rate.trim().parse().ok()?;
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            report.requests = count.trim().parse().ok();
        } else if let Some(p99) = line.strip_prefix("99%") {
            report.p99 = parse_duration(p99.trim());
        } else if line.starts_with("Socket errors:") || line.starts_with("Non-2xx or 3xx responses:") {
            errors.push(line.to_owned());
        }
    }
    if !errors.is_empty() {
        report.errors = Some(errors.join("; "));
    }
    report.requests_per_sec.is_finite().then_some(report)
}

/// `250.00us`, `5.00ms`, `1.20s`, `2.00m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_reports_are_read() {
        let report = "Running 10s test @ http://127.0.0.1:1/x
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms  12.92ms   93.69%
    Req/Sec    56.20k     8.07k   62.00k    86.54%
  Latency Distribution
     50%  250.00us
     75%  491.00us
     90%  700.00us
     99%    5.00ms
  2243502 requests in 10.00s, 1.64GB read
  Non-2xx or 3xx responses: 12
Requests/sec: 224317.25
Transfer/sec:    168.22MB
";
        let parsed = parse(report).unwrap();
        assert_eq!(parsed.requests_per_sec, 224317.25);
        assert_eq!(parsed.requests, Some(2243502));
        assert_eq!(parsed.p99, Some(Duration::from_millis(5)));
        assert_eq!(parsed.errors.as_deref(), Some("Non-2xx or 3xx responses: 12"));
        assert_eq!(parse_duration("250.00us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_duration("1.50s"), Some(Duration::from_millis(1500)));
        assert!(parse("garbage").is_none());
    }

    #[test]
    fn runs_combine_into_their_mean_rate_and_worst_p99() {
        let run = |rate: f64, requests: u64, p99_ms: u64, errors: Option<&str>| Report {
            requests_per_sec: rate,
            requests: Some(requests),
            p99: Some(Duration::from_millis(p99_ms)),
            errors: errors.map(str::to_owned),
        };
        let both = Report::combine(&[run(100.0, 400, 3, None), run(300.0, 1200, 7, Some("Socket errors: 1"))]).unwrap();
        assert_eq!(both.requests_per_sec, 200.0);
        assert_eq!(both.requests, Some(1600));
        assert_eq!(both.p99, Some(Duration::from_millis(7)));
        assert_eq!(both.errors.as_deref(), Some("Socket errors: 1"));
        assert!(Report::combine(&[]).is_none());
    }
}
