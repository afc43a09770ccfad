//! Who is calling: the user behind a request, found from its token (a bearer header, the web
//! map's `onemap_token` cookie, or `?access_token=` for clients that cannot set headers),
//! and what that user may do (SPEC section 11).
//!
//! Every request goes through [`gate`]: it resolves the [`Caller`] once, keeps it in the
//! request's extensions for the handler, and in [`AccessMode::Login`] answers 401 to an
//! anonymous request for anything but the public paths. Handlers that write take the
//! [`Caller`] and call [`Caller::require`] with the role the route needs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use geo_core::access::{token, Role, Scope, User};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The cookie the web map's login sets.
pub const COOKIE: &str = "onemap_token";

/// How long a verified token is trusted without asking the store again: a disabled user or
/// a revoked token stops working within this time.
const TRUST_FOR: Duration = Duration::from_secs(30);

/// Verified tokens kept at most; the cache is emptied when it would grow past this.
const MAX_CACHED: usize = 10_000;

/// Requests a signed-in user may make per second, sustained (`serve --rate-per-user`): a
/// map client panning fetches tens of tiles a second, a GPS gateway posts a batch or two.
pub const DEFAULT_RATE_PER_S: u32 = 200;

/// Whether anonymous callers may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessMode {
    /// The local demo (loopback bind, demo data): anyone may read everything except
    /// personal fields; every write needs a signed-in user with the role for it.
    Open,
    /// Every request but the public paths (health, the login, the web map's files) needs a
    /// signed-in user.
    #[default]
    Login,
}

impl AccessMode {
    /// The mode's name in `/api/me` and the banner.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            AccessMode::Open => "open",
            AccessMode::Login => "login",
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Caller {
    user: Option<User>,
    origin: String,
    scope: Scope,
}

impl Caller {
    /// An anonymous caller from `origin`.
    #[must_use]
    pub fn anonymous(origin: String) -> Self {
        Self {
            user: None,
            origin,
            scope: Scope::ALL,
        }
    }

    /// The signed-in user, if any.
    #[must_use]
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// The caller's role; an anonymous caller reads as a viewer.
    #[must_use]
    pub fn role(&self) -> Role {
        self.user.as_ref().map_or(Role::Viewer, |u| u.role)
    }

    /// The region the caller sees: their unit, or everything for the open demo's anonymous
    /// reader and for a user whose unit holds every unit of the store (see [`scope_of`]).
    #[must_use]
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether the caller may see personal fields (names, phones, free text).
    #[must_use]
    pub fn sees_personal(&self) -> bool {
        self.user.is_some() && self.role() >= Role::Operator
    }

    /// Who the change log names for this caller's writes.
    #[must_use]
    pub fn author(&self) -> String {
        self.user
            .as_ref()
            .map_or_else(|| "anonymous".to_owned(), |u| u.name.clone())
    }

    /// Where the request came from (the client's address).
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Ok if the caller is signed in with `role` or a higher one: 401 for an anonymous
    /// caller, 403 for a role below it.
    ///
    /// # Errors
    /// [`ApiError::Unauthorized`] or [`ApiError::Forbidden`].
    pub fn require(&self, role: Role) -> ApiResult<()> {
        match &self.user {
            None => Err(ApiError::Unauthorized(format!(
                "sign in: this needs the {} role (登录后可用)",
                role.as_str()
            ))),
            Some(u) if u.role < role => Err(ApiError::Forbidden(format!(
                "user {} is {}; this needs the {} role",
                u.name,
                u.role.as_str(),
                role.as_str()
            ))),
            Some(_) => Ok(()),
        }
    }

    /// Ok if `code` (an admin, grid or incident's grid code) lies in the caller's scope.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] naming the caller's unit.
    pub fn require_in_scope(&self, code: &str) -> ApiResult<()> {
        if self.scope().contains_code(code) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "{code} lies outside {}'s unit",
                self.author()
            )))
        }
    }
}

