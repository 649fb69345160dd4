//! Security headers on every answer (console pages, API, assets, errors): a content security
//! policy that the console's own scripts and styles satisfy (no inline script, no eval, no
//! inline style), no framing, no MIME sniffing, no referrer to other sites, and no caching of
//! anything but the static assets (pages embed the session's CSRF token).

use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::AppState;

/// The console loads its script and stylesheet from `/assets/`, charts are inline SVG
/// (presentation attributes, no `style`), and htmx runs with `allowEval` off.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

pub fn secure(state: &AppState, mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in fixed {
        // A handler that chose its own (assets are cacheable) keeps it.
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if state.config.tls.enabled() {
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000"));
    }
    resp
}
