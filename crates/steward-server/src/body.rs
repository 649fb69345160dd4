//! `JsonBody<T>`: reads a (possibly gzip-compressed) body of at most 1 MiB and parses it,
//! with each failure mapped to a stable error code.

use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use steward_proto::ErrorCode;

use crate::error::ApiError;

/// Largest accepted request body, after decompression.
pub const MAX_BODY: usize = 1024 * 1024;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let gzip = req
            .headers()
            .get(header::CONTENT_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status().as_u16() == 413 {
                ApiError(ErrorCode::PayloadTooLarge)
            } else if gzip {
                ApiError(ErrorCode::BadCompression)
            } else {
                ApiError(ErrorCode::MalformedJson)
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Syntax errors (and non-UTF-8) are `malformed_json`; well-formed JSON of the wrong shape
/// (missing field, wrong type, unknown field) is `invalid_field`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError(ErrorCode::InvalidField),
            _ => ApiError(ErrorCode::MalformedJson),
        }
    })
}
