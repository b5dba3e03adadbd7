use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// `axum::Json`, but a bad body is an [`ApiError`] with a JSON answer, not a plain-text one.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(match rejection {
                axum::extract::rejection::JsonRejection::MissingJsonContentType(_) => {
                    ApiError::UnsupportedContentType("expected application/json".into())
                }
                axum::extract::rejection::JsonRejection::BytesRejection(e)
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::RequestTooLarge { limit: super::JSON_BODY_LIMIT as u64 }
                }
                other => ApiError::InvalidJson(other.body_text()),
            }),
        }
    }
}
