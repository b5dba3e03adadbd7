//! Integration tests: each starts the real application in-process on port 0 with its own temp
//! data directory, and talks to it over HTTP as a client would.

mod helpers;

mod bad_inputs;
mod blob;
mod caching;
mod check;
mod corpus;
mod lifecycle;
mod plugin_bad_inputs;
mod publish;
mod reader;
mod s3;
mod scan;
mod upload;
