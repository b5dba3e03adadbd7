//! Following a finalization job: the server-sent event stream when the server offers one, else
//! (or when it fails) polling the status, as the plugin does.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use vps_core::SessionId;
use vps_core::job::{FinishResponse, JobStatus, Realtime};

use crate::client::{Client, decode};
use crate::error::ClientError;

/// The wait between two status polls.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// The first event must come this soon, later ones this often (the server beats every 15 s).
const FIRST_EVENT: Duration = Duration::from_secs(10);
const NEXT_EVENT: Duration = Duration::from_secs(45);
/// An event larger than this is not a status: the stream is abandoned.
const MAX_EVENT_BYTES: usize = 1024 * 1024;

impl Client {
    /// Follows the job `finish` queued until it ends: over the event stream (`streamUrl` with
    /// its `token`; `connected`, `status`, `heartbeat`, `completed`, `failed`), calling
    /// `on_status` with each status; if there is no stream, or it cannot be opened, falls
    /// silent or breaks before the end, by polling `GET /api/session/{id}/status` every 500 ms
    /// (calling `on_status` when the status changes). Returns the final status, `completed` or
    /// `failed`: a failed job is not an error of this call.
    pub async fn follow(
        &self,
        session: SessionId,
        finish: &FinishResponse,
        on_status: &(dyn Fn(&JobStatus) + Send + Sync),
    ) -> Result<JobStatus, ClientError> {
        let mut last = None;
        if let Some(realtime) = finish.realtime.as_ref().filter(|r| usable(r)) {
            match self.follow_events(realtime, on_status, &mut last).await {
                Ok(done) => return Ok(done),
                Err(why) => tracing::debug!(%session, why, "event stream unavailable; polling the status"),
            }
        }
        self.poll(session, on_status, last).await
    }

    /// Reads the event stream to its terminal event; any failure says why, for the log.
    async fn follow_events(
        &self,
        realtime: &Realtime,
        on_status: &(dyn Fn(&JobStatus) + Send + Sync),
        last: &mut Option<JobStatus>,
    ) -> Result<JobStatus, String> {
        // The token is the stream's only credential: it goes in the query, never in a log.
        let separator = if realtime.stream_url.contains('?') { '&' } else { '?' };
        let token = percent_encoding::utf8_percent_encode(&realtime.token, percent_encoding::NON_ALPHANUMERIC);
        let url = format!("{}{separator}token={token}", self.url(&realtime.stream_url));
        let request = self.http.request(Method::GET, url).header(ACCEPT, "text/event-stream").send();
        let response = tokio::time::timeout(FIRST_EVENT, request)
            .await
            .map_err(|_| "no answer".to_owned())?
            .map_err(|e| e.without_url().to_string())?;
        let is_events = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !response.status().is_success() || !is_events {
            return Err(format!("answered {}", response.status()));
        }
        let mut body = response.bytes_stream();
        let mut parser = EventParser::default();
        let mut wait = FIRST_EVENT;
        loop {
            let chunk = tokio::time::timeout(wait, body.next())
                .await
                .map_err(|_| format!("silent for {} s", wait.as_secs()))?
                .ok_or("closed before the job ended")?
                .map_err(|e| e.without_url().to_string())?;
            for event in parser.push(&chunk)? {
                wait = NEXT_EVENT;
                if !matches!(event.name.as_str(), "connected" | "status" | "completed" | "failed") {
                    continue; // heartbeat, or an event this client does not know
                }
                let status: JobStatus =
                    serde_json::from_str(&event.data).map_err(|e| format!("bad {} event: {e}", event.name))?;
                on_status(&status);
                *last = Some(status.clone());
                if status.status.is_terminal() {
                    return Ok(status);
                }
            }
        }
    }

