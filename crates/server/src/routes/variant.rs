//! `GET /_img/{sha256}/{width}.webp`: a variant of a published image ([`crate::variants`]).
//!
//! Gated exactly as `/_blob/` is: the source must be an image asset of the live revision that
//! the reader may fetch (else 404 `blob-not-found`, as for a hash never stored), and the width
//! one its page offers (`variant_widths` of the image and `IMAGE_VARIANT_WIDTHS`). A variant
//! made is served as a blob ([`serve_blob`]: its hash as ETag, 304, immutable caching — private
//! when only protected pages show the image — nosniff). One not made yet, or refused, is a 307
//! to the original at `/_blob/<sha256>`, not cached: a page published before its variants exist
//! shows the original until they do.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use vps_core::ContentHash;
use vps_core::image::{VariantPath, variant_widths};

use super::blob::{Caching, Delivery, caching_headers, serve_blob};
use super::site::{blob_access, local_location};
use crate::ApiError;
use crate::site::Public;
use crate::state::AppState;
use crate::views::Allowed;

#[tracing::instrument(level = "debug", skip_all, fields(source = %raw, file = %file))]
pub(super) async fn get_variant(
    State(app): State<AppState>,
    Path((raw, file)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let source = ContentHash::parse(&raw)?;
    let not_found = || ApiError::BlobNotFound(source.to_hex());
    let live = app.site.live();
    if !matches!(live.public(&source), Some(Public::Asset { .. })) {
        return Err(not_found());
    }
    let meta = live.revision.images.get(&source).filter(|meta| meta.variants).ok_or_else(not_found)?;
    let path = VariantPath::parse(&format!("{source}/{file}")).ok_or_else(not_found)?;
    if !variant_widths(meta.width, &app.variants.widths()).contains(&path.width) {
        return Err(not_found());
    }
    let caching = match blob_access(&app, &live, &source, &request) {
        Allowed::Public => Caching::Immutable,
        Allowed::Private => Caching::Private,
        Allowed::Denied => return Err(not_found()),
    };
    let record = app.variants.record(&*app.store, &source).await?;
    match record.as_deref().and_then(|record| record.find(path.width, path.format)) {
        Some(variant) => {
            let delivery = Delivery::new(path.format.media_type(), caching).with_size(variant.size);
            serve_blob(&app, &live, &variant.sha256, &delivery, request.method(), request.headers()).await
        }
        None => {
            let location = local_location(app.site.address().base.prefix(), &format!("/_blob/{source}"));
            let mut response = StatusCode::TEMPORARY_REDIRECT.into_response();
            let headers = response.headers_mut();
            headers.insert(header::LOCATION, HeaderValue::from_str(&location).expect("encoded"));
            caching_headers(headers, Caching::Revalidate);
            Ok(response)
        }
    }
}
