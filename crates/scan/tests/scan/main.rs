//! vps-scan against the real clamd: a private one per test (`vps_testkit::clamd`), with a
//! signature database that flags the EICAR test file. Without `/usr/sbin/clamd` each test prints
//! SKIP (fails with `CI=true`); `scripts/test.sh` installs it.

use std::time::Duration;

use bytes::Bytes;
use vps_scan::{Endpoint, ScanError, Scanner, ScannerConfig, Verdict};
use vps_testkit::clamd::{self, Clamd, EICAR, EICAR_SIGNATURE, zip_stored};

const MIB: usize = 1024 * 1024;

fn tcp(clamd: &Clamd) -> Endpoint {
    Endpoint::Tcp { host: "127.0.0.1".into(), port: clamd.tcp_port() }
}

fn scanner(endpoint: Endpoint) -> Scanner {
    Scanner::new(ScannerConfig {
        endpoint,
        timeout: Duration::from_secs(20),
        max_connections: 4,
        stream_max_length: 64 * MIB as u64,
    })
}

/// Pseudo-random bytes, in which no signature hides.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = Vec::with_capacity(len + 8);
    while bytes.len() < len {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        bytes.extend_from_slice(&(state >> 16).to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// Scans `file` sent in writes of `write_size` bytes.
async fn scan(scanner: &Scanner, file: &[u8], write_size: usize) -> Result<Verdict, ScanError> {
    let mut scan = scanner.begin().await?;
    for piece in file.chunks(write_size) {
        scan.write(Bytes::copy_from_slice(piece)).await?;
    }
    scan.finish().await
}

fn assert_eicar(verdict: Result<Verdict, ScanError>) {
    match verdict {
        Ok(Verdict::Infected(signature)) => assert!(signature.starts_with(EICAR_SIGNATURE), "{signature}"),
        other => panic!("expected EICAR to be found, got {other:?}"),
    }
}

#[tokio::test]
async fn clean_files_are_clean_over_tcp_and_the_unix_socket() {
    let Some(clamd) = clamd::start_or_skip("clean_files_are_clean_over_tcp_and_the_unix_socket") else { return };
    for endpoint in [tcp(&clamd), Endpoint::Unix(clamd.socket())] {
        let scanner = scanner(endpoint.clone());
        assert_eq!(scan(&scanner, &noise(1024, 1), 1024).await, Ok(Verdict::Clean), "{endpoint}: 1 KiB");
        assert_eq!(scan(&scanner, &noise(20 * MIB, 2), 256 * 1024).await, Ok(Verdict::Clean), "{endpoint}: 20 MiB");
        let stats = scanner.stats();
        assert_eq!((stats.scans, stats.clean, stats.bytes_scanned), (2, 2, (1024 + 20 * MIB) as u64));
    }
}

#[tokio::test]
async fn eicar_is_infected_alone_in_a_zip_and_split_across_writes_and_frames() {
    let Some(clamd) = clamd::start_or_skip("eicar_is_infected_…") else { return };
    let scanner = scanner(Endpoint::Unix(clamd.socket()));
    assert_eicar(scan(&scanner, EICAR, EICAR.len()).await);
    assert_eicar(scan(&scanner, &zip_stored("eicar.com", EICAR), 4096).await);
    // One byte per write, straddling the end of the first 64 KiB frame.
    let mut file = vec![b'a'; 65_536 - 30];
    file.extend_from_slice(EICAR);
    file.extend_from_slice(&noise(100_000, 3));
    assert_eicar(scan(&scanner, &file, 1).await);
    // Odd-sized writes, after a few MiB.
    let mut file = noise(3 * MIB + 17, 4);
    file.extend_from_slice(EICAR);
    file.extend_from_slice(&noise(MIB, 5));
    assert_eicar(scan(&scanner, &file, 7919).await);
    let stats = scanner.stats();
    assert_eq!((stats.scans, stats.infected, stats.clean, stats.failed), (4, 4, 0, 0));
}

#[tokio::test]
async fn a_file_over_the_limit_is_too_large_to_scan() {
    let Some(clamd) = clamd::start_or_skip("a_file_over_the_limit_is_too_large_to_scan") else { return };
    let mut config = scanner(tcp(&clamd)).config().clone();
    config.stream_max_length = MIB as u64;
    let scanner = Scanner::new(config);
    assert_eq!(scan(&scanner, &noise(MIB, 6), 65_536).await, Ok(Verdict::Clean), "exactly the limit");
    let error = scan(&scanner, &noise(MIB + 1, 7), 65_536).await.unwrap_err();
    assert_eq!(error, ScanError::TooLarge { limit: MIB as u64 });
    assert_eq!(error.code().as_str(), "too-large-to-scan");
    // clamd still serves: the refused stream was closed, not left hanging.
    assert_eq!(scan(&scanner, b"after", 5).await, Ok(Verdict::Clean));
}

/// Why the scanner refuses files past its limit itself: clamd drops the connection.
#[tokio::test]
async fn a_stream_past_clamds_own_limit_fails_promptly_as_unavailable() {
    let clamd = match Clamd::start_with(1) {
        Ok(clamd) => clamd,
        Err(message) if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!("{message}"),
        Err(message) => return println!("SKIP a_stream_past_clamds_own_limit_…: {message}"),
    };
    let scanner = scanner(Endpoint::Unix(clamd.socket()));
    let started = std::time::Instant::now();
    let error = scan(&scanner, &noise(8 * MIB, 8), 65_536).await.unwrap_err();
    assert_eq!(error.code().as_str(), "scanner-unavailable", "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    println!("past clamd's StreamMaxLength: {error}");
}

#[tokio::test]
async fn ping_and_version_answer() {
    let Some(clamd) = clamd::start_or_skip("ping_and_version_answer") else { return };
    for endpoint in [tcp(&clamd), Endpoint::Unix(clamd.socket())] {
        let scanner = scanner(endpoint);
        scanner.ping().await.unwrap();
        let version = scanner.version().await.unwrap();
        assert!(version.starts_with("ClamAV "), "{version}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_past_the_bound_wait_for_a_slot_holding_nothing() {
    let Some(clamd) = clamd::start_or_skip("scans_past_the_bound_wait_for_a_slot_holding_nothing") else { return };
    let mut config = scanner(tcp(&clamd)).config().clone();
    config.max_connections = 2;
    let scanner = Scanner::new(config);
    let mut first = scanner.begin().await.unwrap();
    let mut second = scanner.begin().await.unwrap();
    first.write(Bytes::from(noise(MIB, 9))).await.unwrap();
    second.write(Bytes::from_static(EICAR)).await.unwrap();
    let waiting = tokio::spawn({
        let scanner = scanner.clone();
        async move { scan(&scanner, &noise(MIB, 10), 65_536).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "the third scan waits");
    let stats = scanner.stats();
    assert_eq!((stats.scans, stats.in_use), (2, 2), "the waiting scan has neither begun nor connected");
    assert_eq!(first.finish().await, Ok(Verdict::Clean));
    let third = tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("the third scan got a slot");
    assert_eq!(third.unwrap(), Ok(Verdict::Clean));
    assert_eicar(second.finish().await);
    let stats = scanner.stats();
    assert_eq!((stats.scans, stats.clean, stats.infected, stats.in_use), (3, 2, 1, 0));
}

#[tokio::test]
async fn a_stopped_clamd_is_unavailable_and_a_restarted_one_is_used_again() {
    let Some(mut clamd) = clamd::start_or_skip("a_stopped_clamd_is_unavailable_…") else { return };
    for endpoint in [tcp(&clamd), Endpoint::Unix(clamd.socket())] {
        let scanner = scanner(endpoint.clone());
        let mut scan_in_progress = scanner.begin().await.unwrap();
        scan_in_progress.write(Bytes::from(noise(MIB, 11))).await.unwrap();

        clamd.stop();
        let error = async {
            scan_in_progress.write(Bytes::from(noise(MIB, 12))).await?;
            scan_in_progress.finish().await
        }
        .await
        .unwrap_err();
        assert_eq!(error.code().as_str(), "scanner-unavailable", "{endpoint}: mid-scan: {error:?}");
        let error = scan(&scanner, b"hello", 5).await.unwrap_err();
        assert!(matches!(error, ScanError::Unavailable(_)), "{endpoint}: stopped: {error:?}");
        assert!(scanner.ping().await.is_err());

        clamd.restart();
        scanner.ping().await.unwrap();
        assert_eq!(scan(&scanner, b"hello", 5).await, Ok(Verdict::Clean), "{endpoint}: restarted");
        assert_eicar(scan(&scanner, EICAR, 10).await);
        let stats = scanner.stats();
        assert_eq!((stats.scans, stats.failed, stats.clean, stats.infected), (4, 2, 1, 1), "{endpoint}");
    }
}
