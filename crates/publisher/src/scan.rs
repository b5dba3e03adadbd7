//! A vault read as the plugin reads it, into a [`Plan`]: the notes to send, in the plugin's note
//! shape, and each attachment they reference, once.
//!
//! Collection follows the route tree (protocol §7.1): the root index file first; then, node by
//! node in tree order, every note below the node's vault folder (`relativePath` relative to it),
//! the node's index file unless already collected, and its additional files
//! (`__additional__/<basename>`, skipped when already collected); a pure route (no vault folder)
//! sends its index file under its full vault path and its additional files. A note below two
//! nodes' folders is sent twice, once per node, as the plugin does.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use vps_core::AssetPath;
use vps_core::api::CalloutStyle;
use vps_core::look::{SiteLook, SiteLookError};
use vps_core::note::{AssetRef, CleanupRule, FolderConfig, Frontmatter, Note};

use crate::config::{Config, RouteNode};
use crate::look::GeneratedFile;
use crate::refs::{self, Reference};
use crate::vault::{self, VaultIndex, file_name};
use crate::{frontmatter, ignore};

/// What to publish: the result of [`scan`].
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The notes, in the plugin's shape and order.
    pub notes: Vec<Note>,
    /// Each attachment the notes reference, once, in the order of first reference.
    pub assets: Vec<PlannedAsset>,
    /// The cleanup rules to send with the first notes batch (enabled, non-empty regex).
    pub cleanup_rules: Vec<CleanupRule>,
    /// The vault path of every note published, sorted, each once: the inventory that lets the
    /// server delete exactly the pages whose notes are gone.
    pub inventory: Vec<String>,
    /// What the user should know: missing attachments (one line per target), frontmatter that
    /// did not parse, folders and index files not found, how many notes were left out.
    pub warnings: Vec<String>,
    /// Notes left out by an ignore rule: (vault path, which rule).
    pub ignored: Vec<(String, String)>,
    /// The configured callout CSS snippets, read (for [`Config::start_request_with`]).
    pub callout_styles: Vec<CalloutStyle>,
    /// How the site looks, as published: the vault's `site-options.json` with the `[site]` table
    /// over it; `None` when there is neither (the live site keeps its last choices). It is among
    /// [`Plan::assets`] as `site-options.json` (a file written for the publish,
    /// [`Plan::generated`]), with the logo it names.
    pub site_look: Option<SiteLook>,
    /// Files written for the publish, outside the vault; removed when the plan is dropped.
    pub generated: Vec<GeneratedFile>,
}

/// An attachment to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAsset {
    /// Its path in the vault: the multipart file name.
    pub vault_path: AssetPath,
    /// Where it is on disk.
    pub file: PathBuf,
    /// Its size in bytes when the vault was scanned.
    pub size: u64,
    /// The distinct `target`s of the references that found it (the plugin's `relativePath`s).
    pub targets: Vec<String>,
}

