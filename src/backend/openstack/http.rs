//! The HTTP session: one `reqwest::Client`, the token (renewed before expiry, re-requested once
//! on a 401), service errors in the service's own words, and pagination to the end.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Mutex;

use super::auth::{self, Token};
use super::clouds::CloudConfig;
use super::secret::Secret;
use crate::backend::BackendError;

/// Renew the token when less than this is left.
const RENEW_MARGIN_SECS: i64 = 300;
/// Guard against a server that keeps sending `next` links.
const MAX_PAGES: usize = 10_000;

#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Longest `Retry-After` honoured on a 503 (one retry).
    pub retry_after_cap: Duration,
    /// Token cache directory; `None` = no cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(5),
            cache_dir: None,
        }
    }
}

/// A response read to the end.
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self, what: &str) -> Result<Value, BackendError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            if e.is_eof() {
                BackendError::Api(format!(
                    "{what}: truncated reply ({} bytes): {e}",
                    self.body.len()
                ))
            } else {
                BackendError::Api(format!("{what}: malformed JSON reply: {e}"))
            }
        })
    }
}

pub struct Session {
    http: reqwest::Client,
    pub config: CloudConfig,
    opts: HttpOptions,
    token: Mutex<Option<Arc<Token>>>,
    /// Project the token is re-scoped to (runtime switch), if any.
    project_override: std::sync::Mutex<Option<String>>,
    insecure: bool,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Session {
    pub fn new(config: CloudConfig, opts: HttpOptions) -> Result<Self, BackendError> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.request_timeout)
            .user_agent(concat!("yun/", env!("CARGO_PKG_VERSION")))
            .use_rustls_tls();
        if let Some(path) = &config.cacert {
            let pem = std::fs::read(path)
                .map_err(|e| BackendError::Invalid(format!("cacert {}: {e}", path.display())))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| BackendError::Invalid(format!("cacert {}: {e}", path.display())))?;
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        let insecure = !config.verify;
        if insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let http = b
            .build()
            .map_err(|e| BackendError::Connection(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            config,
            opts,
            token: Mutex::new(None),
            project_override: std::sync::Mutex::new(None),
            insecure,
        })
    }

    /// Certificates are not verified (the header warns).
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    fn tokens_url(&self) -> String {
        let base = self.config.auth_url.trim_end_matches('/');
        if base.ends_with("/v3") {
            format!("{base}/auth/tokens")
        } else {
            format!("{base}/v3/auth/tokens")
        }
    }

    /// Keystone's base URL (`…/v3`).
    pub fn identity_url(&self) -> String {
        let base = self.config.auth_url.trim_end_matches('/');
        if base.ends_with("/v3") {
            base.to_string()
        } else {
            format!("{base}/v3")
        }
    }

    fn cache_file(&self) -> Option<PathBuf> {
        let over = lock(&self.project_override).clone();
        self.opts
            .cache_dir
            .as_ref()
            .map(|d| auth::cache_path(d, &self.config, over.as_deref()))
    }

    pub fn set_project_override(&self, project: Option<String>) {
        *lock(&self.project_override) = project;
    }

    /// Forget the in-memory token only (a project switch keeps the other project's cache).
    pub async fn drop_token_in_memory(&self) {
        *self.token.lock().await = None;
    }

    /// Forget a token the cloud refused (memory and cache), unless another request already
    /// replaced it, so concurrent 401s authenticate only once.
    pub async fn drop_token(&self, refused: &Secret) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| t.value != *refused) {
            return;
        }
        *slot = None;
        if let Some(path) = self.cache_file() {
            let _ = std::fs::remove_file(path);
        }
    }

    pub fn project_override(&self) -> Option<String> {
        lock(&self.project_override).clone()
    }

    /// The current token: cached in memory, then on disk, else a fresh one.
    pub async fn token(&self) -> Result<Arc<Token>, BackendError> {
        let mut slot = self.token.lock().await;
        let now = auth::now();
        if let Some(t) = slot
            .as_ref()
            .filter(|t| !t.needs_renewal(now, RENEW_MARGIN_SECS))
        {
            return Ok(Arc::clone(t));
        }
        let cache = self.cache_file();
        if slot.is_none()
            && let Some(t) = cache
                .as_deref()
                .and_then(|p| auth::load_cached(p, now, RENEW_MARGIN_SECS))
        {
            tracing::debug!("using the cached token");
            let t = Arc::new(t);
            *slot = Some(Arc::clone(&t));
            return Ok(t);
        }
        let t = Arc::new(self.authenticate().await?);
        if let Some(path) = cache
            && let Err(e) = auth::store_cached(&path, &t)
        {
            tracing::warn!("token cache {}: {e}", path.display());
        }
        *slot = Some(Arc::clone(&t));
        Ok(t)
    }

    async fn authenticate(&self) -> Result<Token, BackendError> {
        let over = lock(&self.project_override).clone();
        let body = auth::token_request(&self.config, over.as_deref());
        let url = self.tokens_url();
        tracing::debug!("POST {url} ({} auth)", self.config.auth.name());
        let resp = self
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_error("identity", &url, &e))?;
        let status = resp.status();
        let subject = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| transport_error("identity", &url, &e))?;
        if !status.is_success() {
            let msg = service_message(&bytes);
            return Err(match status {
                StatusCode::UNAUTHORIZED => BackendError::Api(format!(
                    "authentication failed ({}): {msg}",
                    self.config.auth_url
                )),
                _ => status_error("identity", status, &msg),
            });
        }
        let subject = subject.ok_or_else(|| {
            BackendError::Api("identity: token reply without an X-Subject-Token header".into())
        })?;
        let reply = Reply {
            status,
            body: bytes.to_vec(),
        };
        let json = reply.json("identity")?;
        auth::parse_token(Secret::new(subject), &json).map_err(BackendError::Api)
    }

    /// One authenticated request: renews the token first if needed, re-authenticates once on a
    /// 401, retries once on a 503 with `Retry-After`. Non-2xx replies become errors.
    pub async fn request(
        &self,
        service: &str,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, BackendError> {
        let mut reauthed = false;
        let mut retried = false;
        loop {
            let token = self.token().await?;
            tracing::debug!("{method} {url} (X-Auth-Token: ***)");
            let mut req = self
                .http
                .request(method.clone(), url)
                .header("X-Auth-Token", token.value.expose())
                .header("Accept", "application/json");
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| transport_error(service, url, &e))?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0);
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| transport_error(service, url, &e))?;
            if status == StatusCode::UNAUTHORIZED && !reauthed {
                tracing::info!("{service}: 401, authenticating again");
                reauthed = true;
                self.drop_token(&token.value).await;
                continue;
            }
            if status == StatusCode::SERVICE_UNAVAILABLE
                && !retried
                && let Some(secs) = retry_after
            {
                retried = true;
                let wait = Duration::from_secs_f64(secs).min(self.opts.retry_after_cap);
                tracing::info!("{service}: 503, retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                continue;
            }
            if !status.is_success() {
                return Err(status_error(service, status, &service_message(&bytes)));
            }
            return Ok(Reply {
                status,
                body: bytes.to_vec(),
            });
        }
    }

    pub async fn get_json(
        &self,
        service: &str,
        url: &str,
        headers: &[(&str, String)],
    ) -> Result<Value, BackendError> {
        self.request(service, Method::GET, url, headers, None)
            .await?
            .json(service)
    }

    /// Every item of a paginated list. `key` is the collection (`servers`, `images`, …).
    pub async fn list_all(
        &self,
        service: &str,
        url: &str,
        key: &str,
        headers: &[(&str, String)],
        style: Paging,
    ) -> Result<Vec<Value>, BackendError> {
        let mut items = Vec::new();
        let mut next = Some(url.to_string());
        let mut pages = 0;
        while let Some(page_url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(BackendError::Api(format!(
                    "{service}: more than {MAX_PAGES} pages of {key}"
                )));
            }
            let page = self.get_json(service, &page_url, headers).await?;
            let rows = match page.get(key) {
                Some(Value::Array(a)) => a.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(_) => {
                    return Err(BackendError::Api(format!(
                        "{service}: `{key}` is not a list"
                    )));
                }
            };
            let empty = rows.is_empty();
            items.extend(rows);
            if empty {
                break;
            }
            next = next_page(&page, key, url, &page_url, style);
            if next.as_deref() == Some(page_url.as_str()) {
                break;
            }
        }
        Ok(items)
    }
}

