//! Import over HTTP, the web wizard's API: upload a file, look at what the checks found
//! (report, findings and the prepared features as `GeoJSON` for the map), then commit it in
//! one change set or cancel. Nothing is written before the commit.
//!
//! - `POST /api/imports?layer=L&name=FILE[&crs=C][&encoding=E][&table=T][&tolerance_m=M][&map=P]`,
//!   the file's raw bytes as the body (at most [`MAX_UPLOAD`]; a Shapefile as a `.zip`), `P`
//!   a mapping file's text (JSON or TOML, see `geo_core::load::Mapping`): reads and checks
//!   it (`source::read_bytes` + `load::prepare`, misfits narrower than `M` metres closed)
//!   and keeps it pending -> 201 `{id, layer, file, errors, warnings, groups, report,
//!   columns, properties, choices}` (`groups`: the findings by check, worst first;
//!   `columns`: the file's columns with their distinct code values, and what they may be
//!   mapped to); 400 for an unknown layer, CRS or format, a bad mapping, a tolerance out of
//!   range, or a file that cannot be read; 413 for a body over [`MAX_UPLOAD`] or a file past
//!   one of `geo_core::limits` (zip expansion, vertices per geometry, features), the message
//!   naming the limit; 429 when the user already has
//!   [`crate::import_sessions::MAX_PENDING_PER_OWNER`] imports pending.
//! - `GET /api/imports/{id}` -> the same document.
//! - `GET /api/imports/{id}/features.geojson` -> the features that would be written, lon/lat.
//! - `GET /api/imports/{id}/findings.geojson` -> one feature per finding: its piece (overlap,
//!   gap) when it has one, else a point at its place, else no geometry; properties
//!   `finding` (position in the report's list), `index`, `id`, `check`, `severity`,
//!   `message`, `area_m2`, `other`.
//! - `POST /api/imports/{id}/commit`, optional JSON body `{"skip_invalid": bool}`: writes
//!   through `AppState::apply` -> 200 `{written, seq}`; 409 with the report when it has
//!   errors and `skip_invalid` is not set (then only the valid rest is written).
//! - `DELETE /api/imports/{id}` -> 204.
//!
//! An unknown or expired id is a 404. Pending imports live in memory
//! ([`crate::import_sessions`]).

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

use geo_core::crs::Crs;
use geo_core::formats;
use geo_core::load::{self, LoadOptions};
use geo_core::model::Layer;
use geo_core::source::{SourceError, SourceOptions};
use geo_core::store::ChangeSet;
use geo_core::validate::Finding;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::auth::{need, Authorized, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::import_sessions::{ImportSessions, PendingImport};
use crate::state::AppState;

/// Largest upload accepted, bytes: enforced while the body streams in (a declared
/// `Content-Length` over it is refused before a byte is read).
pub const MAX_UPLOAD: usize = 256 * 1024 * 1024;

/// How much of a refused upload is still read (and thrown away) after the 413 is sent, so
/// that a client that writes its whole body before it reads sees the answer instead of a
/// reset connection; a client sending more, or for longer than [`DRAIN_TIME`], is cut off.
const DRAIN_MAX: u64 = 1 << 30;

/// How long a refused upload is drained at most.
const DRAIN_TIME: Duration = Duration::from_secs(60);

const GEOJSON: &str = "application/geo+json";

/// The import routes, with their own pending-import store and body limit.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/imports",
            // The upload reads its body itself, counting as it streams (`read_upload`).
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/imports/{id}", get(pending).delete(cancel))
        .route("/api/imports/{id}/features.geojson", get(features))
        .route("/api/imports/{id}/findings.geojson", get(findings))
        .route("/api/imports/{id}/commit", post(commit))
        .layer(Extension(ImportSessions::new()))
}

/// Query parameters of the upload.
#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// The layer the features become (`grids`, `admin`, `cameras`...).
    layer: Option<String>,
    /// The file's name: its extension says the format.
    name: Option<String>,
    /// The CRS of the coordinates when the file does not say, or says wrong; empty or
    /// `auto` for the file's own.
    crs: Option<String>,
    /// Attribute text encoding (`GBK`, `UTF-8`...), overriding `.cpg` and detection.
    encoding: Option<String>,
    /// GeoPackage table or KML folder to read.
    table: Option<String>,
    /// Misfits between neighbours narrower than this (m) are closed; 0 leaves them as
    /// drawn (default `validate::Tolerances::misfit_m`).
    tolerance_m: Option<f64>,
    /// A mapping (the text of a mapping file, JSON or TOML) of the file's columns and
    /// values onto onemap's.
    map: Option<String>,
}

