//! What a revision knows of its raster images ([`Revision::images`]): each image's displayed size
//! and whether variants are made of it, read from the first bytes of its blob
//! ([`vps_media::probe`]) the first time it is published, then carried from revision to revision.
//! A publish reads the heads of its new images only: O(new images), at most
//! [`vps_media::PROBE_BYTES`] each, [`HEADS_AT_ONCE`] at a time.

use std::collections::BTreeMap;

use vps_core::AssetPath;
use vps_core::ContentHash;
use vps_core::image::ImageMeta;
use vps_core::revision::{Asset, Revision};

use crate::error::BuildError;
use crate::input::ImageOptions;
use crate::sink::BlobSink;

/// Image heads read from the store at once (at most 16 MiB).
pub(crate) const HEADS_AT_ONCE: usize = 64;

/// The media types variants can be made from; other images (SVG, ICO…) are shown as they are.
pub(crate) fn is_raster(asset: &Asset) -> bool {
    matches!(asset.media_type.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// What is known of each raster image among `assets`: the base revision's knowledge when it has
/// some (and `fresh` is false), else the image's head, read from `sink` now. `fresh` (the
/// decoding limits changed since the base was built) reads every head again.
pub(crate) fn image_metas(
    sink: &dyn BlobSink,
    base: &Revision,
    assets: &BTreeMap<AssetPath, Asset>,
    options: &ImageOptions,
    fresh: bool,
) -> Result<BTreeMap<ContentHash, ImageMeta>, BuildError> {
    let mut metas = BTreeMap::new();
    let mut unknown: Vec<ContentHash> = Vec::new();
    for asset in assets.values().filter(|asset| is_raster(asset)) {
        if metas.contains_key(&asset.sha256) || unknown.contains(&asset.sha256) {
            continue;
        }
        match base.images.get(&asset.sha256) {
            Some(meta) if !fresh => {
                metas.insert(asset.sha256, *meta);
            }
            _ => unknown.push(asset.sha256),
        }
    }
    for batch in unknown.chunks(HEADS_AT_ONCE) {
        let heads = sink.read_heads(batch.to_vec(), vps_media::PROBE_BYTES)?;
        for (hash, head) in batch.iter().zip(heads) {
            // A blob the store lost is the store's problem, found elsewhere; it is no image here.
            let meta = head.map_or(ImageMeta::UNREADABLE, |head| vps_media::probe(&head, &options.limits));
            metas.insert(*hash, meta);
        }
    }
    Ok(metas)
}