/// How a service says where the next page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paging {
    /// `<key>_links: [{rel: next, href}]` (nova, cinder, neutron): the URL is rebuilt from the
    /// href's query (marker, limit, filters) on our own base URL.
    Links,
    /// glance: `next` is a path relative to the endpoint root (`/v2/images?marker=…`).
    GlanceNext,
}

fn next_page(
    page: &Value,
    key: &str,
    first: &str,
    _current: &str,
    style: Paging,
) -> Option<String> {
    match style {
        Paging::Links => {
            let href = page
                .get(format!("{key}_links"))
                .and_then(Value::as_array)?
                .iter()
                .find(|l| l.get("rel").and_then(Value::as_str) == Some("next"))?
                .get("href")
                .and_then(Value::as_str)?;
            let base = Url::parse(first).ok()?;
            let href_url = Url::parse(href).or_else(|_| base.join(href)).ok()?;
            let mut out = base;
            out.set_query(href_url.query());
            Some(out.to_string())
        }
        Paging::GlanceNext => {
            let next = page.get("next").and_then(Value::as_str)?;
            let url = Url::parse(first).ok()?;
            // `first` is `<root>/v2/images…`; the root is everything before `/v2/`.
            let s = url.as_str();
            let root = s.find("/v2/").map(|i| &s[..i])?;
            Some(
                if next.starts_with("http://") || next.starts_with("https://") {
                    let n = Url::parse(next).ok()?;
                    format!(
                        "{root}{}{}",
                        n.path(),
                        n.query().map(|q| format!("?{q}")).unwrap_or_default()
                    )
                } else {
                    format!("{root}/{}", next.trim_start_matches('/'))
                },
            )
        }
    }
}