impl Caller {
    /// Ok if the point lies in the caller's scope: in a grid (or, outside every grid, the
    /// deepest admin unit) whose code the scope holds.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] naming the point.
    pub fn require_point_in_scope(
        &self,
        core: &geo_core::index::Core,
        lon: f64,
        lat: f64,
    ) -> ApiResult<()> {
        // The core's definition, the one its tiles and queries cut reads by.
        let inside = core.point_in_scope(&self.scope(), lon, lat);
        if inside {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "({lon}, {lat}) lies outside {}'s unit",
                self.author()
            )))
        }
    }

    /// A change set of `kind` made by this caller (author and origin filled in).
    #[must_use]
    pub fn change_set(
        &self,
        kind: geo_core::store::ChangeKind,
        summary: impl Into<String>,
    ) -> geo_core::store::ChangeSet {
        let mut c = geo_core::store::ChangeSet::new(kind, self.author(), summary);
        c.origin.clone_from(&self.origin);
        c
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let caller = resolve(state, parts).await?;
        if caller.user.is_none() && state.config().access == AccessMode::Login {
            return Err(sign_in_needed());
        }
        Ok(caller)
    }
}

/// A role a route needs, as a type: `Authorized<need::Planner>` in a handler's arguments.
pub trait NeedsRole: Send + Sync + 'static {
    /// The least role that may call the route.
    const ROLE: Role;
}

/// The roles routes need (see [`Authorized`]).
pub mod need {
    use super::{NeedsRole, Role};

    /// Incident reports, the workflow, GPS positions.
    #[derive(Debug, Clone, Copy)]
    pub struct Operator;
    /// Grid edits.
    #[derive(Debug, Clone, Copy)]
    pub struct Planner;
    /// Imports and exports.
    #[derive(Debug, Clone, Copy)]
    pub struct Gis;
    /// Users and the audit log.
    #[derive(Debug, Clone, Copy)]
    pub struct Admin;

    impl NeedsRole for Operator {
        const ROLE: Role = Role::Operator;
    }
    impl NeedsRole for Planner {
        const ROLE: Role = Role::Planner;
    }
    impl NeedsRole for Gis {
        const ROLE: Role = Role::Gis;
    }
    impl NeedsRole for Admin {
        const ROLE: Role = Role::Admin;
    }
}

/// A caller signed in with role `R` or a higher one; extracted before the body is read,
/// so a refused upload costs nothing (401 anonymous, 403 a lower role).
#[derive(Debug, Clone)]
pub struct Authorized<R> {
    caller: Caller,
    role: std::marker::PhantomData<R>,
}

impl<R> std::ops::Deref for Authorized<R> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl<R: NeedsRole> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(R::ROLE)?;
        Ok(Self {
            caller,
            role: std::marker::PhantomData,
        })
    }
}

fn sign_in_needed() -> ApiError {
    ApiError::Unauthorized("sign in: this server needs a token (请先登录)".to_owned())
}

/// Resolves the caller and keeps it for the handler; in login mode refuses anonymous
/// requests for anything but the public paths.
pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let public = is_public(parts.uri.path());
    let refuse = |e: ApiError| {
        let refused = e.into_response();
        state.metrics().observe_refused(refused.status());
        refused
    };
    let caller = match resolve(&state, &parts).await {
        Ok(c) => c,
        // A stale cookie must not lock anyone out of the login page.
        Err(_) if public => Caller::anonymous(origin_of(&parts)),
        Err(e) => return refuse(e),
    };
    if caller.user.is_none() && state.config().access == AccessMode::Login && !public {
        return refuse(sign_in_needed());
    }
    parts.extensions.insert(caller);
    next.run(Request::from_parts(parts, body)).await
}

/// Paths anyone may fetch: liveness, the login itself, and the web map's own files (the
/// login page has to load before anyone is signed in).
fn is_public(path: &str) -> bool {
    const DATA: [&str; 6] = [
        "/api/",
        "/collections",
        "/tiles/",
        "/conformance",
        "/style.json",
        "/metrics",
    ];
    matches!(
        path,
        "/" | "/health" | "/ready" | "/openapi.json" | "/api/login" | "/api/logout" | "/api/me"
    ) || !DATA.iter().any(|p| path.starts_with(p))
}

/// The token a request carries, if any: `Authorization: Bearer`, the login cookie, or the
/// `access_token` query parameter.
fn token_of(parts: &Parts) -> Option<String> {
    bearer(&parts.headers)
        .or_else(|| cookie(&parts.headers, COOKIE))
        .or_else(|| {
            form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned())
        })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim().to_owned())
}

