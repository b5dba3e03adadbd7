//! Failed-login rate limits: per client address and for the whole server.
//!
//! - Per address: at most [`PER_ADDRESS_FAILURES`] failed logins in a window of
//!   [`PER_ADDRESS_WINDOW`]; IPv6 addresses count per /64 (one host usually holds a whole /64).
//! - Globally: at most [`GLOBAL_FAILURES`] failed logins in [`GLOBAL_WINDOW`], whatever the
//!   address (an attacker with many addresses still gets 100 guesses a minute in all).
//! - Memory: at most [`MAX_TRACKED_ADDRESSES`] addresses (~100 bytes each, about 1 MB). When
//!   full, expired entries are dropped first, then the entry whose window started longest ago
//!   (O(N) scan, only on insertion into a full table). Evicting a blocked address lets it try
//!   again early; the global limit still holds.
//!
//! Windows are fixed (they start at the first failure and reset when they end). Time is passed
//! in, so tests need no sleeping. A success clears the address's count (not the global one).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failed logins allowed per address in [`PER_ADDRESS_WINDOW`].
pub const PER_ADDRESS_FAILURES: u32 = 10;
/// See [`PER_ADDRESS_FAILURES`].
pub const PER_ADDRESS_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Failed logins allowed in all in [`GLOBAL_WINDOW`].
pub const GLOBAL_FAILURES: u32 = 100;
/// See [`GLOBAL_FAILURES`].
pub const GLOBAL_WINDOW: Duration = Duration::from_secs(60);
/// The most addresses tracked at once.
pub const MAX_TRACKED_ADDRESSES: usize = 10_000;

/// "Too many failed logins": wait this many whole seconds (≥ 1), for `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter {
    pub seconds: u64,
    /// Whether the global limit (rather than the address's) refused.
    pub global: bool,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

impl Window {
    fn new(now: Instant) -> Self {
        Window { started: now, failures: 0 }
    }

    fn ended(&self, now: Instant, length: Duration) -> bool {
        now.saturating_duration_since(self.started) >= length
    }

    fn retry_after(&self, now: Instant, length: Duration, limit: u32) -> Option<u64> {
        if self.ended(now, length) || self.failures < limit {
            return None;
        }
        let left = (self.started + length).saturating_duration_since(now);
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0)).map(|seconds| seconds.max(1))
    }
}

/// The limiter; one per server, behind a mutex (each call is short and allocation-free but
/// for inserting a new address).
#[derive(Debug)]
pub struct LoginLimiter {
    addresses: HashMap<IpAddr, Window>,
    global: Window,
    max_addresses: usize,
    limits: Limits,
}

/// How many failed logins are allowed, per client address and for the whole server, and over
/// which windows (the server's `LOGIN_*` settings; [`Limits::default`] is the constants above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures one address may make in [`Limits::per_address_window`].
    pub per_address: u32,
    pub per_address_window: Duration,
    /// Failures all addresses together may make in [`Limits::global_window`].
    pub global: u32,
    pub global_window: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_address: PER_ADDRESS_FAILURES,
            per_address_window: PER_ADDRESS_WINDOW,
            global: GLOBAL_FAILURES,
            global_window: GLOBAL_WINDOW,
        }
    }
}

impl LoginLimiter {
    /// A limiter with nothing counted yet.
    #[must_use]
    pub fn new(now: Instant) -> Self {
        Self::with_limits(now, Limits::default())
    }

    /// A limiter with these limits (at least one failure each, windows of at least a second).
    #[must_use]
    pub fn with_limits(now: Instant, limits: Limits) -> Self {
        let limits = Limits {
            per_address: limits.per_address.max(1),
            per_address_window: limits.per_address_window.max(Duration::from_secs(1)),
            global: limits.global.max(1),
            global_window: limits.global_window.max(Duration::from_secs(1)),
        };
        LoginLimiter { limits, ..Self::with_capacity(now, MAX_TRACKED_ADDRESSES) }
    }

    fn with_capacity(now: Instant, max_addresses: usize) -> Self {
        LoginLimiter {
            addresses: HashMap::new(),
            global: Window::new(now),
            max_addresses: max_addresses.max(1),
            limits: Limits::default(),
        }
    }

    /// Call before checking a password: `Err` means answer 429 with `Retry-After` without
    /// looking at the password.
    ///
    /// # Errors
    /// [`RetryAfter`] when the address or the whole server has used up its failures.
    pub fn check(&self, address: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        if let Some(seconds) = self.global.retry_after(now, self.limits.global_window, self.limits.global) {
            return Err(RetryAfter { seconds, global: true });
        }
        if let Some(window) = self.addresses.get(&bucket(address))
            && let Some(seconds) = window.retry_after(now, self.limits.per_address_window, self.limits.per_address)
        {
            return Err(RetryAfter { seconds, global: false });
        }
        Ok(())
    }

