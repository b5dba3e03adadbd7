//! Why a build failed. The messages are what the publishing client reads as the job's error.

use vps_core::ErrorCode;
use vps_core::permalink::PermalinkError;
use vps_render::{CleanupError, LimitError};
use vps_store::StoreError;

/// Why a revision could not be built. Nothing of a failed build is live: the blobs it stored are
/// unreferenced until the next `gc`.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The blob sink failed (the store is unreachable, the disk is full…).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A page kept from the live revision has no readable source: `{vault path}`.
    #[error("the stored source of {0} is missing or unreadable")]
    Source(String),
    /// A cleanup rule does not compile or failed on a note.
    #[error("cleanup rule {0}")]
    Cleanup(#[source] CleanupError),
    /// A note went over one of the [`vps_render::PublishLimits`]:
    /// `note "<vault path>": … exceeds SETTING (n)`.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A note's frontmatter `access:` or `unlisted:` is invalid (a group no reader has, a wrong
    /// type): ``note `<vault path>`: …``. Nothing is published.
    #[error(transparent)]
    Access(#[from] vps_access::AccessError),
    /// A note's frontmatter `permalink:` is not a route it may have:
    /// ``note "<vault path>": permalink "<value>" is refused: <why>`` (the value cut to 200
    /// characters). Nothing is published.
    #[error("note \"{note}\": permalink {value:?} is refused: {reason}")]
    Permalink {
        /// The note's vault path.
        note: String,
        /// The permalink as written (cut to 200 characters).
        value: String,
        /// The rule it breaks.
        reason: PermalinkError,
    },
    /// A note's permalink is another note's permalink or route: both notes are named.
    /// Nothing is published.
    #[error("{}", permalink_taken(.permalink, .note, .other, *.other_has_permalink))]
    PermalinkTaken {
        /// The route both want.
        permalink: String,
        /// The note whose permalink it is.
        note: String,
        /// The other note.
        other: String,
        /// Whether it is the other note's permalink too (else its route).
        other_has_permalink: bool,
    },
    /// The published `site-options.json` is not a JSON object or is too large
    /// ([`vps_core::look::SiteLookError`]: `site-options-invalid`, `site-options-too-large`).
    /// Nothing is published: a site whose look was asked for is not published without it.
    #[error(transparent)]
    SiteOptions(#[from] vps_core::look::SiteLookError),
    /// A published `.canvas` file is not valid JSON Canvas (`invalid-canvas`) or is over a bound
    /// (`canvas-too-large`): `canvas "<vault path>" …`. Nothing is published.
    #[error("canvas \"{note}\" {error}")]
    Canvas {
        /// The canvas's vault path.
        note: String,
        /// What is wrong with it.
        #[source]
        error: vps_render::CanvasError,
    },
    /// The build was stopped from outside (the progress callback said so): aborted by the
    /// client, or over its time budget. The message says which.
    #[error("{0}")]
    Stopped(String),
}

fn permalink_taken(permalink: &str, note: &str, other: &str, other_has_permalink: bool) -> String {
    if other_has_permalink {
        format!("notes \"{note}\" and \"{other}\" have the same permalink {permalink:?}")
    } else {
        format!("note \"{note}\" has the permalink {permalink:?}, which is the route of note \"{other}\"")
    }
}

impl BuildError {
    /// The stable code of a build that fails on something the vault says (its job's
    /// `errorCode`), when it has one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            BuildError::Permalink { reason, .. } => Some(reason.code()),
            BuildError::PermalinkTaken { .. } => Some(ErrorCode::PermalinkCollision),
            BuildError::Canvas { error, .. } => Some(error.code()),
            _ => None,
        }
    }
}