/// One cookie's value from the `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.trim().to_owned())
        })
}

fn origin_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

/// The caller of a request: anonymous without a token; 401 for a token that is malformed,
/// unknown, revoked, expired or of a disabled user.
async fn resolve(state: &AppState, parts: &Parts) -> ApiResult<Caller> {
    let origin = origin_of(parts);
    let Some(text) = token_of(parts) else {
        return Ok(Caller::anonymous(origin));
    };
    let user = state.sessions().user(state, &text).await?;
    state
        .sessions()
        .allow(&user.name, state.config().rate_per_user)?;
    let scope = scope_of(state, &user);
    Ok(Caller {
        user: Some(user),
        origin,
        scope,
    })
}

/// A user's scope: their unit's, or everything when the unit holds every top unit of the
/// data served (a province user over a prefecture's store), or when the store has neither
/// admin units nor grids to cut by. Unscoped, such a user shares the unscoped tile cache
/// and fast paths and sees exactly what their unit would give them.
fn scope_of(state: &AppState, user: &User) -> Scope {
    let Some(unit) = user.unit else {
        return Scope::ALL;
    };
    let scope = Scope::unit(unit);
    let Ok(core) = state.core() else {
        return scope;
    };
    if core.admin().is_empty() && core.grids().is_empty() {
        return Scope::ALL;
    }
    let holds_all = state.sessions().holds_all(unit, core.seq(), || {
        let roots = core.admin_roots(&Scope::ALL);
        !roots.is_empty()
            && roots
                .iter()
                .filter_map(|&i| core.admin().get(i))
                .all(|a| scope.contains_admin(a.code))
    });
    if holds_all {
        Scope::ALL
    } else {
        scope
    }
}

/// Tokens verified lately: argon2 takes about a tenth of a second, far too long for every
/// tile, so a verified token is trusted for [`TRUST_FOR`].
#[derive(Default)]
pub struct Sessions {
    verified: Mutex<HashMap<String, (User, Instant)>>,
    /// Each user's request budget: tokens left and when it was last refilled.
    budgets: Mutex<HashMap<String, (f64, Instant)>>,
    /// Whether a unit holds every top unit of the core at a sequence number.
    whole: Mutex<HashMap<geo_core::codes::AdminCode, (u64, bool)>>,
}

impl Sessions {
    /// The user a token signs in.
    ///
    /// # Errors
    /// 401 for a bad token; 503 when the store cannot be read.
    pub async fn user(&self, state: &AppState, text: &str) -> ApiResult<User> {
        if let Some(u) = self.cached(text) {
            return Ok(u);
        }
        let bad = || ApiError::Unauthorized("the token is not valid (令牌无效)".to_owned());
        let (id, secret) = token::parse(text).ok_or_else(bad)?;
        let (record, user) = state.store().token(id.to_owned()).await?.ok_or_else(bad)?;
        let secret = secret.to_owned();
        let now = crate::routes::ingest::now();
        let ok = tokio::task::spawn_blocking(move || token::verify(&record, &secret, now))
            .await
            .map_err(|e| ApiError::Internal(format!("token check stopped: {e}")))?;
        if !ok {
            return Err(bad());
        }
        if user.disabled {
            return Err(ApiError::Unauthorized(format!(
                "user {} is disabled",
                user.name
            )));
        }
        self.keep(text, &user);
        // A user of a unit is about to ask for its tiles: build the unit's cell table now.
        let scope = scope_of(state, &user);
        if let (false, Ok(core)) = (scope.is_all(), state.core()) {
            drop(tokio::task::spawn_blocking(move || core.warm_scope(&scope)));
        }
        Ok(user)
    }

    fn cached(&self, text: &str) -> Option<User> {
        let map = self.verified.lock().ok()?;
        let (u, at) = map.get(text)?;
        (at.elapsed() < TRUST_FOR).then(|| u.clone())
    }

    fn keep(&self, text: &str, user: &User) {
        if let Ok(mut map) = self.verified.lock() {
            if map.len() >= MAX_CACHED {
                map.clear();
            }
            map.insert(text.to_owned(), (user.clone(), Instant::now()));
        }
    }