    /// Counts a failed login from `address`.
    pub fn record_failure(&mut self, address: IpAddr, now: Instant) {
        if self.global.failures == 0 || self.global.ended(now, self.limits.global_window) {
            self.global = Window::new(now);
        }
        self.global.failures = self.global.failures.saturating_add(1);
        let key = bucket(address);
        if !self.addresses.contains_key(&key) && self.addresses.len() >= self.max_addresses {
            self.evict(now);
        }
        let window = self.addresses.entry(key).or_insert_with(|| Window::new(now));
        if window.ended(now, self.limits.per_address_window) {
            *window = Window::new(now);
        }
        window.failures = window.failures.saturating_add(1);
    }

    /// A successful login from `address`: its count starts again.
    pub fn record_success(&mut self, address: IpAddr) {
        self.addresses.remove(&bucket(address));
    }

    /// How many addresses are tracked (for tests and metrics).
    #[must_use]
    pub fn tracked_addresses(&self) -> usize {
        self.addresses.len()
    }

    fn evict(&mut self, now: Instant) {
        self.addresses.retain(|_, window| !window.ended(now, self.limits.per_address_window));
        if self.addresses.len() >= self.max_addresses
            && let Some(oldest) = self.addresses.iter().min_by_key(|(_, window)| window.started).map(|(key, _)| *key)
        {
            self.addresses.remove(&oldest);
        }
    }
}

/// The key an address is counted under: IPv4 as is, IPv6 by its /64 (IPv4-mapped as IPv4).
fn bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_eleventh_failure_from_one_address_waits_for_the_window_to_end() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::new(t0);
        for _ in 0..PER_ADDRESS_FAILURES {
            assert_eq!(limiter.check(ip("203.0.113.7"), t0), Ok(()));
            limiter.record_failure(ip("203.0.113.7"), t0);
        }
        assert_eq!(limiter.check(ip("203.0.113.7"), t0), Err(RetryAfter { seconds: 300, global: false }));
        assert_eq!(
            limiter.check(ip("203.0.113.7"), t0 + Duration::from_millis(60_500)),
            Err(RetryAfter { seconds: 240, global: false }),
            "Retry-After rounds up"
        );
        assert_eq!(limiter.check(ip("203.0.113.8"), t0), Ok(()), "another address is not limited");
        assert_eq!(limiter.check(ip("203.0.113.7"), t0 + PER_ADDRESS_WINDOW), Ok(()), "the window ends");
    }

    #[test]
    fn a_success_clears_the_address_count() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::new(t0);
        for _ in 0..PER_ADDRESS_FAILURES - 1 {
            limiter.record_failure(ip("198.51.100.1"), t0);
        }
        limiter.record_success(ip("198.51.100.1"));
        limiter.record_failure(ip("198.51.100.1"), t0);
        assert_eq!(limiter.check(ip("198.51.100.1"), t0), Ok(()));
    }

    #[test]
    fn a_hundred_failures_from_many_addresses_stop_everyone_for_the_rest_of_the_minute() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::new(t0);
        for n in 0..GLOBAL_FAILURES {
            let address = IpAddr::from([10, 0, (n / 256) as u8, (n % 256) as u8]);
            assert_eq!(limiter.check(address, t0 + secs(10)), Ok(()));
            limiter.record_failure(address, t0 + secs(10));
        }
        assert_eq!(limiter.check(ip("192.0.2.99"), t0 + secs(10)), Err(RetryAfter { seconds: 60, global: true }));
        assert_eq!(limiter.check(ip("192.0.2.99"), t0 + secs(70)), Ok(()));
    }

    #[test]
    fn ipv6_addresses_of_one_slash_64_share_a_count() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::new(t0);
        for n in 0..PER_ADDRESS_FAILURES {
            limiter.record_failure(ip(&format!("2001:db8:1:2::{n:x}")), t0);
        }
        assert!(limiter.check(ip("2001:db8:1:2:ffff::1"), t0).is_err());
        assert_eq!(limiter.check(ip("2001:db8:1:3::1"), t0), Ok(()));
        assert_eq!(limiter.tracked_addresses(), 1);
    }

    #[test]
    fn the_tracked_addresses_never_exceed_the_bound_and_the_oldest_goes_first() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::with_capacity(t0, 3);
        for (n, address) in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"].into_iter().enumerate() {
            for _ in 0..PER_ADDRESS_FAILURES {
                limiter.record_failure(ip(address), t0 + secs(n as u64));
            }
        }
        assert_eq!(limiter.tracked_addresses(), 3);
        assert_eq!(limiter.check(ip("192.0.2.1"), t0 + secs(5)), Ok(()), "the oldest was evicted");
        for kept in ["192.0.2.2", "192.0.2.3", "192.0.2.4"] {
            assert!(limiter.check(ip(kept), t0 + secs(5)).is_err(), "{kept} is still limited");
        }
        assert_eq!(MAX_TRACKED_ADDRESSES, 10_000);
    }
}
