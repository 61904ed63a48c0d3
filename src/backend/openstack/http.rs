//! The HTTP session: one `reqwest::Client`, the token (renewed before expiry, re-requested once
//! on a 401), service errors in the service's own words, and pagination to the end.
//!
//! Everything a cloud sends is bounded here: redirects never carry a credential to another
//! origin, bodies stop at a cap, retries are few, short and only for reads, and a listing stops
//! on a repeated page, on an item cap and on a deadline. `--readonly` is enforced here too, in
//! [`Session::request`], so no code path can send a mutating request by mistake.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::{Method, Response, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Mutex;

use super::auth::{self, Token};
use super::clouds::CloudConfig;
use super::secret::Secret;
use crate::backend::BackendError;

/// Renew the token when less than this is left.
const RENEW_MARGIN_SECS: i64 = 300;
/// Tries of one idempotent request (the first and two retries).
const MAX_TRIES: u32 = 3;
/// Redirects followed within one origin.
const MAX_REDIRECTS: usize = 5;
/// Error replies are read this far for their message; the rest is dropped.
const ERROR_BODY_BYTES: u64 = 64 * 1024;

#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Longest `Retry-After` honoured.
    pub retry_after_cap: Duration,
    /// First retry delay without `Retry-After`; doubled per retry, with jitter.
    pub retry_backoff: Duration,
    /// Largest response body read.
    pub max_body_bytes: u64,
    /// Most items one listing may gather across its pages.
    pub max_list_items: usize,
    /// Longest time one listing may take across its pages.
    pub list_deadline: Duration,
    /// Refuse every request that could change something (see [`read_only_allows`]).
    pub readonly: bool,
    /// Token cache directory; `None` = no cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(5),
            retry_backoff: Duration::from_millis(500),
            max_body_bytes: 256 * 1024 * 1024,
            max_list_items: 100_000,
            list_deadline: Duration::from_secs(120),
            readonly: false,
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
    /// For the service endpoints: redirects followed within one origin only.
    http: reqwest::Client,
    /// For Keystone's token request: the password is in the body, so no redirect at all.
    identity_http: reqwest::Client,
    pub config: CloudConfig,
    opts: HttpOptions,
    token: Mutex<Option<Arc<Token>>>,
    /// Project the token is re-scoped to (runtime switch), if any.
    project_override: std::sync::Mutex<Option<String>>,
    /// Why the transport is not safe (`verify: false`, plain http), for the header.
    insecure: Vec<String>,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host:port` of a URL, for messages.
fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Follow a redirect only to the origin the request went to (so never to http from https),
/// a few hops at most. Anything else is handed back as the 3xx reply and refused by
/// [`redirect_refused`]: reqwest drops only `Authorization` and `Cookie` across origins, not
/// `X-Auth-Token`.
fn same_origin_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let follow = attempt.previous().len() <= MAX_REDIRECTS
            && attempt
                .previous()
                .first()
                .is_some_and(|first| same_origin(first, attempt.url()));
        if follow {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

fn redirect_refused(service: &str, url: &str, resp: &Response) -> BackendError {
    let target = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| Url::parse(url).ok()?.join(loc).ok())
        .map_or_else(|| "an unreadable location".to_string(), |u| origin(&u));
    BackendError::Api(format!(
        "{service}: the cloud redirected to {target} (HTTP {}); not following with credentials",
        resp.status().as_u16()
    ))
}

/// Whether the host is this machine (plain http to it does not leave the machine).
fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// What makes the transport unsafe, one line each, for the header.
fn transport_warnings(config: &CloudConfig) -> Vec<String> {
    let mut out = Vec::new();
    if !config.verify {
        out.push("TLS certificates NOT verified (verify: false)".to_string());
    }
    if let Ok(url) = Url::parse(&config.auth_url)
        && url.scheme() == "http"
        && !is_loopback(&url)
    {
        out.push(format!(
            "plain http:// to {}: the password and tokens travel unencrypted",
            url.host_str().unwrap_or("")
        ));
    }
    out
}

/// The only requests `--readonly` lets through besides Keystone's token request (which does
/// not go through [`Session::request`]): reads, and the console-log read, which nova exposes as
/// a server action.
pub fn read_only_allows(method: &Method, url: &str, body: Option<&Value>) -> bool {
    if *method == Method::GET || *method == Method::HEAD {
        return true;
    }
    let console_log = body
        .and_then(Value::as_object)
        .is_some_and(|o| o.len() == 1 && o.contains_key("os-getConsoleOutput"));
    *method == Method::POST
        && console_log
        && Url::parse(url).is_ok_and(|u| u.path().ends_with("/action"))
}

/// Replies worth asking again for an idempotent request.
fn retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// `Retry-After` as seconds (integer or decimal) or as an HTTP date, capped at `cap`. `None`
/// for anything else (negative, not finite, unreadable), so the caller uses its own backoff.
/// The cap is applied to the number before it becomes a `Duration`: huge values must not panic.
pub fn parse_retry_after(value: &str, now: SystemTime, cap: Duration) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        return Some(Duration::from_secs_f64(secs.min(cap.as_secs_f64())));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO).min(cap))
}

/// The delay before retry number `retry` (0-based): `base × 2^retry`, scaled by a random
/// factor in [0.5, 1] so that many clients told to wait do not all come back at once.
fn backoff(base: Duration, retry: u32) -> Duration {
    use std::hash::BuildHasher;
    let random = std::collections::hash_map::RandomState::new().hash_one(retry);
    let factor = 0.5 + (random % 1024) as f64 / 2046.0;
    base.saturating_mul(1 << retry.min(4)).mul_f64(factor)
}

/// `n` bytes for messages: `256 MiB`, `64 KiB`, `1000 bytes`.
fn size_label(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// What to do when a body is longer than the limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Fail,
    /// Keep the start (error replies: their message is at the start).
    Truncate,
}

/// Read a body chunk by chunk, stopping as soon as it passes `limit`: a hostile or broken
/// cloud must not make yun hold an unbounded body in memory.
async fn read_body(
    mut resp: Response,
    limit: u64,
    overflow: Overflow,
    service: &str,
    url: &str,
) -> Result<Vec<u8>, BackendError> {
    let too_big = || {
        BackendError::Api(format!(
            "{service}: the reply is larger than the {} limit; stopped reading it",
            size_label(limit)
        ))
    };
    let announced = resp.content_length();
    if overflow == Overflow::Fail && announced.is_some_and(|n| n > limit) {
        return Err(too_big());
    }
    let mut body = BodySink::new(announced.map(|n| n.min(limit)));
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(service, url, &e))?
    {
        let room = usize::try_from(limit.saturating_sub(body.len)).unwrap_or(usize::MAX);
        if chunk.len() > room {
            if overflow == Overflow::Fail {
                return Err(too_big());
            }
            body.push(&chunk[..room]);
            break;
        }
        body.push(&chunk);
    }
    Ok(body.finish())
}

/// A body being read. With a `Content-Length` it goes straight into one buffer of that size.
/// Without one it goes into blocks, joined once at the end: a growing `Vec` would hold the old
/// and the new buffer at each doubling, so a body cut off at the cap would cost up to three
/// times the cap; blocks cost the cap.
struct BodySink {
    /// Sized from `Content-Length`; never reallocated.
    sized: Vec<u8>,
    blocks: Vec<Vec<u8>>,
    len: u64,
}

const FIRST_BLOCK: usize = 64 * 1024;
const BLOCK: usize = 1024 * 1024;

impl BodySink {
    fn new(announced: Option<u64>) -> Self {
        let sized = announced.and_then(|n| usize::try_from(n).ok()).unwrap_or(0);
        Self {
            sized: Vec::with_capacity(sized),
            blocks: Vec::new(),
            len: 0,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        if self.blocks.is_empty() {
            let n = (self.sized.capacity() - self.sized.len()).min(data.len());
            self.sized.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        while !data.is_empty() {
            let full = self.blocks.last().is_none_or(|b| b.len() == b.capacity());
            if full {
                let size = if self.blocks.is_empty() {
                    FIRST_BLOCK
                } else {
                    BLOCK
                };
                self.blocks.push(Vec::with_capacity(size));
            }
            if let Some(block) = self.blocks.last_mut() {
                let n = (block.capacity() - block.len()).min(data.len());
                block.extend_from_slice(&data[..n]);
                data = &data[n..];
            }
        }
    }

    fn finish(self) -> Vec<u8> {
        if self.blocks.is_empty() {
            return self.sized;
        }
        let mut out = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
        out.extend_from_slice(&self.sized);
        for block in self.blocks {
            out.extend_from_slice(&block);
        }
        out
    }
}

fn build_client(
    config: &CloudConfig,
    opts: &HttpOptions,
    redirect: reqwest::redirect::Policy,
) -> Result<reqwest::Client, BackendError> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.request_timeout)
        .user_agent(concat!("yun/", env!("CARGO_PKG_VERSION")))
        .redirect(redirect)
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
    if !config.verify {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build()
        .map_err(|e| BackendError::Connection(format!("HTTP client: {e}")))
}

impl Session {
    pub fn new(config: CloudConfig, opts: HttpOptions) -> Result<Self, BackendError> {
        let http = build_client(&config, &opts, same_origin_policy())?;
        let identity_http = build_client(&config, &opts, reqwest::redirect::Policy::none())?;
        Ok(Self {
            http,
            identity_http,
            insecure: transport_warnings(&config),
            config,
            opts,
            token: Mutex::new(None),
            project_override: std::sync::Mutex::new(None),
        })
    }

    /// The transport is not safe: certificates not verified, or plain http to another machine.
    pub fn insecure(&self) -> bool {
        !self.insecure.is_empty()
    }

    /// Why the transport is not safe, one line each (the header shows them).
    pub fn insecure_reasons(&self) -> &[String] {
        &self.insecure
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
            .identity_http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_error("identity", &url, &e))?;
        let status = resp.status();
        if status.is_redirection() {
            return Err(redirect_refused("identity", &url, &resp));
        }
        let subject = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !status.is_success() {
            let bytes =
                read_body(resp, ERROR_BODY_BYTES, Overflow::Truncate, "identity", &url).await?;
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
            body: read_body(
                resp,
                self.opts.max_body_bytes,
                Overflow::Fail,
                "identity",
                &url,
            )
            .await?,
        };
        let json = reply.json("identity")?;
        auth::parse_token(Secret::new(subject), &json).map_err(BackendError::Api)
    }

    /// One authenticated request: renews the token first if needed, re-authenticates once on a
    /// 401. Reads (GET, HEAD) are tried up to [`MAX_TRIES`] times on 429, 502, 503 and 504,
    /// waiting as `Retry-After` says (capped) or with a short backoff; anything else is sent
    /// once, as it may not be safe to repeat. Non-2xx replies become errors. In read-only mode
    /// only what [`read_only_allows`] allows is sent.
    pub async fn request(
        &self,
        service: &str,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, BackendError> {
        if self.opts.readonly && !read_only_allows(&method, url, body) {
            tracing::info!("{service}: read-only, not sending {method} {url}");
            return Err(BackendError::ReadOnly);
        }
        let idempotent = method == Method::GET || method == Method::HEAD;
        let mut reauthed = false;
        let mut retries = 0;
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
            if status.is_redirection() {
                return Err(redirect_refused(service, url, &resp));
            }
            if status == StatusCode::UNAUTHORIZED && !reauthed {
                tracing::info!("{service}: 401, authenticating again");
                reauthed = true;
                self.drop_token(&token.value).await;
                continue;
            }
            if idempotent && retryable(status) && retries + 1 < MAX_TRIES {
                let wait = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        parse_retry_after(v, SystemTime::now(), self.opts.retry_after_cap)
                    })
                    .unwrap_or_else(|| backoff(self.opts.retry_backoff, retries));
                retries += 1;
                tracing::info!("{service}: {}, retrying in {wait:?}", status.as_u16());
                drop(resp);
                tokio::time::sleep(wait).await;
                continue;
            }
            if !status.is_success() {
                let bytes =
                    read_body(resp, ERROR_BODY_BYTES, Overflow::Truncate, service, url).await?;
                return Err(status_error(service, status, &service_message(&bytes)));
            }
            let body =
                read_body(resp, self.opts.max_body_bytes, Overflow::Fail, service, url).await?;
            return Ok(Reply { status, body });
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
    ///
    /// A listing that cannot end normally is an error, not a shorter list: a page link or
    /// marker seen twice (a loop), more than `max_list_items` items, or longer than
    /// `list_deadline`. Showing what was read so far would look like a complete listing, and
    /// rows missing without a word are worse than a clear message.
    pub async fn list_all(
        &self,
        service: &str,
        url: &str,
        key: &str,
        headers: &[(&str, String)],
        style: Paging,
    ) -> Result<Vec<Value>, BackendError> {
        let deadline = self.opts.list_deadline;
        tokio::time::timeout(deadline, self.pages(service, url, key, headers, style))
            .await
            .unwrap_or_else(|_| {
                Err(BackendError::Api(format!(
                    "{service}: listing {key} took longer than {} s; stopped",
                    deadline.as_secs_f64()
                )))
            })
    }

    async fn pages(
        &self,
        service: &str,
        url: &str,
        key: &str,
        headers: &[(&str, String)],
        style: Paging,
    ) -> Result<Vec<Value>, BackendError> {
        let mut items = Vec::new();
        let mut seen_urls = HashSet::new();
        let mut seen_markers = HashSet::new();
        let mut next = Some(url.to_string());
        while let Some(page_url) = next.take() {
            let marker = page_marker(&page_url);
            let looped = !seen_urls.insert(page_url.clone())
                || marker.is_some_and(|m| !seen_markers.insert(m));
            if looped {
                return Err(BackendError::Api(format!(
                    "{service}: the cloud sent a page of {key} it had already sent ({} pages, {} items read); stopped",
                    seen_urls.len(),
                    items.len()
                )));
            }
            let mut page = self.get_json(service, &page_url, headers).await?;
            let rows = match page.get_mut(key).map(Value::take) {
                Some(Value::Array(a)) => a,
                Some(Value::Null) | None => Vec::new(),
                Some(_) => {
                    return Err(BackendError::Api(format!(
                        "{service}: `{key}` is not a list"
                    )));
                }
            };
            if rows.is_empty() {
                break;
            }
            items.extend(rows);
            if items.len() > self.opts.max_list_items {
                return Err(BackendError::Api(format!(
                    "{service}: more than {} {key}; stopped",
                    self.opts.max_list_items
                )));
            }
            next = next_page(&page, key, url, style);
        }
        Ok(items)
    }
}

/// The `marker` query parameter of a page URL.
fn page_marker(url: &str) -> Option<String> {
    Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "marker")
        .map(|(_, v)| v.into_owned())
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

fn next_page(page: &Value, key: &str, first: &str, style: Paging) -> Option<String> {
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
            Paging::GlanceNext,
        );
        assert_eq!(
            n.as_deref(),
            Some("http://h/image/v2/images?marker=m&limit=2")
        );
    }

    #[test]
    fn retry_after_is_capped_before_it_becomes_a_duration() {
        let cap = Duration::from_secs(5);
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let p = |v: &str| parse_retry_after(v, now, cap);
        assert_eq!(p("2"), Some(Duration::from_secs(2)));
        assert_eq!(p(" 0.25 "), Some(Duration::from_millis(250)));
        assert_eq!(p("1e20"), Some(cap));
        assert_eq!(p("1e400"), None);
        for bad in ["-1", "NaN", "inf", "-inf", "", "soon", "1 2"] {
            assert_eq!(p(bad), None, "{bad}");
        }
        let later = httpdate::fmt_http_date(now + Duration::from_secs(3));
        assert_eq!(p(&later), Some(Duration::from_secs(3)));
        let tomorrow = httpdate::fmt_http_date(now + Duration::from_secs(86_400));
        assert_eq!(p(&tomorrow), Some(cap));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(60));
        assert_eq!(p(&past), Some(Duration::ZERO));
        assert_eq!(p("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_bounded() {
        let base = Duration::from_millis(500);
        for retry in 0..3 {
            let full = base * (1 << retry);
            let d = backoff(base, retry);
            assert!(d >= full / 2 && d <= full, "{retry}: {d:?}");
        }
        assert!(backoff(base, 1000) <= base * 16);
    }

    #[test]
    fn origins() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://k:5000/a"),
            &u("https://k:5000/b?x")
        ));
        assert!(same_origin(&u("https://k/a"), &u("https://k:443/b")));
        assert!(!same_origin(&u("https://k/a"), &u("http://k/a")));
        assert!(!same_origin(&u("https://k/a"), &u("https://k:8443/a")));
        assert!(!same_origin(&u("https://k/a"), &u("https://evil/a")));
    }

    #[test]
    fn plain_http_to_another_machine_is_insecure() {
        let config = |url: &str, verify: bool| CloudConfig {
            name: None,
            auth_url: url.into(),
            auth: super::super::clouds::AuthMethod::Token {
                token: Secret::new("t"),
                scope: super::super::clouds::Scope::None,
            },
            region: None,
            interface: "public".into(),
            cacert: None,
            verify,
        };
        for local in [
            "http://127.0.0.1:5000/v3",
            "http://127.3.4.5/v3",
            "http://localhost/v3",
            "http://[::1]:5000/v3",
            "https://keystone.example/v3",
        ] {
            assert!(
                transport_warnings(&config(local, true)).is_empty(),
                "{local}"
            );
        }
        assert_eq!(
            transport_warnings(&config("http://keystone.example:5000/v3", true)),
            ["plain http:// to keystone.example: the password and tokens travel unencrypted"]
        );
        assert_eq!(
            transport_warnings(&config("https://k/v3", false)),
            ["TLS certificates NOT verified (verify: false)"]
        );
        assert_eq!(
            transport_warnings(&config("http://10.0.0.1/v3", false)).len(),
            2
        );
    }

    #[test]
    fn read_only_lets_through_reads_and_the_console_log_only() {
        let action = "http://h/compute/v2.1/servers/s/action";
        let body = |v: Value| Some(v);
        assert!(read_only_allows(&Method::GET, action, None));
        assert!(read_only_allows(&Method::HEAD, action, None));
        assert!(read_only_allows(
            &Method::POST,
            action,
            body(serde_json::json!({"os-getConsoleOutput": {"length": 40}})).as_ref()
        ));
        for (m, url, b) in [
            (
                Method::POST,
                action,
                Some(serde_json::json!({"reboot": {"type": "SOFT"}})),
            ),
            (
                Method::POST,
                action,
                Some(serde_json::json!({"os-getConsoleOutput": {}, "os-stop": null})),
            ),
            (
                Method::POST,
                "http://h/compute/v2.1/servers/s/remote-consoles",
                Some(serde_json::json!({"os-getConsoleOutput": {}})),
            ),
            (Method::POST, "http://h/compute/v2.1/servers", None),
            (Method::PUT, "http://h/compute/v2.1/servers/s", None),
            (Method::DELETE, "http://h/compute/v2.1/servers/s", None),
            (Method::PATCH, "http://h/image/v2/images/i", None),
        ] {
            assert!(!read_only_allows(&m, url, b.as_ref()), "{m} {url} {b:?}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(size_label(256 * 1024 * 1024), "256 MiB");
        assert_eq!(size_label(64 * 1024), "64 KiB");
        assert_eq!(size_label(1000), "1000 bytes");
    }

    #[test]
    fn bodies_are_gathered_whole_with_or_without_a_length() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        for announced in [None, Some(3_000_000), Some(10)] {
            let mut sink = BodySink::new(announced);
            for piece in data.chunks(70_001) {
                sink.push(piece);
            }
            assert_eq!(sink.len, 3_000_000);
            let body = sink.finish();
            assert_eq!(body, data, "{announced:?}");
        }
        let mut sized = BodySink::new(Some(5));
        sized.push(b"hello");
        assert!(sized.blocks.is_empty());
        assert_eq!(sized.finish(), b"hello");
        assert!(BodySink::new(None).finish().is_empty());
    }
}
