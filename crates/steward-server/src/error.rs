//! API errors: one type, mapped to `{"error": {"code", "message"}}` in one place. The message
//! is translated to the caller's language by the `localize_errors` middleware.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use steward_core::i18n::error_message;
use steward_core::Lang;
use steward_proto::{ErrorBody, ErrorCode, ErrorDetail};
use steward_store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiError(pub ErrorCode);

impl From<ErrorCode> for ApiError {
    fn from(c: ErrorCode) -> Self {
        ApiError(c)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound => ApiError(ErrorCode::NotFound),
            StoreError::Invalid(what) if what.as_str() == "cursor" => {
                ApiError(ErrorCode::InvalidCursor)
            }
            StoreError::Invalid(_) | StoreError::Conflict(_) => ApiError(ErrorCode::InvalidField),
            StoreError::Closed => ApiError(ErrorCode::Overloaded),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError(ErrorCode::Unavailable)
            }
            other => {
                tracing::error!(error = %other, "storage error");
                ApiError(ErrorCode::Internal)
            }
        }
    }
}

/// A refusal that names the field it is about (check-in limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub code: ErrorCode,
    pub field: Option<String>,
}

impl From<ApiError> for FieldError {
    fn from(e: ApiError) -> Self {
        FieldError {
            code: e.0,
            field: None,
        }
    }
}

impl From<ErrorCode> for FieldError {
    fn from(code: ErrorCode) -> Self {
        FieldError { code, field: None }
    }
}

impl From<StoreError> for FieldError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<steward_core::limits::Invalid> for FieldError {
    fn from(e: steward_core::limits::Invalid) -> Self {
        FieldError {
            code: e.code,
            field: Some(e.field),
        }
    }
}

impl IntoResponse for FieldError {
    fn into_response(self) -> Response {
        render(self.code, Lang::En, self.field)
    }
}

/// Marks a response as an API error so the middleware can translate it.
#[derive(Debug, Clone)]
struct ErrorMarker(ErrorCode, Option<String>);

fn render(code: ErrorCode, lang: Lang, field: Option<String>) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code,
            message: error_message(lang, code),
            field: field.clone(),
        },
    };
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = (status, axum::Json(body)).into_response();
    if code == ErrorCode::Overloaded {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    if code == ErrorCode::TooManyAttempts {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    if code == ErrorCode::Unavailable {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
    }
    resp.extensions_mut().insert(ErrorMarker(code, field));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        render(self.0, Lang::En, None)
    }
}

impl From<ApiError> for Response {
    fn from(e: ApiError) -> Response {
        e.into_response()
    }
}

/// The caller's language from `Accept-Language`, English otherwise.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

fn code_for_status(status: StatusCode) -> ErrorCode {
    match status.as_u16() {
        401 => ErrorCode::Unauthorized,
        429 => ErrorCode::TooManyAttempts,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        503 => ErrorCode::Overloaded,
        s if s >= 500 => ErrorCode::Internal,
        _ => ErrorCode::InvalidQuery,
    }
}

/// Gives every error response the JSON error shape in the caller's language, including the
/// ones produced outside the handlers (unknown path, wrong method, layers).
/// Marks a console page: the error layer leaves its status and HTML alone.
#[derive(Clone, Copy, Debug)]
pub struct HtmlPage;

pub async fn localize_errors(req: Request, next: Next) -> Response {
    let lang = request_lang(req.headers());
    localize(next.run(req).await, lang)
}

/// [`localize_errors`] of an answer to a request in `lang`.
pub fn localize(resp: Response, lang: Lang) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error())
        || resp.extensions().get::<HtmlPage>().is_some()
    {
        return resp;
    }
    let (code, field) = match resp.extensions().get::<ErrorMarker>() {
        Some(_) if lang == Lang::En => return resp,
        Some(ErrorMarker(code, field)) => (*code, field.clone()),
        None => (code_for_status(status), None),
    };
    let mut out = render(code, lang, field);
    *out.status_mut() = status;
    // Keep headers such as Allow or Retry-After from the original response.
    for (k, v) in resp.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// A handler panicked: the request is answered 500 in the usual error shape (the connection
/// stays), and the panic is logged with its message.
pub fn on_panic(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = %message, "a request handler panicked");
    ApiError(ErrorCode::Internal).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;

    /// A handler that panics answers 500 in the usual error shape, translated like any error.
    #[tokio::test]
    async fn a_panic_is_answered_500_in_the_error_shape() {
        let app = axum::Router::new()
            .route(
                "/boom",
                get(|| async {
                    let s = "a€";
                    // Deliberately the bug this layer catches: a byte index inside a character.
                    #[allow(clippy::string_slice)]
                    let cut = &s[..2];
                    cut.to_string()
                }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
            .layer(axum::middleware::from_fn(localize_errors));
        let req = axum::http::Request::builder()
            .uri("/boom")
            .header(header::ACCEPT_LANGUAGE, "fr")
            .body(Body::empty())
            .expect("request");
        let resp = tower::ServiceExt::oneshot(app, req).await.expect("answer");
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["error"]["code"], "internal");
        assert_eq!(
            v["error"]["message"],
            error_message(Lang::Fr, ErrorCode::Internal)
        );
    }
}