/// The widest misfit the wizard may ask to close: beyond a few metres a "misfit" is a
/// boundary dispute, which the user should see, not have closed.
const MAX_TOLERANCE_M: f64 = 5.0;

/// What a [`UploadQuery`] asks for, checked.
struct Upload {
    layer: Layer,
    name: String,
    opts: LoadOptions,
}

impl UploadQuery {
    fn check(self) -> ApiResult<Upload> {
        let layer_text = required("layer", self.layer)?;
        let layer: Layer = layer_text.parse().map_err(|_| {
            ApiError::BadRequest(format!(
                "layer {layer_text:?} does not exist; one of {}",
                Layer::ALL.map(Layer::as_str).join(", ")
            ))
        })?;
        let name = required("name", self.name)?;
        let crs = match non_empty(self.crs) {
            None => None,
            Some(c) if c.eq_ignore_ascii_case("auto") => None,
            Some(c) => Some(
                c.parse::<Crs>()
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?,
            ),
        };
        let mut opts = LoadOptions::new(layer);
        opts.crs = crs;
        if let Some(t) = self.tolerance_m {
            if !(t.is_finite() && (0.0..=MAX_TOLERANCE_M).contains(&t)) {
                return Err(ApiError::BadRequest(format!(
                    "tolerance_m {t} is not a width in metres from 0 to {MAX_TOLERANCE_M}"
                )));
            }
            opts.tolerances.misfit_m = t;
        }
        opts.source = SourceOptions {
            layer: non_empty(self.table),
            encoding: non_empty(self.encoding),
            ..SourceOptions::default()
        };
        if let Some(text) = non_empty(self.map) {
            let mapping = load::Mapping::parse("map", &text)
                .and_then(|m| opts.set_mapping(m))
                .map_err(|e| ApiError::BadRequest(e.to_string()));
            mapping?;
        }
        // Prepare the valid rest too: the report says what would be skipped, and a commit
        // with `skip_invalid` writes it. A commit without it is refused while errors stand.
        opts.skip_invalid = true;
        Ok(Upload { layer, name, opts })
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn required(what: &str, v: Option<String>) -> ApiResult<String> {
    non_empty(v).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{what} is missing: POST /api/imports?layer=grids&name=FILE.geojson with the file as the body"
        ))
    })
}

/// `POST /api/imports`: reads and checks the body, keeps it pending -> 201.
pub async fn upload(
    caller: Authorized<need::Gis>,
    State(state): State<AppState>,
    Extension(sessions): Extension<ImportSessions>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    // Pending imports are counted per user.
    let owner = caller.author();
    let refuse = |e: ApiError, body: Body| {
        drain(body.into_data_stream());
        Err(e)
    };
    let Upload {
        layer,
        name,
        mut opts,
    } = match q.check() {
        Ok(u) => u,
        Err(e) => return refuse(e, body),
    };
    // Refused before the body is read: a refused upload costs nothing.
    if let Err(e) = sessions.check_room(&owner) {
        return refuse(ApiError::TooManyRequests(e.to_string()), body);
    }
    // The server's deadline policy, so an imported incident gets the deadline a report would.
    opts.deadlines = state.config().deadlines;
    let body = read_upload(&name, &headers, body).await?;
    if body.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "{name}: the request body is empty; send the file's bytes as the body"
        )));
    }
    // Checked against the data now served (villages for grids, parent units for admin);
    // the core is shared, not copied.
    let core = state.core()?;
    let file = name.clone();
    let prepared = tokio::task::spawn_blocking(move || {
        load::prepare_bytes(&file, &body, &opts, &core.import_context()).map_err(source_error)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("import of {name} stopped: {e}")))??;
    let pending = sessions
        .insert(&owner, layer, name, prepared)
        .map_err(|e| ApiError::TooManyRequests(e.to_string()))?;
    Ok((StatusCode::CREATED, Json(document(&pending))).into_response())
}

