//! Unit tests against a fake clamd: a loopback listener that speaks just enough of the protocol
//! and reports what it received. The real clamd is in `tests/scan`.

use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;

use crate::protocol::{MAX_FRAME, frames, verdict};
use crate::{Endpoint, ScanError, ScanStats, Scanner, ScannerConfig, Verdict};

/// How the fake clamd behaves once a stream has ended (or, for `Stall`, from the start).
#[derive(Clone, Copy)]
enum Fake {
    /// Answers this (without the NUL, which it adds).
    Answer(&'static str),
    /// Never answers.
    Silent,
    /// Never reads the stream.
    Stall,
}

/// What the fake received on one connection.
#[derive(Debug, Default)]
struct Received {
    command: Vec<u8>,
    frames: Vec<usize>,
    data: Vec<u8>,
    ended: bool,
}

async fn fake_tcp(behaviour: Fake) -> (Endpoint, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, behaviour, sender.clone()));
        }
    });
    (Endpoint::Tcp { host: "127.0.0.1".into(), port }, received)
}

async fn serve(
    mut socket: impl AsyncRead + AsyncWrite + Unpin,
    behaviour: Fake,
    report: mpsc::UnboundedSender<Received>,
) {
    let mut received = Received::default();
    if let Fake::Stall = behaviour {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    while let Ok(byte) = socket.read_u8().await {
        received.command.push(byte);
        if byte == 0 {
            break;
        }
    }
    match received.command.as_slice() {
        b"zPING\0" => socket.write_all(b"PONG\0").await.unwrap(),
        b"zVERSION\0" => socket.write_all(b"ClamAV 9.9.9/1/fake\0").await.unwrap(),
        b"zINSTREAM\0" => {
            while let Ok(len) = socket.read_u32().await {
                if len == 0 {
                    received.ended = true;
                    break;
                }
                let mut frame = vec![0; len as usize];
                socket.read_exact(&mut frame).await.unwrap();
                received.frames.push(frame.len());
                received.data.extend_from_slice(&frame);
            }
            if received.ended {
                match behaviour {
                    Fake::Answer(answer) => socket.write_all(format!("{answer}\0").as_bytes()).await.unwrap(),
                    Fake::Silent | Fake::Stall => tokio::time::sleep(Duration::from_secs(3600)).await,
                }
            }
        }
        _ => {}
    }
    let _ = report.send(received);
}

fn scanner(endpoint: Endpoint) -> Scanner {
    Scanner::new(ScannerConfig {
        endpoint,
        timeout: Duration::from_secs(5),
        max_connections: 4,
        stream_max_length: 64 * 1024 * 1024,
    })
}

fn scanner_with(endpoint: Endpoint, change: impl FnOnce(&mut ScannerConfig)) -> Scanner {
    let mut config = scanner(endpoint).config().clone();
    change(&mut config);
    Scanner::new(config)
}

fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect::<Vec<u8>>().into()
}

/// Undoes [`frames`]: the frame lengths and the bytes.
fn parse_frames(pieces: &[Bytes]) -> (Vec<usize>, Vec<u8>) {
    let wire: Vec<u8> = pieces.iter().flat_map(|piece| piece.iter().copied()).collect();
    let (mut lengths, mut data, mut at) = (Vec::new(), Vec::new(), 0);
    while at < wire.len() {
        let len = u32::from_be_bytes(wire[at..at + 4].try_into().unwrap()) as usize;
        lengths.push(len);
        data.extend_from_slice(&wire[at + 4..at + 4 + len]);
        at += 4 + len;
    }
    (lengths, data)
}

#[test]
fn frames_are_at_most_64_kib_span_chunks_and_keep_every_byte() {
    let chunks = [pattern(100_000, 1), pattern(30_000, 2), pattern(1, 3), Bytes::new(), pattern(65_536, 4)];
    let (lengths, data) = parse_frames(&frames(&chunks));
    assert_eq!(lengths, [MAX_FRAME, MAX_FRAME, 195_537 - 2 * MAX_FRAME]);
    let expected: Vec<u8> = chunks.iter().flat_map(|chunk| chunk.iter().copied()).collect();
    assert_eq!(data, expected);
    assert!(frames(&[]).is_empty());
}

