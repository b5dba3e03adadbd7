//! A session's assets, with the changes made since they were last stored.
//!
//! An upload adds a record to a session that may already hold tens of thousands. Cloning the
//! map to edit a copy, then comparing both to find what to append, would make each upload cost
//! the size of the session (and a session quadratic in its assets). Instead every change made
//! through [`SessionAssets`] is noted as it is made: [`SessionAssets::take_changes`] hands them
//! to the journal, and [`SessionAssets::roll_back`] undoes them when the request fails.

use std::collections::BTreeMap;
use std::ops::Deref;

use serde::{Deserialize, Deserializer};
use vps_core::AssetPath;

use super::SessionAsset;

/// The assets of a session by vault path; reads go through `Deref` to the map.
#[derive(Debug, Clone, Default)]
pub struct SessionAssets {
    map: BTreeMap<AssetPath, SessionAsset>,
    changes: Vec<Change>,
}

/// One change not yet stored, with what it replaced (to undo it).
#[derive(Debug, Clone)]
pub enum Change {
    Put { path: AssetPath, asset: SessionAsset, previous: Option<SessionAsset> },
    Remove { path: AssetPath, previous: SessionAsset },
    Clear { previous: BTreeMap<AssetPath, SessionAsset> },
}

impl SessionAssets {
    /// Records `asset` under `path`, replacing what the path held.
    pub fn insert(&mut self, path: AssetPath, asset: SessionAsset) {
        let previous = self.map.insert(path.clone(), asset.clone());
        self.changes.push(Change::Put { path, asset, previous });
    }

    pub fn extend(&mut self, records: impl IntoIterator<Item = (AssetPath, SessionAsset)>) {
        for (path, asset) in records {
            self.insert(path, asset);
        }
    }

    pub fn remove(&mut self, path: &AssetPath) {
        if let Some(previous) = self.map.remove(path) {
            self.changes.push(Change::Remove { path: path.clone(), previous });
        }
    }

    pub fn clear(&mut self) {
        if !self.map.is_empty() {
            let previous = std::mem::take(&mut self.map);
            self.changes.push(Change::Clear { previous });
        }
    }

    /// The changes not yet stored, oldest first: what the journal appends.
    pub fn pending(&self) -> &[Change] {
        &self.changes
    }

    /// Undoes every change not yet taken, newest first.
    pub fn roll_back(&mut self) {
        while let Some(change) = self.changes.pop() {
            match change {
                Change::Put { path, previous: Some(previous), .. } | Change::Remove { path, previous } => {
                    self.map.insert(path, previous);
                }
                Change::Put { path, previous: None, .. } => {
                    self.map.remove(&path);
                }
                Change::Clear { previous } => self.map = previous,
            }
        }
    }

    /// Forgets pending changes without undoing them: they are stored (or were read back).
    pub fn settle(&mut self) {
        self.changes.clear();
    }
}

impl Deref for SessionAssets {
    type Target = BTreeMap<AssetPath, SessionAsset>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl<'a> IntoIterator for &'a SessionAssets {
    type Item = (&'a AssetPath, &'a SessionAsset);
    type IntoIter = std::collections::btree_map::Iter<'a, AssetPath, SessionAsset>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

/// Sessions written by an older server kept their assets in `session.json`.
impl<'de> Deserialize<'de> for SessionAssets {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::deserialize(deserializer)?;
        Ok(Self { map, changes: Vec::new() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vps_core::{ContentHash, MediaType};

    fn asset(seed: u8) -> SessionAsset {
        SessionAsset {
            sha256: ContentHash::from_digest([seed; 32]),
            size: seed as u64,
            media_type: MediaType::OCTET_STREAM,
        }
    }

    fn path(name: &str) -> AssetPath {
        AssetPath::parse(name).unwrap()
    }

    #[test]
    fn a_failed_edit_is_undone_whole_and_a_stored_one_is_forgotten() {
        let mut assets = SessionAssets::default();
        assets.insert(path("a.png"), asset(1));
        assets.insert(path("b.png"), asset(2));
        assert_eq!(assets.pending().len(), 2);
        assets.settle();
        let before: Vec<_> = assets.iter().map(|(p, a)| (p.clone(), a.clone())).collect();

        assets.insert(path("a.png"), asset(3));
        assets.insert(path("c.png"), asset(4));
        assets.remove(&path("b.png"));
        assets.clear();
        assets.insert(path("d.png"), asset(5));
        assets.roll_back();
        let after: Vec<_> = assets.iter().map(|(p, a)| (p.clone(), a.clone())).collect();
        assert_eq!(after, before);
        assert!(assets.pending().is_empty());
    }
}