    /// Polls the status until the job ends, reporting each change.
    async fn poll(
        &self,
        session: SessionId,
        on_status: &(dyn Fn(&JobStatus) + Send + Sync),
        mut last: Option<JobStatus>,
    ) -> Result<JobStatus, ClientError> {
        let path = format!("/api/session/{session}/status");
        loop {
            let response = self
                .execute("status", true, &mut || Ok(self.api(Method::GET, &path).timeout(Duration::from_secs(60))))
                .await?;
            let status: JobStatus = decode("status", response).await?;
            if last.as_ref() != Some(&status) {
                on_status(&status);
            }
            if status.status.is_terminal() {
                return Ok(status);
            }
            last = Some(status);
            tokio::time::sleep(POLL_EVERY).await;
        }
    }
}

/// Whether the plugin would open this stream: SSE, a path under the base URL, a token.
fn usable(realtime: &Realtime) -> bool {
    realtime.transport == "sse" && realtime.stream_url.starts_with('/') && !realtime.token.is_empty()
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Event {
    name: String,
    data: String,
}

/// The `text/event-stream` format, fed bytes as they come: `event:` and `data:` fields (data
/// lines joined with `\n`), comments and other fields ignored, a blank line ends an event.
#[derive(Default)]
struct EventParser {
    pending: Vec<u8>,
    name: String,
    data: Option<String>,
}

impl EventParser {
    fn push(&mut self, bytes: &[u8]) -> Result<Vec<Event>, String> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8(line).map_err(|_| "an event is not UTF-8".to_owned())?;
            let line = line.trim_end_matches('\n').trim_end_matches('\r');
            if line.is_empty() {
                if let Some(data) = self.data.take() {
                    let name = std::mem::take(&mut self.name);
                    events.push(Event { name: if name.is_empty() { "message".into() } else { name }, data });
                }
                self.name.clear();
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "event" => self.name = value.to_owned(),
                "data" => match &mut self.data {
                    Some(data) => {
                        data.push('\n');
                        data.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                },
                _ => {} // a comment (`: …`), `id`, `retry`
            }
        }
        let held = self.pending.len() + self.data.as_ref().map_or(0, String::len);
        if held > MAX_EVENT_BYTES {
            return Err("an event is too large".into());
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, data: &str) -> Event {
        Event { name: name.into(), data: data.into() }
    }

    #[test]
    fn events_are_parsed_across_arbitrary_chunk_boundaries() {
        let stream = "event: connected\ndata: {\"a\":1}\n\n: comment\r\nevent: heartbeat\r\ndata: {}\r\n\r\ndata: x\ndata: y\n\nevent:failed\ndata:{}\n\n";
        let expected = [
            event("connected", "{\"a\":1}"),
            event("heartbeat", "{}"),
            event("message", "x\ny"),
            event("failed", "{}"),
        ];
        for size in [1, 2, 7, stream.len()] {
            let mut parser = EventParser::default();
            let mut events = Vec::new();
            for piece in stream.as_bytes().chunks(size) {
                events.extend(parser.push(piece).unwrap());
            }
            assert_eq!(events, expected, "pieces of {size}");
        }
    }

    #[test]
    fn an_event_without_data_is_dropped_and_an_endless_one_refused() {
        let mut parser = EventParser::default();
        assert!(parser.push(b"event: status\n\n").unwrap().is_empty());
        assert!(parser.push(&vec![b'x'; MAX_EVENT_BYTES + 1]).is_err());
    }

    #[test]
    fn only_sse_streams_under_the_base_url_with_a_token_are_opened() {
        let realtime = |transport: &str, url: &str, token: &str| Realtime {
            transport: transport.into(),
            stream_url: url.into(),
            token: token.into(),
            expires_at: String::new(),
        };
        assert!(usable(&realtime("sse", "/events/session/x/finalization?jobId=j", "t")));
        assert!(!usable(&realtime("poll", "/events", "t")));
        assert!(!usable(&realtime("sse", "https://elsewhere/events", "t")));
        assert!(!usable(&realtime("sse", "/events", "")));
    }
}
