//! Signing in and out, and who the server thinks the caller is.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo_core::access::{Role, User};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `POST /api/login` body.
#[derive(Debug, Deserialize)]
pub struct Login {
    /// A token from `onemap user add` or `onemap user token`.
    pub token: String,
}

/// What the web map shows of a user and which of its tools it offers.
fn describe(user: Option<&User>) -> Value {
    let role = user.map(|u| u.role);
    let may = |r: Role| role.is_some_and(|x| x >= r);
    json!({
        "user": user.map(|u| json!({
            "name": u.name,
            "role": u.role.as_str(),
            "unit": u.unit.map(|c| c.to_string()),
        })),
        "may": {
            "personal": may(Role::Operator),
            "report": may(Role::Operator),
            "workflow": may(Role::Operator),
            "positions": may(Role::Operator),
            "edit": may(Role::Planner),
            "import": may(Role::Gis),
            "users": may(Role::Admin),
            "audit": may(Role::Admin),
        },
    })
}

/// `GET /api/me`: the access mode and the signed-in user (null when anonymous).
pub async fn me(State(state): State<AppState>, caller: Caller) -> Json<Value> {
    let mut v = describe(caller.user());
    v["mode"] = json!(state.config().access.as_str());
    Json(v)
}

/// `POST /api/login` with `{"token"}`: checks the token and keeps it in an HTTP-only
/// cookie, so that tiles, the live feed and every API call of the web map carry it.
pub async fn login(State(state): State<AppState>, body: axum::body::Bytes) -> ApiResult<Response> {
    let login: Login = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"token\": \"om_...\"}}: {e}")))?;
    let user = state.sessions().user(&state, login.token.trim()).await?;
    let mut v = describe(Some(&user));
    v["mode"] = json!(state.config().access.as_str());
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000",
        login.token.trim()
    );
    let mut r = Json(v).into_response();
    let value = HeaderValue::from_str(&cookie).map_err(|_| {
        ApiError::BadRequest("the token has characters a cookie cannot hold".into())
    })?;
    r.headers_mut().insert(header::SET_COOKIE, value);
    Ok(r)
}

/// `POST /api/logout`: drops the login cookie.
pub async fn logout() -> Response {
    let mut r = Json(json!({ "user": null })).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("onemap_token=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

/// `GET /api/users` (admin): every user of the caller's unit.
pub async fn users(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require(Role::Admin)?;
    let scope = caller.scope();
    let users: Vec<Value> = state
        .store()
        .users()
        .await?
        .into_iter()
        .filter(|u| u.unit.is_none_or(|c| scope.contains_admin(c)))
        .map(|u| {
            json!({
                "name": u.name,
                "role": u.role.as_str(),
                "unit": u.unit.map(|c| c.to_string()),
                "disabled": u.disabled,
                "created_at": u.created_at,
            })
        })
        .collect();
    Ok(Json(json!({ "users": users })))
}
