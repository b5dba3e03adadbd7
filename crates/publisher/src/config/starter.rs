//! The commented `.vps-publish.toml` that `vps-publish init` writes.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{CONFIG_FILE_NAME, ConfigError};

/// A starter `.vps-publish.toml`: every key, documented. As written it publishes the whole vault
/// at `/`, which is also what happens with no file at all.
pub const STARTER_CONFIG: &str = r#"# vps-publish: what to publish from this vault, and where.
# The same settings as the Obsidian plugin "Publish to VPS", spelled in snake_case.
# Every key is optional. Paths are vault paths: relative to the vault root, with `/`.

# The server's address (a path prefix such as https://example.org/notes works too).
# server = "https://notes.example.org"

# The API key. Prefer the environment variable VPS_PUBLISH_API_KEY: this file lives in
# your vault, which may be synced or shared. Plain, or "enc:" + base64 as the plugin stores it.
# api_key = "..."

# Sent as folderConfig.vpsId with every note (the plugin sends its VPS id).
# vps_id = "vps-publish-cli"

# Attachments (images, audio, video, PDF) are looked for next to the note first, then in this
# folder, then, if assets_vault_fallback is true, anywhere in the vault.
# assets_folder = "assets"
# assets_vault_fallback = true

# Tags (without #) that the server removes from the rendered text. Notes carrying them are
# still published; use an ignore rule to leave notes out.
# ignored_tags = ["todo", "private"]

# A note shown as the site's home page (/).
# root_index_file = "Home.md"

# CSS snippets that define custom callouts (their colours and icons).
# callout_styles = [".obsidian/snippets/callouts.css"]

# The site's language, a tag such as en, fr, ja or pt-BR (`<html lang>`, the site's own words);
# the server's SITE_LANGUAGE wins over it. Sent as the plugin's `locale`; en when unset.
# locale = "ja"

# Notes are left out when a frontmatter property matches. Dotted names reach nested values.
# ignore_if: the property is this boolean. ignore_values: the property equals (or, for a
# list, contains) one of these; text is compared ignoring case and accents.
# [[ignore_rules]]
# property = "publish"
# ignore_if = false
#
# [[ignore_rules]]
# property = "status"
# ignore_values = ["draft", "private"]

# Regex replacements the server applies to every note (JavaScript syntax, flags "gm").
# A route can opt out of some with ignored_cleanup_rule_ids.
# [[cleanup_rules]]
# id = "remove-code-blocks"
# name = "Remove code blocks"
# regex = '```[\s\S]*?```|~~~[\s\S]*?~~~'
# replacement = ""
# enabled = true

# The route tree. Each [[routes]] is a URL segment (used as written, not slugified),
# optionally bound to a vault folder; [[routes.children]] nest below it. With no route,
# the whole vault is published at /.
# vault_folder = ""    : the whole vault; leave the key out for a route with no folder,
#                        which publishes only its custom_index_file and additional_files.
# [[routes]]
# segment = ""                                # the site root, /
# vault_folder = ""                           # the whole vault
# display_name = "Home"
#
# [[routes]]
# id = "blog"                                 # kept stable: the server keys notes by it
# segment = "blog"                            # /blog
# vault_folder = "Blog"
# display_name = "Blog"
# flatten_tree = false                        # true: no sub-folder segments in URLs
# custom_index_file = "Blog/_index.md"        # opens the /blog index page
# additional_files = ["Misc/About.md"]        # published at /blog/about
# ignored_cleanup_rule_ids = []
#
#   [[routes.children]]
#   segment = "drafts"                        # /blog/drafts
#   vault_folder = "Drafts"

# How the site looks: the keys of Obsidian Publish's site-options.json, in snake_case. A vault
# moved from Obsidian Publish has that file at its root: it is published as it is, and each
# key set here wins over it. The server's settings (SITE_LOGO, SHOW_SEARCH…) fill what neither
# sets. With neither file nor table, what was last published stays; an empty [site] table
# (and no file) publishes no choice, which clears it.
# [site]
# site_name = "My Notes"
# logo = "Attachments/logo.svg"               # an image in the vault, shown in the header
# index_file = "Home.md"                      # the home page
# default_theme = "system"                    # light, dark or system
# show_outline = true                         # each page's table of contents
# show_backlinks = true                       # "Linked from"
# show_search = true                          # the search box
# show_theme_toggle = true
# show_graph = true
# navigation_ordering = ["Guides", "Guides/Start.md", "About.md"]   # listed first, in order
"#;

/// Writes [`STARTER_CONFIG`] to `<vault>/.vps-publish.toml` and returns its path; refuses, and
/// leaves the file untouched, when one exists.
pub fn write_starter(vault: &Path) -> Result<PathBuf, ConfigError> {
    let path = vault.join(CONFIG_FILE_NAME);
    let io = |source| ConfigError::Io { path: path.clone(), source };
    // `create_new` makes the check and the creation one step: no window for a race.
    let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(ConfigError::AlreadyExists(path));
        }
        Err(err) => return Err(io(err)),
    };
    file.write_all(STARTER_CONFIG.as_bytes()).and_then(|()| file.sync_all()).map_err(io)?;
    Ok(path)
}