    /// Takes one request from `user`'s budget (a token bucket of `per_s` a second, bursts
    /// up to ten seconds' worth); 0 turns the limit off.
    ///
    /// # Errors
    /// [`ApiError::TooManyRequests`] when the budget is spent.
    pub fn allow(&self, user: &str, per_s: u32) -> ApiResult<()> {
        if per_s == 0 {
            return Ok(());
        }
        let rate = f64::from(per_s);
        let burst = rate * 10.0;
        let Ok(mut map) = self.budgets.lock() else {
            return Ok(());
        };
        if map.len() >= MAX_CACHED && !map.contains_key(user) {
            map.clear();
        }
        let now = Instant::now();
        let (left, at) = map.entry(user.to_owned()).or_insert((burst, now));
        *left = (*left + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *left < 1.0 {
            return Err(ApiError::TooManyRequests(format!(
                "user {user} sends more than {per_s} requests a second; slow down (请求过于频繁)"
            )));
        }
        *left -= 1.0;
        Ok(())
    }

    /// Whether `unit` holds every top unit of the core at `seq`, computed once per unit
    /// and core (`compute` walks the admin layer).
    pub fn holds_all(
        &self,
        unit: geo_core::codes::AdminCode,
        seq: u64,
        compute: impl FnOnce() -> bool,
    ) -> bool {
        if let Some(&(at, v)) = self.whole.lock().ok().as_ref().and_then(|m| m.get(&unit)) {
            if at == seq {
                return v;
            }
        }
        let v = compute();
        if let Ok(mut m) = self.whole.lock() {
            m.insert(unit, (seq, v));
        }
        v
    }

    /// Forgets every verified token (after users or tokens change on this server).
    pub fn forget(&self) {
        if let Ok(mut map) = self.verified.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_are_only_the_login_health_and_web_files() {
        for p in [
            "/",
            "/health",
            "/ready",
            "/api/login",
            "/api/me",
            "/index.html",
            "/assets/app.js",
            "/fonts/x/0-255.pbf",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/api/summary",
            "/collections/grids/items",
            "/tiles/grids/1/2/3",
            "/tiles/grids.json",
            "/style.json",
            "/conformance",
            "/api/imports",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn the_rate_budget_refuses_a_burst_beyond_ten_seconds_and_refills() {
        let s = Sessions::default();
        let ok = (0..100).filter(|_| s.allow("ana", 5).is_ok()).count();
        assert_eq!(ok, 50, "ten seconds' worth at 5/s");
        assert!(matches!(
            s.allow("ana", 5),
            Err(ApiError::TooManyRequests(_))
        ));
        assert!(s.allow("bo", 5).is_ok(), "budgets are per user");
        std::thread::sleep(Duration::from_millis(450));
        assert!(s.allow("ana", 5).is_ok(), "refilled after 0.45 s at 5/s");
        assert!(
            (0..1_000).all(|_| s.allow("ana", 0).is_ok()),
            "0 is no limit"
        );
    }

    #[test]
    fn cookie_and_bearer_are_read() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; onemap_token=om_ab_cd ; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("om_ab_cd"));
        h.insert(
            header::AUTHORIZATION,
            "Bearer  om_1_2".parse().expect("header"),
        );
        assert_eq!(bearer(&h).as_deref(), Some("om_1_2"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().expect("header"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn roles_below_the_needed_one_are_forbidden() {
        let user = |role| Caller {
            user: Some(User {
                name: "u".into(),
                role,
                unit: None,
                disabled: false,
                created_at: 0,
            }),
            origin: String::new(),
            scope: Scope::ALL,
        };
        assert!(matches!(
            Caller::anonymous(String::new()).require(Role::Viewer),
            Err(ApiError::Unauthorized(_))
        ));
        assert!(matches!(
            user(Role::Operator).require(Role::Planner),
            Err(ApiError::Forbidden(_))
        ));
        assert!(user(Role::Admin).require(Role::Planner).is_ok());
        assert!(!Caller::anonymous(String::new()).sees_personal());
        assert!(user(Role::Operator).sees_personal());
        assert!(!user(Role::Viewer).sees_personal());
    }
}