/// The upload's bytes, at most [`MAX_UPLOAD`]: a declared length over it is refused before
/// anything is read, and a body that streams past it (chunked, or longer than declared) is
/// refused at the chunk that crosses it, its bytes so far freed at once.
async fn read_upload(name: &str, headers: &HeaderMap, body: Body) -> ApiResult<Bytes> {
    let too_large = |size: &str| {
        ApiError::TooLarge(format!(
            "{name}: the upload is {size}; at most {MAX_UPLOAD} bytes ({} MiB) are accepted (limit upload_bytes); split the file",
            MAX_UPLOAD >> 20
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if let Some(n) = declared.filter(|&n| n > MAX_UPLOAD as u64) {
        drain(stream);
        return Err(too_large(&format!("{n} bytes")));
    }
    // One buffer of the declared size: no copy of a collected chunk list afterwards.
    let mut buf = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::BadRequest(format!("{name}: the upload broke off: {e}")))?;
        if buf.len() + chunk.len() > MAX_UPLOAD {
            drop(buf);
            drain(stream);
            return Err(too_large("larger than that"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Reads and drops the rest of a refused upload in the background, at most [`DRAIN_MAX`]
/// bytes for at most [`DRAIN_TIME`]: nothing of it is kept.
fn drain(mut stream: BodyDataStream) {
    tokio::spawn(async move {
        let mut left = DRAIN_MAX;
        let _ = tokio::time::timeout(DRAIN_TIME, async {
            while let Some(Ok(chunk)) = stream.next().await {
                match left.checked_sub(chunk.len() as u64) {
                    Some(l) => left = l,
                    None => break,
                }
            }
        })
        .await;
    });
}

/// A file that cannot be read is the client's to fix; one past a limit is a 413 whose
/// message names the limit.
fn source_error(e: SourceError) -> ApiError {
    match e {
        SourceError::Io { .. } => ApiError::Internal(e.to_string()),
        SourceError::Limit(_) => ApiError::TooLarge(e.to_string()),
        other => ApiError::BadRequest(other.to_string()),
    }
}

/// Examples of each group of findings the wizard lists; the rest are on its map.
const WIZARD_WORST: usize = 10;

/// The pending import as the client sees it: the report, and for the wizard's mapping step
/// the file's columns (with the property each is read as and, for code columns, their
/// distinct values), the layer's properties and the values of its enum properties.
fn document(p: &PendingImport) -> Value {
    let report = &p.prepared.report;
    let properties = load::properties(p.layer);
    let choices: Map<String, Value> = properties
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), load::choices(p.layer, name)?.into())))
        .collect();
    let columns: Vec<Value> = p
        .prepared
        .columns
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "property": c.property,
                "values": c.values.iter().map(|(v, n)| json!({"value": v, "rows": n})).collect::<Vec<_>>(),
                "more": c.more,
            })
        })
        .collect();
    json!({
        "id": p.id,
        "layer": p.layer.as_str(),
        "file": p.file,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "groups": report.groups(WIZARD_WORST),
        "report": report,
        "columns": columns,
        "properties": properties,
        "choices": choices,
    })
}

fn find(sessions: &ImportSessions, id: &str) -> ApiResult<Arc<PendingImport>> {
    sessions.get(id).ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no pending import {id:?}: it was committed, cancelled or expired; upload the file again"
    ))
}

/// `GET /api/imports/{id}`
pub async fn pending(
    _caller: Authorized<need::Gis>,
    Extension(sessions): Extension<ImportSessions>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let p = find(&sessions, &id)?;
    Ok(Json(document(&p)))
}

/// `GET /api/imports/{id}/features.geojson`: every feature of the file for the map preview:
/// those that would be written (onemap's properties, plus `import: "accepted"`), then those
/// left out for their errors (`import: "skipped"`, `index`, `id`).
pub async fn features(
    _caller: Authorized<need::Gis>,
    Extension(sessions): Extension<ImportSessions>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = find(&sessions, &id)?;
    // Serialising a large layer takes a while: off the async workers.
    let body = tokio::task::spawn_blocking(move || preview(&p))
        .await
        .map_err(|e| ApiError::Internal(format!("preview stopped: {e}")))??;
    Ok(([(header::CONTENT_TYPE, GEOJSON)], body).into_response())
}

