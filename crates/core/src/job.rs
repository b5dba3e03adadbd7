//! Finalization jobs as the plugin sees them: the `finish` answer, the status object it polls and
//! receives over server-sent events, and the counts it shows when a publish ends.

use serde::{Deserialize, Serialize};

use crate::SessionId;

/// `POST /api/session/{id}/finish`. The plugin sends counts only; our CLI also sends the full
/// inventory of the vault, which makes deletions exact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FinishRequest {
    /// Notes the client uploaded in this session (skipped ones excluded); informative.
    pub notes_processed: u64,
    /// Assets the client found in the vault, skipped ones included; informative.
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
    /// The finished session.
    pub session_id: SessionId,
    /// Always `true`; a refused `finish` answers with an error status instead.
    pub success: bool,
    /// The finalization job's id (a UUID); names the job in the SSE URL and in status objects.
    pub job_id: String,
    /// Always `queued`: the job has not started when `finish` answers.
    pub status: String,
    /// How to follow the job over server-sent events; absent means the client polls
    /// `GET /api/session/{id}/status`.
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
    /// The stream's only credential, sent as its `token` query parameter; opaque and scoped to
    /// this job.
    pub token: String,
    /// ISO-8601.
    pub expires_at: String,
}

/// Where a finalization job stands (`status` on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its turn: another publish of the site is running or queued ahead.
    Pending,
    /// Running.
    Processing,
    /// Ended and published: the new revision is live.
    Completed,
    /// Ended without publishing: the live site is unchanged; `error` says why.
    Failed,
}

impl JobState {
    /// Whether the job has ended (`completed` or `failed`) and will not change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

/// The named phases of a finalization, in order. A job only moves forward through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting to start (another publish of the site runs first).
    Queued,
    /// Loading the session's notes and choosing which live pages to keep.
    RebuildingNotes,
    /// Cleaning the notes and rendering them into HTML pages.
    RenderingHtml,
    /// Writing the pages and the site-wide documents (indexes, feed, sitemap…) to the store.
    PromotingContent,
    /// Assembling the new revision's manifest (pages, assets, redirects).
    RebuildingIndexes,
    /// Checking links: a phase of the plugin's list that this server never reports.
    ValidatingLinks,
    /// Making the new revision the live one.
    CompletingPublication,
    /// Done: the new revision is live.
    Completed,
    /// Stopped: nothing was published.
    Failed,
}

/// The status object of `GET /api/session/{id}/status` and of every SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    /// The job's id, as the `finish` answer gave it.
    pub job_id: String,
    /// The session the job finalizes.
    pub session_id: SessionId,
    /// Whether the job waits, runs or has ended.
    pub status: JobState,
    /// 0–100, never going back.
    pub progress: u8,
    /// What the job is doing; only moves forward.
    pub phase: Phase,
    /// Why the job failed, in a sentence for people; present only when `status` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The stable code of why the job failed, when the failure has one (`invalid-permalink`…);
    /// present only when `status` is `failed`. The plugin ignores unknown fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<crate::ErrorCode>,
    /// The outcome; present only when `status` is `completed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<JobResult>,
    /// Id of the revision the job published; present once it is live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_revision: Option<String>,
    /// When `finish` created the job (ISO-8601, UTC, milliseconds).
    pub created_at: String,
    /// When the job started running (ISO-8601); absent while `pending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When the job ended (ISO-8601); absent until `completed` or `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// While `pending`: how many publishes will run before this one (the one running included).
    /// The plugin ignores unknown fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_ahead: Option<u32>,
}

/// The outcome of a completed job (`result` of the status object).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobResult {
    /// The `notesProcessed` count the client sent with `finish`.
    pub notes_processed: u64,
    /// The `assetsProcessed` count the client sent with `finish`.
    pub assets_processed: u64,
    /// Id of the revision the job published (now live).
    pub content_revision: String,
    /// The counts the plugin shows in its summary.
    pub promotion_stats: PromotionStats,
    /// What the writer should know of the publish (a permalink not taken…), a sentence each
    /// naming the note; bounded by the build. The plugin ignores unknown fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
