//! Integration tests: each starts the real application in-process on port 0 with its own temp
//! data directory, and talks to it over HTTP as a client would.

mod helpers;

mod bad_inputs;
mod blob;
mod caching;
mod check;
mod corpus;
mod jobs;
mod lifecycle;
mod limits;
mod plugin_bad_inputs;
mod prefix;
mod publish;
mod reader;
mod request_limits;
mod s3;
mod scan;
mod upload;
// issue 11 — blobs
mod integrity;
mod live_blobs;
mod redirects;
// issue 12 — tests
mod scripts;
mod stability;
mod upgrade;
// issue 14 — serving
mod encodings;
// issue 16 — permalinks and aliases
mod permalinks;
// issue 17 — image variants
mod variants;