/// The preview `FeatureCollection`, written one feature at a time.
fn preview(p: &PendingImport) -> ApiResult<Vec<u8>> {
    let mut out = b"{\"type\":\"FeatureCollection\",\"features\":[".to_vec();
    formats::for_each_feature(&p.prepared.data, p.layer, None, false, |mut f| {
        f.properties
            .get_or_insert_with(Map::new)
            .insert("import".into(), "accepted".into());
        append_feature(&mut out, &f)
    })?;
    for s in &p.prepared.left_out {
        let f = json!({
            "type": "Feature",
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&s.geometry)),
            "properties": { "import": "skipped", "index": s.index, "id": s.id },
        });
        append_feature(&mut out, &f)?;
    }
    out.extend_from_slice(b"]}");
    Ok(out)
}

/// Appends one feature to a `FeatureCollection` being written (a comma after the first).
fn append_feature(out: &mut Vec<u8>, f: &impl serde::Serialize) -> ApiResult<()> {
    if out.last() != Some(&b'[') {
        out.push(b',');
    }
    serde_json::to_writer(out, f).map_err(|e| ApiError::Internal(format!("preview: {e}")))
}

/// `GET /api/imports/{id}/findings.geojson`: the findings where they are.
pub async fn findings(
    _caller: Authorized<need::Gis>,
    Extension(sessions): Extension<ImportSessions>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = find(&sessions, &id)?;
    let features: Vec<Value> = p
        .prepared
        .report
        .findings
        .iter()
        .enumerate()
        .map(|(n, f)| finding_feature(n, f))
        .collect();
    let body = json!({ "type": "FeatureCollection", "features": features });
    Ok(([(header::CONTENT_TYPE, GEOJSON)], Json(body)).into_response())
}

/// One finding as a `GeoJSON` feature: its piece, else its point, else no geometry.
fn finding_feature(n: usize, f: &Finding) -> Value {
    let geometry = match (&f.geometry, f.lon, f.lat) {
        (Some(g), _, _) => {
            serde_json::to_value(geojson::Geometry::new(geojson::GeometryValue::from(g)))
                .unwrap_or(Value::Null)
        }
        (None, Some(lon), Some(lat)) if lon.is_finite() && lat.is_finite() => {
            json!({ "type": "Point", "coordinates": [lon, lat] })
        }
        _ => Value::Null,
    };
    let mut props = Map::new();
    props.insert("finding".into(), n.into());
    props.insert("index".into(), json!(f.index));
    props.insert("id".into(), json!(f.id));
    props.insert("check".into(), f.check.as_str().into());
    props.insert("severity".into(), f.severity.as_str().into());
    props.insert("message".into(), f.message.clone().into());
    props.insert("area_m2".into(), json!(f.area_m2));
    props.insert("other".into(), json!(f.other));
    json!({ "type": "Feature", "id": n, "geometry": geometry, "properties": props })
}

/// Body of the commit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitBody {
    /// Write the valid features and leave out those with errors.
    #[serde(default)]
    skip_invalid: bool,
}

