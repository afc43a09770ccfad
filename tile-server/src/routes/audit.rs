//! `GET /api/audit`: every write, who made it, when, what and from where (admin only), as
//! JSON or CSV for export.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo_core::access::Role;
use geo_core::store::{ChangeKind, ChangeQuery, ChangeRecord};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::params;
use crate::state::AppState;

/// Most records in one page.
const MAX_PAGE: usize = 10_000;

/// `GET /api/audit` parameters.
#[derive(Debug, Deserialize)]
pub struct AuditParams {
    /// Records after this sequence number.
    #[serde(default)]
    pub since: u64,
    /// At most this many (default 1,000, at most 10,000).
    pub limit: Option<usize>,
    /// Only by this user.
    pub user: Option<String>,
    /// Only of this kind (`import`, `report`, `step`, `positions`, `edit`, `revert`, `users`).
    pub kind: Option<String>,
    /// Only at or after this time (RFC 3339 or Unix seconds).
    pub from: Option<String>,
    /// Only before this time.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

fn row(r: &ChangeRecord) -> Value {
    json!({
        "seq": r.seq,
        "time": chrono::DateTime::from_timestamp(r.time, 0).map(|t| t.to_rfc3339()),
        "user": r.author,
        "origin": r.origin,
        "kind": r.kind.as_str(),
        "summary": r.summary,
        "layers": r.layers.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "rows": r.rows,
        "keys": r.keys.as_ref().map(|k| k.iter().map(ToString::to_string).collect::<Vec<_>>()),
    })
}

/// One CSV field, quoted when it holds a separator, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The audit log page.
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    caller.require(Role::Admin)?;
    let kind = p
        .kind
        .as_deref()
        .map(|k| {
            ChangeKind::parse(k).ok_or_else(|| ApiError::BadRequest(format!("unknown kind {k:?}")))
        })
        .transpose()?;
    let query = ChangeQuery {
        since: p.since,
        limit: p.limit.unwrap_or(1_000).clamp(1, MAX_PAGE),
        author: p.user,
        kind,
        from: p.from.as_deref().map(params::time).transpose()?,
        to: p.to.as_deref().map(params::time).transpose()?,
    };
    let records = state.store().changes(query).await?;
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(
            Json(json!({ "records": records.iter().map(row).collect::<Vec<_>>() })).into_response(),
        ),
        "csv" => {
            let mut out = String::from("seq,time,user,origin,kind,summary,layers,rows\n");
            for r in &records {
                let time = chrono::DateTime::from_timestamp(r.time, 0)
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                let layers: Vec<&str> = r.layers.iter().map(|l| l.as_str()).collect();
                // Writing into a String cannot fail.
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    r.seq,
                    time,
                    csv_field(&r.author),
                    csv_field(&r.origin),
                    r.kind.as_str(),
                    csv_field(&r.summary),
                    csv_field(&layers.join(" ")),
                    r.rows
                );
            }
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"onemap-audit.csv\"",
                    ),
                ],
                out,
            )
                .into_response())
        }
        other => Err(ApiError::BadRequest(format!(
            "format {other:?}: json or csv"
        ))),
    }
}
