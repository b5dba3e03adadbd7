//! Integration tests of vps-client against the real server, spawned in-process with a fresh data
//! directory, and against tiny stub servers for the answers the real one never gives on demand
//! (a 429 once, a server without `/public-config`).

mod calls;
mod failures;
mod helpers;
mod publish;
mod uploads;
