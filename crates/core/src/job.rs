//! Finalization jobs as the plugin sees them: the `finish` answer, the status object it polls and
//! receives over server-sent events, and the counts it shows when a publish ends.

use serde::{Deserialize, Serialize};

use crate::SessionId;

/// `POST /api/session/{id}/finish`. The plugin sends counts only; our CLI also sends the full
/// inventory of the vault, which makes deletions exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FinishRequest {
    pub notes_processed: u64,
    pub assets_processed: u64,
    /// Every vault path the client publishes (uploaded or skipped as unchanged). When present,
    /// a live page whose vault path is missing from it is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Vec<String>>,
}

/// `202` answer to `finish`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinishResponse {
    pub session_id: SessionId,
    pub success: bool,
    pub job_id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime: Option<Realtime>,
}

/// Where to follow the job as it happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Realtime {
    /// Always `sse`.
    pub transport: String,
    /// Relative to the server's base URL, starting with `/`.
    pub stream_url: String,
    pub token: String,
    /// ISO-8601.
    pub expires_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Pending,
    Processing,
    Completed,
    Failed,
}

impl JobState {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// The named phases of a finalization, in order. A job only moves forward through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Queued,
    RebuildingNotes,
    RenderingHtml,
    PromotingContent,
    RebuildingIndexes,
    ValidatingLinks,
    CompletingPublication,
    Completed,
    Failed,
}

/// The status object of `GET /api/session/{id}/status` and of every SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub job_id: String,
    pub session_id: SessionId,
    pub status: JobState,
    /// 0–100, never going back.
    pub progress: u8,
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<JobResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_revision: Option<String>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// While `pending`: how many publishes will run before this one (the one running included).
    /// The plugin ignores unknown fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_ahead: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobResult {
    pub notes_processed: u64,
    pub assets_processed: u64,
    pub content_revision: String,
    pub promotion_stats: PromotionStats,
}

/// What the plugin shows when a publish ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionStats {
    /// Pages uploaded in this session.
    pub notes_published: u64,
    /// Pages kept from the previous revision without being uploaded.
    pub notes_deduplicated: u64,
    /// Pages of the previous revision no longer published.
    pub notes_deleted: u64,
    /// Assets uploaded (or linked by hash) in this session.
    pub assets_published: u64,
    /// Assets kept from the previous revision without being uploaded.
    pub assets_deduplicated: u64,
}

/// `2026-01-05T10:00:00.000Z` for a time in milliseconds since the Unix epoch.
pub fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_matches_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_767_607_200_123), "2026-01-05T10:00:00.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn phases_serialize_as_the_plugin_expects() {
        assert_eq!(serde_json::to_string(&Phase::RebuildingNotes).unwrap(), "\"rebuilding_notes\"");
        assert_eq!(serde_json::to_string(&JobState::Processing).unwrap(), "\"processing\"");
        assert!(Phase::Queued < Phase::Completed);
    }
}
