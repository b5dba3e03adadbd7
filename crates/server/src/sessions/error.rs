//! [`SessionError`]: why a session could not be read or changed. The HTTP answer it becomes is
//! decided in `crate::error`, not here.

use vps_core::SessionId;
use vps_store::StoreError;

use super::SessionState;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no session {0}")]
    NotFound(SessionId),
    #[error("session {id} is {}; it accepts no more uploads", state.as_str())]
    NotOpen { id: SessionId, state: SessionState },
    #[error("the session could not be stored")]
    Store(#[from] StoreError),
    /// A record that could not be encoded, or a blocking task that stopped.
    #[error("the session could not be stored: {0}")]
    Internal(String),
}
