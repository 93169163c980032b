//! How every page and asset is sent, by the node's dashboard and by the
//! explorer alike: one place for the headers that make the pages safe.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::layout::{CONTENT_SECURITY_POLICY as POLICY, REFRESH_SCRIPT, STYLE};

pub const HTML: &str = "text/html; charset=utf-8";
pub const TEXT: &str = "text/plain; charset=utf-8";

/// `body` as `content_type`, never cached (a page is a live view), never
/// sniffed into another type, and under the pages' content security
/// policy.
pub fn respond(content_type: &'static str, body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    response
}

/// A page.
pub fn html(body: String) -> Response {
    respond(HTML, body)
}

/// A plain-text answer with `status`.
pub fn plain(status: StatusCode, body: String) -> Response {
    let mut response = respond(TEXT, body);
    *response.status_mut() = status;
    response
}

/// The stylesheet and the script every page links, served by the process
/// that serves the page (no CDN, no other origin).
pub fn assets<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/assets/pages.css",
            get(|| async { respond("text/css; charset=utf-8", STYLE.into()) }),
        )
        .route(
            "/assets/refresh.js",
            get(|| async { respond("text/javascript; charset=utf-8", REFRESH_SCRIPT.into()) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn assert_safe_headers(response: &Response) {
        let headers = response.headers();
        assert_eq!(headers[CACHE_CONTROL], "no-store");
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[CONTENT_SECURITY_POLICY], POLICY);
    }

    #[test]
    fn every_answer_carries_the_safety_headers() {
        let page = html("<p>hi</p>".into());
        assert_eq!(page.headers()[CONTENT_TYPE], HTML);
        assert_safe_headers(&page);
        let missing = plain(StatusCode::NOT_FOUND, "no such task".into());
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.headers()[CONTENT_TYPE], TEXT);
        assert_safe_headers(&missing);
    }

    #[tokio::test]
    async fn the_assets_a_page_links_are_served() {
        let page = crate::layout::page("t", "s", Some(3), crate::html::Html::new());
        for (path, content_type) in [
            ("/assets/pages.css", "text/css; charset=utf-8"),
            ("/assets/refresh.js", "text/javascript; charset=utf-8"),
        ] {
            assert!(page.contains(&format!("\"{path}\"")), "{path} not linked");
            let response = assets::<()>()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[CONTENT_TYPE], content_type);
            assert_safe_headers(&response);
        }
    }
}
