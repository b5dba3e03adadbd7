//! The published site as readers get it: the Obsidian help vault published through the plugin's
//! protocol to the real application (in-process, port 0, fresh data directory), then read back
//! over HTTP (`help_vault`) and in headless Chromium over WebDriver (`browser`); the site under
//! a path prefix behind a real nginx (`prefix`); the pages of a generated 5,000-note vault
//! (`scale`); the help vault published with the CLI keeps its Obsidian Publish look (`site_options`).

mod helpers;

mod access;
mod browser;
mod canvas;
mod content;
mod graph;
mod help_vault;
mod images;
mod prefix;
mod scale;
mod site_options;