#[test]
fn verdicts_are_read_from_clamds_answers() {
    let infected = |name: &str| Ok(Verdict::Infected(name.to_owned()));
    let cases: &[(&str, Result<Verdict, ()>)] = &[
        ("stream: OK", Ok(Verdict::Clean)),
        ("stream: Eicar-Test-Signature FOUND", infected("Eicar-Test-Signature").map_err(|_: ScanError| ())),
        (
            "stream: Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68) FOUND",
            Ok(Verdict::Infected("Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68)".to_owned())),
        ),
        ("INSTREAM size limit exceeded. ERROR", Err(())),
        ("stream: Can't allocate memory ERROR", Err(())),
        ("stream:  FOUND", Err(())),
        ("stream: OK extra", Err(())),
        ("PONG", Err(())),
        ("", Err(())),
    ];
    for (answer, expected) in cases {
        match (verdict(answer), expected) {
            (Ok(got), Ok(expected)) => assert_eq!(&got, expected, "{answer:?}"),
            (Err(ScanError::Protocol(message)), Err(())) => assert!(message.contains(answer), "{message}"),
            (got, _) => panic!("{answer:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

#[tokio::test]
async fn a_file_reaches_clamd_as_frames_ending_with_an_empty_one() {
    let (endpoint, mut received) = fake_tcp(Fake::Answer("stream: OK")).await;
    let scanner = scanner(endpoint);
    let mut scan = scanner.begin().await.unwrap();
    let mut expected = Vec::new();
    for i in 0..400 {
        let chunk = pattern(3000 + i, i as u8);
        expected.extend_from_slice(&chunk);
        scan.write(chunk).await.unwrap();
    }
    scan.write(Bytes::new()).await.unwrap();
    let big = pattern(1_000_000, 7);
    expected.extend_from_slice(&big);
    scan.write(big).await.unwrap();
    assert_eq!(scan.written(), expected.len() as u64);
    assert_eq!(scan.finish().await, Ok(Verdict::Clean));

    let received = received.recv().await.unwrap();
    assert_eq!(received.command, b"zINSTREAM\0");
    assert!(received.ended);
    assert!(received.frames.iter().all(|&len| len <= MAX_FRAME), "{:?}", received.frames);
    assert!(received.data == expected, "the bytes differ");
    let stats = scanner.stats();
    assert_eq!((stats.scans, stats.clean, stats.bytes_scanned, stats.in_use), (1, 1, expected.len() as u64, 0));
}

#[tokio::test]
async fn an_infected_file_gives_the_signature_name() {
    let (endpoint, _received) = fake_tcp(Fake::Answer("stream: Eicar-Test-Signature.UNOFFICIAL FOUND")).await;
    let scanner = scanner(endpoint);
    let mut scan = scanner.begin().await.unwrap();
    scan.write(Bytes::from_static(b"X5O!P%@AP")).await.unwrap();
    assert_eq!(scan.finish().await, Ok(Verdict::Infected("Eicar-Test-Signature.UNOFFICIAL".into())));
    assert_eq!((scanner.stats().infected, scanner.stats().clean), (1, 0));
}

#[tokio::test]
async fn an_error_answer_is_a_protocol_error_of_an_unavailable_scanner() {
    let (endpoint, _received) = fake_tcp(Fake::Answer("INSTREAM size limit exceeded. ERROR")).await;
    let scanner = scanner(endpoint);
    let mut scan = scanner.begin().await.unwrap();
    scan.write(pattern(10, 0)).await.unwrap();
    let error = scan.finish().await.unwrap_err();
    assert!(matches!(&error, ScanError::Protocol(message) if message.contains("size limit exceeded")), "{error:?}");
    assert_eq!(error.code(), "scanner-unavailable");
    assert_eq!(scanner.stats().failed, 1);
}

#[tokio::test]
async fn a_clamd_that_never_answers_times_out() {
    let (endpoint, _received) = fake_tcp(Fake::Silent).await;
    let scanner = scanner_with(endpoint, |config| config.timeout = Duration::from_millis(200));
    let mut scan = scanner.begin().await.unwrap();
    scan.write(pattern(1000, 0)).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(scan.finish().await, Err(ScanError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(ScanError::Timeout.code(), "scanner-unavailable");
    assert_eq!((scanner.stats().failed, scanner.stats().in_use), (1, 0));
}

#[tokio::test]
async fn a_clamd_that_stops_reading_times_out_the_writes() {
    let (endpoint, _received) = fake_tcp(Fake::Stall).await;
    let scanner = scanner_with(endpoint, |config| {
        config.timeout = Duration::from_millis(200);
        config.stream_max_length = u64::MAX;
    });
    let mut scan = scanner.begin().await.unwrap();
    let chunk = pattern(1024 * 1024, 0);
    // The socket buffers take a few MiB; then a write stalls. The chunk is shared, not copied.
    let mut result = Ok(());
    for _ in 0..1024 {
        result = scan.write(chunk.clone()).await;
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(ScanError::Timeout));
    assert_eq!(scan.write(chunk).await, Err(ScanError::Timeout), "the scan stays failed");
    assert_eq!(scan.finish().await, Err(ScanError::Timeout));
    assert_eq!(scanner.stats().failed, 1, "counted once");
}

#[tokio::test]
async fn an_unreachable_clamd_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    for endpoint in [Endpoint::Tcp { host: "127.0.0.1".into(), port }, Endpoint::Unix(dir.path().join("none.sock"))] {
        let scanner = scanner(endpoint.clone());
        let Err(error) = scanner.begin().await else { panic!("{endpoint}: a scan began") };
        assert!(matches!(&error, ScanError::Unavailable(m) if m.contains(&endpoint.to_string())), "{error:?}");
        assert_eq!(error.code(), "scanner-unavailable");
        assert!(matches!(scanner.ping().await, Err(ScanError::Unavailable(_))));
        assert_eq!((scanner.stats().scans, scanner.stats().failed, scanner.stats().in_use), (1, 1, 0));
    }
}

#[tokio::test]
async fn a_chunk_past_the_limit_is_refused_before_it_is_sent() {
    let (endpoint, mut received) = fake_tcp(Fake::Answer("stream: OK")).await;
    let scanner = scanner_with(endpoint, |config| config.stream_max_length = 100_000);

    let mut scan = scanner.begin().await.unwrap();
    scan.write(Bytes::from(vec![b'a'; 60_000])).await.unwrap();
    scan.write(Bytes::from(vec![b'a'; 40_000])).await.unwrap();
    assert_eq!(scan.finish().await, Ok(Verdict::Clean), "exactly the limit is accepted");
    assert_eq!(received.recv().await.unwrap().data.len(), 100_000);

    let mut scan = scanner.begin().await.unwrap();
    scan.write(Bytes::from(vec![b'a'; 60_000])).await.unwrap();
    let error = scan.write(Bytes::from(vec![b'b'; 40_001])).await.unwrap_err();
    assert_eq!(error, ScanError::TooLarge { limit: 100_000 });
    assert_eq!(error.code(), "too-large-to-scan");
    assert_eq!(scan.write(Bytes::from_static(b"c")).await, Err(error.clone()));
    assert_eq!(scan.finish().await, Err(error));
    let refused = received.recv().await.unwrap();
    assert!(!refused.ended && !refused.data.contains(&b'b'), "{:?}", refused.frames);
    let stats = scanner.stats();
    assert_eq!((stats.scans, stats.clean, stats.too_large, stats.failed, stats.in_use), (2, 1, 1, 0, 0));
}

#[tokio::test]
async fn dropping_a_scan_closes_its_connection_and_frees_its_slot() {
    let (endpoint, mut received) = fake_tcp(Fake::Answer("stream: OK")).await;
    let scanner = scanner_with(endpoint, |config| config.max_connections = 1);
    let mut scan = scanner.begin().await.unwrap();
    scan.write(pattern(300_000, 0)).await.unwrap();
    drop(scan);
    let abandoned = received.recv().await.unwrap();
    assert!(!abandoned.ended);
    let mut scan =
        tokio::time::timeout(Duration::from_secs(2), scanner.begin()).await.expect("the slot is free").unwrap();
    scan.write(pattern(10, 0)).await.unwrap();
    assert_eq!(scan.finish().await, Ok(Verdict::Clean));
    let stats = scanner.stats();
    assert_eq!((stats.scans, stats.clean, stats.failed), (2, 1, 0));
}

#[tokio::test]
async fn scans_past_the_bound_wait_for_a_slot() {
    let (endpoint, _received) = fake_tcp(Fake::Answer("stream: OK")).await;
    let scanner = scanner_with(endpoint, |config| config.max_connections = 2);
    let mut first = scanner.begin().await.unwrap();
    let second = scanner.begin().await.unwrap();
    let waiting = tokio::spawn({
        let scanner = scanner.clone();
        async move { scanner.begin().await.unwrap().finish().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the third scan waits");
    assert_eq!((scanner.stats().scans, scanner.stats().in_use), (2, 2));
    first.write(pattern(10, 0)).await.unwrap();
    assert_eq!(first.finish().await, Ok(Verdict::Clean));
    let third = tokio::time::timeout(Duration::from_secs(2), waiting).await.expect("the third scan got the slot");
    assert_eq!(third.unwrap(), Ok(Verdict::Clean));
    assert_eq!(second.finish().await, Ok(Verdict::Clean));
    assert_eq!(scanner.stats(), ScanStats { scans: 3, clean: 3, ..scanner.stats() });
}

#[tokio::test]
async fn ping_and_version_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clamd.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (report, _received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket, Fake::Answer("stream: OK"), report.clone()));
        }
    });
    let scanner = scanner(Endpoint::Unix(path));
    scanner.ping().await.unwrap();
    assert_eq!(scanner.version().await.unwrap(), "ClamAV 9.9.9/1/fake");
    let mut scan = scanner.begin().await.unwrap();
    scan.write(pattern(100, 0)).await.unwrap();
    assert_eq!(scan.finish().await, Ok(Verdict::Clean));
    assert_eq!(scanner.stats().scans, 1, "PING and VERSION are not scans");
}