fn transport_error(service: &str, url: &str, e: &reqwest::Error) -> BackendError {
    let host = Url::parse(url)
        .ok()
        .map(|u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or(""),
                u.port_or_known_default().unwrap_or(0)
            )
        })
        .unwrap_or_default();
    let mut cause = String::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if e.is_timeout() {
        BackendError::Connection(format!("{service} ({host}): timed out"))
    } else if e.is_connect() {
        BackendError::Connection(format!("{service} ({host}): cannot connect: {cause}"))
    } else if e.is_body() || e.is_decode() {
        BackendError::Connection(format!("{service} ({host}): reply cut short: {cause}"))
    } else {
        BackendError::Connection(format!(
            "{service} ({host}): {e}{}",
            if cause.is_empty() {
                String::new()
            } else {
                format!(": {cause}")
            }
        ))
    }
}

fn status_error(service: &str, status: StatusCode, msg: &str) -> BackendError {
    let text = format!("{service}: {msg} (HTTP {})", status.as_u16());
    match status {
        StatusCode::NOT_FOUND => BackendError::NotFound(text),
        StatusCode::CONFLICT => BackendError::Conflict(text),
        StatusCode::BAD_REQUEST => BackendError::Invalid(text),
        _ => BackendError::Api(text),
    }
}

/// The service's own message: nova `{"itemNotFound": {"message"}}`, neutron
/// `{"NeutronError": {"message"}}`, keystone `{"error": {"message"}}`, or plain text/HTML.
pub fn service_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let direct = ["message", "faultstring", "detail", "title"]
            .iter()
            .find_map(|k| v.get(k).and_then(Value::as_str).map(str::to_string));
        if let Some(m) = direct {
            return m;
        }
        if let Value::Object(map) = &v {
            for inner in map.values() {
                if let Some(m) = inner.get("message").and_then(Value::as_str) {
                    return m.to_string();
                }
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                plain.push(' ');
            }
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = plain.split_whitespace().collect();
    let mut out = words.join(" ");
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect::<String>() + "…";
    }
    if out.is_empty() {
        "no details".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            service_message(
                br#"{"itemNotFound": {"message": "Instance x could not be found.", "code": 404}}"#
            ),
            "Instance x could not be found."
        );
        assert_eq!(
            service_message(br#"{"NeutronError": {"type": "X", "message": "nope", "detail": ""}}"#),
            "nope"
        );
        assert_eq!(
            service_message(
                br#"{"error": {"code": 401, "message": "bad", "title": "Unauthorized"}}"#
            ),
            "bad"
        );
        assert_eq!(
            service_message(b"<html><body><h1>404 Not Found</h1>gone</body></html>"),
            "404 Not Found gone"
        );
    }

    #[test]
    fn next_links() {
        let page = serde_json::json!({"servers_links": [{"rel": "next", "href": "http://elsewhere.example/v2.1/servers/detail?limit=1&marker=abc"}]});
        let n = next_page(
            &page,
            "servers",
            "http://127.0.0.1:1/compute/v2.1/servers/detail",
            "",
            Paging::Links,
        );
        assert_eq!(
            n.as_deref(),
            Some("http://127.0.0.1:1/compute/v2.1/servers/detail?limit=1&marker=abc")
        );
        let page = serde_json::json!({"next": "/v2/images?marker=m&limit=2"});
        let n = next_page(
            &page,
            "images",
            "http://h/image/v2/images",
            "",
            Paging::GlanceNext,
        );
        assert_eq!(
            n.as_deref(),
            Some("http://h/image/v2/images?marker=m&limit=2")
        );
    }
}
