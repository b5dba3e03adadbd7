//! The publishing side of vps-publish: what the command-line publisher sends, computed exactly as
//! the Obsidian plugin "Publish to VPS" would compute it, so that the server renders a vault
//! published either way alike.
//!
//! - [`Config`]: a vault's `.vps-publish.toml` ([`Config::load`]; the whole vault at `/` when there
//!   is none), or the plugin's saved settings ([`Config::from_plugin`]). It gives the API key
//!   ([`Config::api_key`], never printed) and the `start` body ([`Config::start_request`]).
//!   [`write_starter`] writes a commented [`STARTER_CONFIG`].
//! - [`scan`]: reads the vault the route tree selects into a [`Plan`]: the notes in the plugin's
//!   note shape (frontmatter cut and parsed as YAML, ignore rules applied, references to
//!   attachments found and resolved as Obsidian does) and each attachment once
//!   ([`PlannedAsset`]), with warnings for what is missing; and how the site looks
//!   ([`Plan::site_look`]: the vault's Obsidian Publish `site-options.json` with the `[site]`
//!   table over it, sent as the asset `site-options.json` with the logo it names).
//! - [`hash_files`]: SHA-256 of the attachments, streamed, on several threads.
//! - [`publish`]: the publish itself, as `vps-publish publish` runs it: a [`Publication`] (the
//!   plan, its `start` body and hashes) sent to a [`Server`] (a `vps_client::Client` and its
//!   protocol), reporting to a [`Progress`], into a [`Summary`].
//!
//! ```no_run
//! use std::path::Path;
//!
//! let vault = Path::new("my-vault");
//! let config = vps_publisher::Config::load(vault, None).unwrap();
//! let plan = vps_publisher::scan(vault, &config).unwrap();
//! for warning in &plan.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! let files: Vec<_> = plan.assets.iter().map(|asset| asset.file.clone()).collect();
//! let hashes = vps_publisher::hash_files(&files, 2, &|_bytes| {}).unwrap();
//! let start = config.start_request_with(plan.callout_styles.clone());
//! # let _ = (hashes, start);
//! ```

#![warn(missing_docs)]

mod config;
mod frontmatter;
mod hash;
mod ignore;
mod look;
mod publish;
mod refs;
mod scan;
mod time;
mod vault;

pub use config::{
    API_KEY_ENV, ApiKey, CONFIG_FILE_NAME, Config, ConfigError, DEFAULT_VPS_ID, IgnoreRule, MAX_BYTES_PER_REQUEST,
    RouteNode, STARTER_CONFIG, write_starter,
};
pub use hash::hash_files;
pub use look::GeneratedFile;
pub use publish::{Milestone, Progress, Publication, PublishError, Server, Step, Summary, publish, publish_until};
pub use scan::{Plan, PlannedAsset, ScanError, scan};