/// Why a vault could not be scanned. A bad note (frontmatter that does not parse, a missing
/// attachment) is a warning in the plan, never an error.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The vault (or a folder in it) could not be listed.
    #[error("cannot list the vault {path}: {source}")]
    Vault {
        /// The vault's root directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The vault's `site-options.json` is not a JSON object or is too large
    /// (`site-options-invalid`, `site-options-too-large`: [`SiteLookError::code`]); nothing is
    /// sent, so the site is not published without the look it asks for.
    #[error("{}: {source} ({})", path.display(), source.code())]
    SiteOptions {
        /// The file on disk.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: SiteLookError,
    },
    /// A listed note could not be read. Publishing without it would delete its page, so the
    /// scan stops instead.
    #[error("cannot read the note {path}: {source}")]
    Read {
        /// The note's file on disk.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// One note to send under one route node.
struct Collected {
    vault_path: String,
    relative_path: String,
    folder: usize,
}

/// A note's file, read and parsed once however many nodes send it.
struct Parsed {
    content: String,
    frontmatter: Frontmatter,
    references: Vec<Reference>,
    ignored: Option<String>,
}

/// Reads the vault as `config` selects it and plans the publication. Only reads.
pub fn scan(vault: &Path, config: &Config) -> Result<Plan, ScanError> {
    let mut warnings = Vec::new();
    let index = VaultIndex::read(vault, &mut warnings)
        .map_err(|source| ScanError::Vault { path: vault.to_owned(), source })?
        .with_assets_folder(config.assets_folder.as_deref(), config.assets_vault_fallback);
    let (folders, collected) = collect(config, &index, &mut warnings);
    let published_at = serde_json::Value::String(crate::time::now_iso8601());

    let mut parsed: HashMap<String, Parsed> = HashMap::new();
    let mut plan = Plan {
        notes: Vec::new(),
        assets: Vec::new(),
        cleanup_rules: config.active_cleanup_rules(),
        inventory: Vec::new(),
        warnings: Vec::new(),
        ignored: Vec::new(),
        callout_styles: Vec::new(),
        site_look: None,
        generated: Vec::new(),
    };
    let mut asset_slots: HashMap<String, usize> = HashMap::new();
    // target → (first note, how many notes), in first-seen order.
    let mut missing: Vec<(String, String, usize)> = Vec::new();
    let mut missing_slots: HashMap<String, usize> = HashMap::new();
    let mut inventory = HashSet::new();
    // Drawings with no exported image: (target, its SVG export, first note), each drawing once.
    let mut unexported: Vec<(String, String, String)> = Vec::new();
    let mut drawings_seen: HashSet<String> = HashSet::new();

    for entry in collected {
        if !parsed.contains_key(&entry.vault_path) {
            let note = parse_note(vault, &entry.vault_path, config, &mut warnings)?;
            if let Some(why) = &note.ignored {
                plan.ignored.push((entry.vault_path.clone(), why.clone()));
            }
            parsed.insert(entry.vault_path.clone(), note);
        }
        let note = &parsed[&entry.vault_path];
        if note.ignored.is_some() {
            continue;
        }
        let mut assets = Vec::new();
        let mut counted_missing = HashSet::new();
        for reference in &note.references {
            let (found, target) = resolve(&index, &entry.vault_path, reference);
            match found {
                Some(file) if vault::is_page(&file.path) => continue,
                Some(file) => {
                    let slot = match asset_slots.get(&file.path) {
                        Some(&slot) => Some(slot),
                        None => match AssetPath::parse(&file.path) {
                            Ok(vault_path) => {
                                asset_slots.insert(file.path.clone(), plan.assets.len());
                                plan.assets.push(PlannedAsset {
                                    vault_path,
                                    file: vault.join(&file.path),
                                    size: file.size,
                                    targets: Vec::new(),
                                });
                                Some(plan.assets.len() - 1)
                            }
                            Err(err) => {
                                warnings.push(format!("attachment {} is not published: {err}", file.path));
                                None
                            }
                        },
                    };
                    if let Some(asset) = slot.map(|slot| &mut plan.assets[slot])
                        && !asset.targets.contains(&target)
                    {
                        asset.targets.push(target.clone());
                    }
                }
                None if vps_render::is_drawing(&reference.lookup) => {
                    // `Plan.excalidraw` and `Plan.excalidraw.md` are one drawing: one warning.
                    let export = vps_render::drawing_exports(&reference.lookup).into_iter().next().unwrap_or_default();
                    if drawings_seen.insert(export.clone()) {
                        unexported.push((reference.target.clone(), export, entry.vault_path.clone()));
                    }
                    continue;
                }
                None if reference.attachment => {
                    if counted_missing.insert(reference.target.clone()) {
                        match missing_slots.get(&reference.target) {
                            Some(&slot) => missing[slot].2 += 1,
                            None => {
                                missing_slots.insert(reference.target.clone(), missing.len());
                                missing.push((reference.target.clone(), entry.vault_path.clone(), 1));
                            }
                        }
                    }
                }
                // An embed of something that is not an attachment type and not in the vault:
                // a note whose name has a dot (`![[Release 1.5]]`), not an asset.
                None => continue,
            }
            assets.push(AssetRef {
                raw: reference.raw.clone(),
                target,
                kind: reference.kind.to_owned(),
                display: reference.display.to_json(),
            });
        }
        inventory.insert(entry.vault_path.clone());
        plan.notes.push(Note {
            note_id: uuid::Uuid::new_v4().to_string(),
            title: title(&entry.vault_path),
            vault_path: entry.vault_path,
            relative_path: entry.relative_path,
            content: note.content.clone(),
            frontmatter: note.frontmatter.clone(),
            folder_config: folders[entry.folder].clone(),
            published_at: published_at.clone(),
            assets,
            leaflet_blocks: None,
        });
    }

    for (target, note, count) in missing {
        let others = match count {
            1 => String::new(),
            2 => " and 1 other note".to_owned(),
            n => format!(" and {} other notes", n - 1),
        };
        warnings.push(format!("attachment `{target}` not found in the vault (referenced in {note}{others})"));
    }
    for (target, export, note) in unexported {
        warnings.push(format!(
            "drawing `{target}` (referenced in {note}) has no exported image in the vault (such as `{export}`): it \
             shows as a note saying so; turn on Auto-export SVG in Obsidian (Settings → Excalidraw → Embedding \
             Excalidraw into your Notes and Exporting → Export settings) and save the drawing"
        ));
    }
    if !plan.ignored.is_empty() {
        warnings.push(format!("{} note(s) left out by ignore rules", plan.ignored.len()));
    }
    for path in &config.callout_styles {
        match std::fs::read_to_string(vault.join(path)) {
            Ok(css) => plan.callout_styles.push(CalloutStyle { path: path.clone(), css }),
            Err(err) => warnings.push(format!("callout style {path} not read: {err}")),
        }
    }
    if let Some(planned) = crate::look::plan_look(vault, config, &index, &mut warnings)? {
        let logo = planned.logo.filter(|logo| !asset_slots.contains_key(logo.vault_path.as_str()));
        plan.assets.extend(logo);
        plan.assets.push(planned.options);
        plan.site_look = Some(planned.look);
        plan.generated.push(planned.generated);
    }
    let mut inventory: Vec<String> = inventory.into_iter().collect();
    inventory.sort();
    plan.inventory = inventory;
    plan.warnings = warnings;
    Ok(plan)
}

/// The file a reference means and the target it is sent under. A drawing
/// (`![[Plan.excalidraw]]`) means the first of its exports found
/// ([`vps_render::drawing_exports`]), resolved from the note as any attachment (the server
/// shows it by the same rule); the drawing itself is never uploaded.
fn resolve<'a>(
    index: &'a VaultIndex,
    note_path: &str,
    reference: &Reference,
) -> (Option<&'a vault::VaultFile>, String) {
    if !vps_render::is_drawing(&reference.lookup) {
        return (index.resolve(note_path, &reference.lookup), reference.target.clone());
    }
    for export in vps_render::drawing_exports(&reference.lookup) {
        if let Some(file) = index.resolve(note_path, &export).filter(|file| !vault::is_note(&file.path)) {
            let target = export.strip_prefix("assets/").unwrap_or(&export).to_owned();
            return (Some(file), target);
        }
    }
    (None, reference.target.clone())
}

fn parse_note(
    vault: &Path,
    vault_path: &str,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Result<Parsed, ScanError> {
    let path = vault.join(vault_path);
    let bytes = std::fs::read(&path).map_err(|source| ScanError::Read { path: path.clone(), source })?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if vps_render::is_canvas(vault_path) {
        return Ok(parse_canvas(vault_path, text, warnings));
    }
    let (yaml, content) = frontmatter::split(text);
    // A drawing's note is its compressed scene: its page shows its export instead (the server
    // applies the same rule to notes the plugin sends), so that is what is sent and searched for
    // attachments.
    let drawing_page = vps_render::is_drawing_note(vault_path).then(|| vps_render::drawing_page_markdown(vault_path));
    let content = drawing_page.as_deref().unwrap_or(content);
    let frontmatter = match yaml.map(frontmatter::parse) {
        None => Frontmatter::default(),
        Some(Ok(frontmatter)) => frontmatter,
        Some(Err(err)) => {
            warnings.push(format!("{vault_path}: frontmatter not read, published without it ({err})"));
            Frontmatter::default()
        }
    };
    let ignored = ignore::ignored_by(&config.ignore_rules, &frontmatter.nested);
    let references = match ignored {
        Some(_) => Vec::new(),
        None => refs::find(content, &frontmatter.nested).unwrap_or_else(|exceeded| {
            // The server refuses the same note: its page cannot be built, so no file is sent for it.
            warnings.push(format!("{}; its attachments are not published", exceeded.in_note(vault_path)));
            Vec::new()
        }),
    };
    Ok(Parsed { content: content.to_owned(), frontmatter, references, ignored })
}

/// A canvas (`.canvas`): sent as it is, as a note without frontmatter (no ignore rule applies;
/// the `[access]` folder rules do, on the server), its attachments found in the Markdown its
/// cards make ([`vps_render::Canvas::markdown`]: text cards, and file cards as embeds or links).
/// A canvas that does not parse is still sent (the server refuses it, naming it and why), with
/// a warning and no attachments.
fn parse_canvas(vault_path: &str, text: &str, warnings: &mut Vec<String>) -> Parsed {
    let references = match vps_render::Canvas::parse(text) {
        Ok(canvas) => refs::find(&canvas.markdown(usize::MAX), &serde_json::Map::new()).unwrap_or_else(|exceeded| {
            warnings.push(format!("{}; its attachments are not published", exceeded.in_note(vault_path)));
            Vec::new()
        }),
        Err(error) => {
            warnings.push(format!("canvas {vault_path} {error} ({}): the server will refuse it", error.code()));
            Vec::new()
        }
    };
    Parsed { content: text.to_owned(), frontmatter: Frontmatter::default(), references, ignored: None }
}

/// The file name without its last extension, as Obsidian's `basename`.
fn title(vault_path: &str) -> String {
    let name = file_name(vault_path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem).to_owned()
}

/// The notes the route tree selects, in the plugin's order, and the folder configs they use.
fn collect(config: &Config, index: &VaultIndex, warnings: &mut Vec<String>) -> (Vec<FolderConfig>, Vec<Collected>) {
    let mut state =
        Collection { index, vps_id: &config.vps_id, folders: Vec::new(), notes: Vec::new(), seen: HashSet::new() };
    if let Some(file) = &config.root_index_file {
        let folder = state.folder(FolderConfig {
            id: "root-index".to_owned(),
            vps_id: config.vps_id.clone(),
            vault_folder: String::new(),
            route_base: "/".to_owned(),
            ..FolderConfig::default()
        });
        if index.get(file).is_some() {
            state.push(file, file.clone(), folder);
        } else {
            warnings.push(format!("root index file {file} not found"));
        }
    }
    for node in &config.routes {
        state.node(node, "", warnings);
    }
    (state.folders, state.notes)
}

struct Collection<'a> {
    index: &'a VaultIndex,
    vps_id: &'a str,
    folders: Vec<FolderConfig>,
    notes: Vec<Collected>,
    seen: HashSet<String>,
}

impl Collection<'_> {
    fn folder(&mut self, config: FolderConfig) -> usize {
        self.folders.push(config);
        self.folders.len() - 1
    }

    fn push(&mut self, vault_path: &str, relative_path: String, folder: usize) {
        self.seen.insert(vault_path.to_owned());
        self.notes.push(Collected { vault_path: vault_path.to_owned(), relative_path, folder });
    }

    fn node(&mut self, node: &RouteNode, parent_route: &str, warnings: &mut Vec<String>) {
        // Verbatim, as the plugin: a child of an empty top-level segment gets `//child`.
        let route = if parent_route.is_empty() {
            format!("/{}", node.segment)
        } else {
            format!("{parent_route}/{}", node.segment)
        };
        let folder = self.folder(FolderConfig {
            id: node.id.clone(),
            vps_id: self.vps_id.to_owned(),
            vault_folder: node.vault_folder.clone().unwrap_or_default(),
            route_base: route.clone(),
            ignored_cleanup_rule_ids: node.ignored_cleanup_rule_ids.clone(),
            display_name: node.display_name.clone(),
            custom_index_file: node.custom_index_file.clone(),
            additional_files: (!node.additional_files.is_empty()).then(|| node.additional_files.clone()),
            flatten_tree: node.flatten_tree.then_some(true),
        });
        let index = self.index;
        match &node.vault_folder {
            Some(vault_folder) => {
                if !index.has_folder(vault_folder) {
                    warnings.push(format!("route {route}: vault folder {vault_folder} not found"));
                }
                for file in index.notes_under(vault_folder) {
                    self.push(&file.path, relative_to(&file.path, vault_folder), folder);
                }
                if let Some(file) = &node.custom_index_file
                    && !self.seen.contains(file)
                {
                    match index.get(file) {
                        Some(_) => self.push(file, relative_to(file, vault_folder), folder),
                        None => warnings.push(format!("route {route}: index file {file} not found")),
                    }
                }
                self.additional_files(node, &route, folder, true, warnings);
            }
            None => {
                if let Some(file) = &node.custom_index_file {
                    match index.get(file) {
                        Some(_) => self.push(file, file.clone(), folder),
                        None => warnings.push(format!("route {route}: index file {file} not found")),
                    }
                }
                self.additional_files(node, &route, folder, false, warnings);
            }
        }
        for child in &node.children {
            self.node(child, &route, warnings);
        }
    }

    fn additional_files(
        &mut self,
        node: &RouteNode,
        route: &str,
        folder: usize,
        skip_collected: bool,
        warnings: &mut Vec<String>,
    ) {
        for file in &node.additional_files {
            if skip_collected && self.seen.contains(file) {
                continue;
            }
            match self.index.get(file) {
                Some(_) => self.push(file, format!("__additional__/{}", title(file)), folder),
                None => warnings.push(format!("route {route}: additional file {file} not found")),
            }
        }
    }
}

/// The path relative to `folder`, or the whole path when it is not inside (or `folder` is the
/// vault root).
fn relative_to(path: &str, folder: &str) -> String {
    match path.strip_prefix(folder).and_then(|rest| rest.strip_prefix('/')) {
        Some(rest) if !folder.is_empty() => rest.to_owned(),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests;
