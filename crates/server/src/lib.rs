//! The vps-publish HTTP server as a library.
//!
//! - [`Settings`]: layered configuration (defaults, TOML file, environment, flags).
//! - [`Application`]: builds everything from settings, binds, and serves until stopped.
//! - [`ApiError`]: every failure of a request, with its status and stable `code`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use vps_server::{Application, Settings};
//!
//! let settings = Settings { port: 0, data_dir: "/tmp/vps-data".into(), ..Settings::default() };
//! let app = Application::build(settings).await?;
//! println!("listening on {}", app.local_addr());
//! app.run_until_stopped().await;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod access;
pub mod admin;
mod api_key;
mod background;
mod body;
mod cache;
mod encoding;
mod error;
mod finalize;
mod login_page;
mod metrics;
mod routes;
mod serve;
mod sessions;
pub mod settings;
mod site;
mod startup;
mod state;
#[cfg(feature = "test-util")]
pub mod test_util;
mod variants;
mod views;

pub use api_key::{ApiKey, ApiKeyError, KEY_FILE};
pub use error::ApiError;
pub use settings::{Overrides, Secret, Settings, SettingsError, Storage};
pub use startup::{Application, StartupError};