/// `POST /api/imports/{id}/commit`: writes the import in one change set.
pub async fn commit(
    caller: Authorized<need::Gis>,
    State(state): State<AppState>,
    Extension(sessions): Extension<ImportSessions>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let ask: CommitBody = if body.iter().all(u8::is_ascii_whitespace) {
        CommitBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::BadRequest(format!(
                "commit body: {e}; send {{\"skip_invalid\": true}} or nothing"
            ))
        })?
    };
    // Taken out first: two commits of one import must not write it twice.
    let p = sessions.remove(&id).ok_or_else(|| not_found(&id))?;
    let errors = p.prepared.report.errors();
    if errors > 0 && !ask.skip_invalid {
        let answer = json!({
            "code": "conflict",
            "description": format!(
                "{}: {errors} errors; nothing written. Fix the file, or commit with skip_invalid to write the {} valid features",
                p.file, p.prepared.report.accepted
            ),
            "id": p.id,
            "errors": errors,
            "report": p.prepared.report,
        });
        sessions.put(p);
        return Ok((StatusCode::CONFLICT, Json(answer)).into_response());
    }
    if let Err(e) = in_scope(&caller, &state, &p.prepared.data) {
        sessions.put(p);
        return Err(e);
    }
    let written = formats::layer_len(&p.prepared.data, p.layer);
    if written == 0 {
        return Ok(Json(json!({ "written": 0, "seq": null })).into_response());
    }
    let changes = ChangeSet {
        // A copy, so that the import can be put back if the store refuses the write.
        upserts: p.prepared.data.clone(),
        author: caller.author(),
        origin: caller.origin().to_owned(),
        summary: format!(
            "import {} into {} ({written} features{})",
            p.file,
            p.layer,
            if errors > 0 {
                format!(", {} skipped", p.prepared.report.skipped.len())
            } else {
                String::new()
            }
        ),
        ..ChangeSet::default()
    };
    match state.apply(changes).await {
        Ok(applied) => Ok(Json(json!({
            "written": written,
            "seq": applied.seq,
            "layers": applied.layers.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        }))
        .into_response()),
        Err(e) => {
            // Nothing was written: the user may cancel, or read the report again.
            sessions.put(p);
            Err(e)
        }
    }
}

/// Ok if every feature of the import lies in the caller's unit: admin units and grids by
/// code, points by the grid they fall in, workers by their grids.
fn in_scope(caller: &Caller, state: &AppState, data: &geo_core::model::Dataset) -> ApiResult<()> {
    let scope = caller.scope();
    if scope.is_all() {
        return Ok(());
    }
    for a in &data.admin {
        caller.require_in_scope(&a.code.to_string())?;
    }
    for g in &data.grids {
        caller.require_in_scope(&g.code.to_string())?;
    }
    for w in &data.workers {
        if !w.grids.iter().any(|g| scope.contains_grid(*g)) {
            return Err(ApiError::Forbidden(format!(
                "worker {} works outside {}'s unit",
                w.id,
                caller.author()
            )));
        }
    }
    let core = state.core()?;
    let points = data
        .cameras
        .iter()
        .map(|c| c.location)
        .chain(data.incidents.iter().map(|i| i.location))
        .chain(data.centers.iter().map(|c| c.location));
    for p in points {
        caller.require_point_in_scope(&core, p.x(), p.y())?;
    }
    Ok(())
}

/// `DELETE /api/imports/{id}`: forgets the import -> 204.
pub async fn cancel(
    _caller: Authorized<need::Gis>,
    Extension(sessions): Extension<ImportSessions>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    sessions
        .remove(&id)
        .map(|_| StatusCode::NO_CONTENT)
        .ok_or_else(|| not_found(&id))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A body of `chunks` chunks of 1 MiB that counts how many were taken from it.
    fn counted_body(chunks: usize) -> (Body, Arc<AtomicUsize>) {
        let taken = Arc::new(AtomicUsize::new(0));
        let t = Arc::clone(&taken);
        let stream = futures_util::stream::iter(0..chunks).map(move |_| {
            t.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from(vec![0_u8; 1 << 20]))
        });
        (Body::from_stream(stream), taken)
    }

    // On the test's one-thread runtime the background drain has not run yet when
    // `read_upload` returns, so the counts are what the refusal itself read.

    #[tokio::test]
    async fn a_streamed_upload_is_cut_at_the_chunk_that_crosses_the_limit() {
        let (body, taken) = counted_body(400);
        let e = read_upload("x.geojson", &HeaderMap::new(), body)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ApiError::TooLarge(m) if m.contains("limit upload_bytes")),
            "{e}"
        );
        assert_eq!(taken.load(Ordering::SeqCst), (MAX_UPLOAD >> 20) + 1);
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let (body, taken) = counted_body(400);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, (400_u64 << 20).into());
        let e = read_upload("x.geojson", &headers, body).await.unwrap_err();
        assert!(matches!(e, ApiError::TooLarge(_)), "{e}");
        assert_eq!(taken.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_upload_of_exactly_the_limit_is_read() {
        let (body, _) = counted_body(MAX_UPLOAD >> 20);
        let bytes = read_upload("x.geojson", &HeaderMap::new(), body)
            .await
            .unwrap();
        assert_eq!(bytes.len(), MAX_UPLOAD);
    }
}
