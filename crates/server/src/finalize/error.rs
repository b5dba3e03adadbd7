//! [`JobError`]: why a finalization job failed, or why the job registry refused a call. Its
//! message is what the publishing client reads as the job's `error`; routes turn it into an
//! [`ApiError`] (`From`), with the same status and code as before jobs had their own type.

use vps_build::BuildError;
use vps_store::StoreError;

use crate::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The session has no job (never finished, or expired).
    #[error("no finalization job for this session")]
    NotFound,
    /// The SSE token is not the job's.
    #[error("the token is missing or not valid for this job")]
    InvalidToken,
    /// The SSE token is past its lifetime.
    #[error("the token has expired; poll the status instead")]
    TokenExpired,
    /// A job record could not be stored or quarantined. The client reads only "internal error";
    /// the log has the cause.
    #[error("internal error")]
    Persist(#[source] StoreError),
    /// A job record could not be encoded.
    #[error("internal error")]
    Encode(#[source] serde_json::Error),
    /// No randomness for an SSE token.
    #[error("internal error")]
    Randomness,
    /// The session of the job could not be read.
    #[error(transparent)]
    Session(#[from] crate::sessions::SessionError),
    /// The store failed while the revision was published or followed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The build failed (a limit, a cleanup rule, a missing source, the store…).
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The job was stopped: aborted by its client or over its time budget; the message says
    /// which.
    #[error("{0}")]
    Stopped(String),
    /// The build panicked (a bug): the job fails, the server keeps serving.
    #[error("the finalization failed on an internal error ({0}); the live site is unchanged")]
    Panicked(String),
    /// The build's thread could not be started.
    #[error("cannot start the finalization: {0}")]
    Thread(#[source] std::io::Error),
    /// The build's thread ended without sending its result.
    #[error("the finalization ended without an answer")]
    NoAnswer,
}

impl JobError {
    /// The stable code of a failed job, when its failure has one (a build error about the
    /// vault, such as an invalid permalink): the job status's `errorCode`.
    pub(crate) fn code(&self) -> Option<vps_core::ErrorCode> {
        match self {
            JobError::Build(error) => error.code(),
            _ => None,
        }
    }
}

impl From<JobError> for ApiError {
    fn from(error: JobError) -> Self {
        match error {
            JobError::NotFound => ApiError::JobNotFound,
            JobError::InvalidToken => ApiError::InvalidToken,
            JobError::TokenExpired => ApiError::TokenExpired,
            JobError::Persist(error) => ApiError::Store(error),
            JobError::Encode(error) => ApiError::Internal(error.to_string()),
            JobError::Randomness => ApiError::Internal("no randomness for a token".into()),
            JobError::Session(error) => error.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_errors_answer_with_the_status_and_code_of_the_api() {
        let answer = |error: JobError| {
            let api = ApiError::from(error);
            (api.status().as_u16(), api.code().to_string(), api.to_string())
        };
        assert_eq!(
            answer(JobError::NotFound),
            (404, "job-not-found".into(), "no finalization job for this session".into())
        );
        assert_eq!(answer(JobError::InvalidToken).0, 403);
        assert_eq!(answer(JobError::TokenExpired).0, 410);
        let disk = StoreError::Io {
            op: "write",
            path: "sessions/x/job.json".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(answer(JobError::Persist(disk)), (500, "internal-error".into(), "internal error".into()));
    }

    #[test]
    fn a_job_fails_with_the_message_of_what_stopped_it() {
        let aborted = crate::finalize::ABORTED;
        assert_eq!(JobError::Stopped(aborted.to_owned()).to_string(), aborted);
        let stopped = BuildError::Stopped("over its time budget".into());
        assert_eq!(JobError::from(stopped).to_string(), "over its time budget");
        assert_eq!(
            JobError::Panicked("a bug".into()).to_string(),
            "the finalization failed on an internal error (a bug); the live site is unchanged"
        );
    }
}
