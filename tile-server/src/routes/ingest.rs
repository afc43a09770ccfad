//! Live data in: incident reports (`POST /api/incidents`, one `GeoJSON` Feature, a
//! `FeatureCollection`, or an `application/x-ndjson` batch), workflow steps
//! (`POST /api/incidents/{id}/{step}`) and GPS fixes (`POST /api/positions`, NDJSON).
//! Every one is a change set through [`AppState::write`]: acknowledged once durable and
//! visible in the core, announced on `/api/live`.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use geo_core::index::Core;
use geo_core::model::{
    local_day, workflow, Category, Incident, IncidentDetails, IncidentId, Lifecycle, Patrol,
    PatrolId, Source, Step, Supervision, UnixTime, WorkerId,
};
use geo_core::store::{ChangeKind, Position, StepRecord};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{need, Authorized};
use crate::error::{ApiError, ApiResult};
use crate::params;
use crate::state::AppState;

/// Largest batch body accepted, bytes (about 50,000 incidents or 200,000 fixes).
pub const MAX_BATCH: usize = 32 * 1024 * 1024;
/// How far in the future a client clock may be, seconds.
const CLOCK_SKEW: i64 = 300;

pub(crate) fn now() -> UnixTime {
    chrono::Utc::now().timestamp()
}

/// A time given as RFC 3339 text or Unix seconds.
fn time_value(v: &Value, what: &str) -> ApiResult<UnixTime> {
    match v {
        Value::String(s) => params::time(s),
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| ApiError::BadRequest(format!("{what} {n} is not whole seconds"))),
        other => Err(ApiError::BadRequest(format!(
            "{what} {other} must be an RFC 3339 time or Unix seconds"
        ))),
    }
}

fn not_future(t: UnixTime, what: &str) -> ApiResult<UnixTime> {
    if t > now() + CLOCK_SKEW {
        return Err(ApiError::BadRequest(format!(
            "{what} is in the future ({}); check the device clock",
            chrono::DateTime::from_timestamp(t, 0)
                .map_or_else(|| t.to_string(), |d| d.to_rfc3339())
        )));
    }
    Ok(t)
}

/// The properties a report may carry (what is missing gets a stated default).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportProps {
    category: String,
    subcategory: Option<String>,
    source: Option<String>,
    people: Option<u16>,
    reported_at: Option<Value>,
    deadline: Option<Value>,
    supervision: Option<String>,
    description: Option<String>,
    reporter: Option<String>,
}

/// One reported incident, parsed: the id the client gave, if any.
struct Report {
    id: Option<u64>,
    incident: Incident,
    details: IncidentDetails,
}

fn one_of<T: Copy>(what: &str, s: &str, all: &[T], name: fn(T) -> &'static str) -> ApiResult<T> {
    all.iter().copied().find(|v| name(*v) == s).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{what} {s:?} is not one of {}",
            all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// Parses one `GeoJSON` Feature of a report (position `n` in the batch, for messages).
fn report(f: &Value, n: usize, policy: &geo_core::model::DeadlinePolicy) -> ApiResult<Report> {
    let at = |e: ApiError| ApiError::BadRequest(format!("feature {n}: {e}"));
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(at(ApiError::BadRequest("is not a GeoJSON Feature".into())));
    }
    let id = match f.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(x)) => Some(x.as_u64().ok_or_else(|| {
            at(ApiError::BadRequest(format!(
                "id {x} must be a whole number"
            )))
        })?),
        Some(Value::String(s)) => Some(s.parse::<u64>().map_err(|_| {
            at(ApiError::BadRequest(format!(
                "id {s:?} must be a whole number"
            )))
        })?),
        Some(other) => {
            return Err(at(ApiError::BadRequest(format!(
                "id {other} must be a number"
            ))))
        }
    };
    let coords = f
        .pointer("/geometry/coordinates")
        .and_then(Value::as_array)
        .filter(|_| f.pointer("/geometry/type").and_then(Value::as_str) == Some("Point"))
        .ok_or_else(|| at(ApiError::BadRequest("geometry must be a Point".into())))?;
    let (lon, lat) = match coords.as_slice() {
        [x, y, ..] => (x.as_f64(), y.as_f64()),
        _ => (None, None),
    };
    let (lon, lat) = params::lon_lat(lon, lat).map_err(at)?;
    geo_core::formats::check_lon_lat(lon, lat).map_err(|e| at(ApiError::BadRequest(e.message)))?;
    let props: ReportProps =
        serde_json::from_value(f.get("properties").cloned().unwrap_or(Value::Null))
            .map_err(|e| at(ApiError::BadRequest(format!("properties: {e}"))))?;
    let category = one_of(
        "category",
        &props.category,
        &Category::ALL,
        Category::as_str,
    )
    .map_err(at)?;
    // No subcategory given: unspecified, shown as 其他 / other.
    let subcategory = match props.subcategory.as_deref() {
        None => geo_core::model::UNSPECIFIED_SUBCATEGORY,
        Some(s) => category
            .subcategories()
            .iter()
            .position(|(api, _)| *api == s)
            .and_then(|i| u8::try_from(i).ok())
            .ok_or_else(|| {
                at(ApiError::BadRequest(format!(
                    "subcategory {s:?} is not one of {}",
                    category
                        .subcategories()
                        .iter()
                        .map(|(a, _)| *a)
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            })?,
    };
    let source = match props.source.as_deref() {
        None => Source::GridWorker,
        Some(s) => one_of("source", s, &Source::ALL, Source::as_str).map_err(at)?,
    };
    let supervision = match props.supervision.as_deref() {
        None => Supervision::None,
        Some(s) => one_of("supervision", s, &Supervision::ALL, Supervision::as_str).map_err(at)?,
    };
    let reported_at = match &props.reported_at {
        None => now(),
        Some(v) => {
            not_future(time_value(v, "reported_at").map_err(at)?, "reported_at").map_err(at)?
        }
    };
    let deadline = match &props.deadline {
        None => policy.deadline(category, reported_at),
        Some(v) => time_value(v, "deadline").map_err(at)?,
    };
    Ok(Report {
        id,
        incident: Incident {
            id: IncidentId(id.unwrap_or(0)),
            location: geo_types::Point::new(lon, lat),
            category,
            subcategory,
            source,
            people: props.people.unwrap_or(1),
            status: Step::Reported,
            lifecycle: Lifecycle::reported(reported_at),
            deadline,
            supervision,
        },
        details: IncidentDetails {
            description: props.description.unwrap_or_default(),
            reporter: props.reporter.unwrap_or_default(),
        },
    })
}

/// Whether the body is NDJSON (by content type).
fn is_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("application/x-ndjson") || t.starts_with("application/ndjson")
        })
}

/// The JSON values of a body: NDJSON lines, or one document (a `FeatureCollection`'s
/// features).
fn documents(headers: &HeaderMap, body: &[u8]) -> ApiResult<Vec<Value>> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::BadRequest(format!("body is not UTF-8: {e}")))?;
    if is_ndjson(headers) {
        return text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| {
                serde_json::from_str(l)
                    .map_err(|e| ApiError::BadRequest(format!("line {}: {e}", n + 1)))
            })
            .collect();
    }
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::BadRequest(format!("body is not JSON: {e}")))?;
    match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => Ok(doc
            .get("features")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()),
        _ => Ok(vec![doc]),
    }
}

/// `POST /api/incidents`: stores new incidents (a client id already stored is kept once,
/// not written again) -> 201 `{ids, created, existing, seq}`.
pub async fn report_incidents(
    State(state): State<AppState>,
    caller: Authorized<need::Operator>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let policy = state.config().deadlines;
    let docs = documents(&headers, &body)?;
    if docs.is_empty() {
        return Err(ApiError::BadRequest("no incident in the body".into()));
    }
    let reports = docs
        .iter()
        .enumerate()
        .map(|(n, f)| report(f, n, &policy))
        .collect::<ApiResult<Vec<_>>>()?;
    let (applied, (ids, existing)) = state
        .write(move |core| {
            let mut next_id = core.incidents().max_id().map_or(1, |m| m + 1);
            let mut c = caller.change_set(ChangeKind::Report, String::new());
            let mut ids = Vec::with_capacity(reports.len());
            let mut existing = 0usize;
            let mut seen = std::collections::HashSet::new();
            for mut r in reports {
                let id = match r.id {
                    // Reported before (or twice in this batch): stored once.
                    Some(id)
                        if core.incident_index(IncidentId(id)).is_some() || !seen.insert(id) =>
                    {
                        existing += 1;
                        ids.push(id);
                        continue;
                    }
                    Some(id) => id,
                    None => {
                        while core.incident_index(IncidentId(next_id)).is_some()
                            || seen.contains(&next_id)
                        {
                            next_id += 1;
                        }
                        next_id += 1;
                        next_id - 1
                    }
                };
                seen.insert(id);
                let at = r.incident.location;
                caller.require_point_in_scope(core, at.x(), at.y())?;
                r.incident.id = IncidentId(id);
                ids.push(id);
                c.upserts.incidents.push(r.incident);
                c.upserts.incident_details.push(r.details);
            }
            c.summary = format!("report {} incident(s)", c.upserts.incidents.len());
            Ok((c, (ids, existing)))
        })
        .await?;
    let created = ids.len() - existing;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "ids": ids, "created": created, "existing": existing, "seq": applied.seq })),
    )
        .into_response())
}

/// The optional body of a step.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// For `dispatch`: the worker (default: the lead worker of the grid the incident lies in).
    pub worker: Option<String>,
    /// Free text kept in the history.
    pub note: Option<String>,
    /// When the step happened (default: now), RFC 3339 or Unix seconds.
    pub time: Option<Value>,
    /// A new supervision level with the step.
    pub supervision: Option<String>,
}

/// The step named in a URL: accept, file, dispatch, handle, verify, close, cancel,
/// postpone, `send_back`.
fn step_of(name: &str) -> ApiResult<Step> {
    Ok(match name {
        "accept" => Step::Accepted,
        "file" => Step::Filed,
        "dispatch" => Step::Dispatched,
        "handle" => Step::Handling,
        "verify" => Step::Verifying,
        "close" => Step::Closed,
        "cancel" => Step::Cancelled,
        "postpone" => Step::Postponed,
        "send_back" => Step::SentBack,
        other => {
            return Err(ApiError::NotFound(format!(
                "no step {other:?}; steps are accept, file, dispatch, handle, verify, close, cancel, postpone, send_back"
            )))
        }
    })
}

/// The URL name of a step.
pub(crate) fn step_name(s: Step) -> &'static str {
    match s {
        Step::Reported => "report",
        Step::Accepted => "accept",
        Step::Filed => "file",
        Step::Dispatched => "dispatch",
        Step::Handling => "handle",
        Step::Verifying => "verify",
        Step::Closed => "close",
        Step::Cancelled => "cancel",
        Step::Postponed => "postpone",
        Step::SentBack => "send_back",
    }
}

/// The lead worker of the grid `inc` lies in now.
fn responsible_worker(core: &Core, inc: &Incident) -> Option<WorkerId> {
    let here = core.locate(inc.location.x(), inc.location.y()).ok()?;
    here.workers.first().map(|w| w.id.clone())
}

/// `POST /api/incidents/{id}/{step}`: takes a workflow step -> 200 `{id, status, step,
/// time, worker, seq, next}`; 409 naming the allowed next steps when it does not follow
/// the current status; 404 for an unknown incident or step.
pub async fn take_step(
    State(state): State<AppState>,
    caller: Authorized<need::Operator>,
    Path((id, step)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let id: u64 = id
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("incident id {id:?} must be a whole number")))?;
    let step = step_of(&step)?;
    let b: StepBody = if body.iter().all(u8::is_ascii_whitespace) {
        StepBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("body: {e}")))?
    };
    let time = match &b.time {
        None => now(),
        Some(v) => not_future(time_value(v, "time")?, "time")?,
    };
    let supervision = b
        .supervision
        .as_deref()
        .map(|s| one_of("supervision", s, &Supervision::ALL, Supervision::as_str))
        .transpose()?;
    let who = caller.author();
    let (applied, (inc, worker)) = state
        .write(move |core| {
            let i = core
                .incident_index(IncidentId(id))
                .ok_or_else(|| ApiError::NotFound(format!("incident {id} not found")))?;
            let old = core
                .incidents()
                .get(i)
                .ok_or_else(|| ApiError::NotFound(format!("incident {id} not found")))?;
            // The incident's unit is the one its panel and tiles show it in: the grid
            // revision in force when it occurred.
            if !core.incident_in_scope(&caller.scope(), i) {
                return Err(ApiError::Forbidden(format!(
                    "incident {id} lies outside {}'s unit",
                    caller.author()
                )));
            }
            let mut next = workflow::take(old, step, time).map_err(|e| ApiError::Conflict {
                message: e.to_string(),
                detail: json!({
                    "id": id,
                    "status": old.status.as_str(),
                    "allowed": workflow::next_steps(old.status).iter().map(|s| step_name(*s)).collect::<Vec<_>>(),
                }),
            })?;
            if let Some(s) = supervision {
                next.supervision = s;
            }
            let worker = match (step, b.worker) {
                (Step::Dispatched, Some(w)) => {
                    let w = WorkerId(w);
                    core.worker_index(&w).ok_or_else(|| {
                        ApiError::BadRequest(format!("worker {w} is not in the workers layer"))
                    })?;
                    Some(w)
                }
                (Step::Dispatched, None) => Some(responsible_worker(core, old).ok_or_else(|| {
                    ApiError::Conflict {
                        message: format!("incident {id} lies in no grid with a worker; name the worker to dispatch to"),
                        detail: json!({ "id": id, "status": old.status.as_str() }),
                    }
                })?),
                (_, w) => w.map(WorkerId),
            };
            let mut c = caller.change_set(ChangeKind::Step, format!("{} incident {id}", step_name(step)));
            c.steps.push(StepRecord {
                incident: IncidentId(id),
                step,
                time,
                author: who,
                worker: worker.clone(),
                note: b.note.unwrap_or_default(),
            });
            c.upserts.incidents.push(next.clone());
            Ok((c, (next, worker)))
        })
        .await?;
    Ok(Json(json!({
        "id": id,
        "status": inc.status.as_str(),
        "step": inc.status.as_str(),
        "time": chrono::DateTime::from_timestamp(time, 0).map(|d| d.to_rfc3339()),
        "worker": worker,
        "overdue": workflow::is_overdue(&inc, now()),
        "next": workflow::next_steps(inc.status).iter().map(|s| step_name(*s)).collect::<Vec<_>>(),
        "seq": applied.seq,
    })))
}

/// One GPS fix as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fix {
    worker: String,
    time: Value,
    lon: f64,
    lat: f64,
    accuracy: Option<f32>,
}

/// `time`-sorted fixes merged into a track's vertices (a resent time is kept once, the
/// first value received): returns whether anything was new.
fn merge_into(p: &mut Patrol, fixes: &[Position]) -> bool {
    let mut by_time: BTreeMap<UnixTime, geo_types::Coord<f64>> = p
        .times
        .iter()
        .copied()
        .zip(p.track.0.iter().copied())
        .collect();
    let before = by_time.len();
    for f in fixes {
        by_time
            .entry(f.time)
            .or_insert(geo_types::coord! { x: f.lon, y: f.lat });
    }
    if by_time.len() == before {
        return false;
    }
    p.times = by_time.keys().copied().collect();
    p.track = geo_types::LineString(by_time.into_values().collect());
    true
}

/// `POST /api/positions`: NDJSON of `{"worker","time","lon","lat"[,"accuracy"]}` -> 200
/// `{accepted, workers, tracks, seq}`. Each worker's newest fix becomes their position;
/// fixes extend the worker's track of that (UTC+8) day, in time order (late and repeated
/// fixes handled); an unknown worker refuses the batch.
#[allow(clippy::too_many_lines)] // parse, check the scope, merge and write, in order
pub async fn positions(
    State(state): State<AppState>,
    caller: Authorized<need::Operator>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::BadRequest(format!("body is not UTF-8: {e}")))?;
    let mut fixes = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Fix = serde_json::from_str(line)
            .map_err(|e| ApiError::BadRequest(format!("line {}: {e}", n + 1)))?;
        let at = |e: ApiError| ApiError::BadRequest(format!("line {}: {e}", n + 1));
        geo_core::formats::check_lon_lat(f.lon, f.lat)
            .map_err(|e| at(ApiError::BadRequest(e.message)))?;
        let time = not_future(time_value(&f.time, "time").map_err(at)?, "time").map_err(at)?;
        fixes.push(Position {
            worker: WorkerId(f.worker),
            time,
            lon: f.lon,
            lat: f.lat,
            accuracy_m: f.accuracy,
        });
    }
    if fixes.is_empty() {
        return Err(ApiError::BadRequest("no position in the body".into()));
    }
    let accepted = fixes.len();
    let scope = caller.scope();
    let (applied, (workers, tracks)) = state
        .write(move |core| {
            let mut by_worker: HashMap<WorkerId, Vec<Position>> = HashMap::new();
            for f in fixes {
                by_worker.entry(f.worker.clone()).or_default().push(f);
            }
            let mut unknown: Vec<&WorkerId> = by_worker
                .keys()
                .filter(|w| core.worker_index(w).is_none())
                .collect();
            if !unknown.is_empty() {
                unknown.sort();
                let list: Vec<&str> = unknown.iter().take(20).map(|w| w.0.as_str()).collect();
                return Err(ApiError::Unprocessable {
                    message: format!(
                        "{} worker(s) not in the workers layer: {}; import the roster first",
                        unknown.len(),
                        list.join(", ")
                    ),
                    detail: json!({ "unknown_workers": list }),
                });
            }
            // A worker of another unit is not this caller's to move.
            if let Some(w) = by_worker.keys().find(|w| {
                core.worker_index(w)
                    .and_then(|i| core.workers().get(i))
                    .is_some_and(|w| !w.grids.iter().any(|g| scope.contains_grid(*g)))
            }) {
                return Err(ApiError::Forbidden(format!(
                    "worker {w} works outside {}'s unit",
                    caller.author()
                )));
            }
            let mut c = caller.change_set(ChangeKind::Positions, String::new());
            let mut next_patrol = core.patrols().max_id().map_or(1, |m| m + 1);
            let mut workers = 0usize;
            for (id, mut fixes) in by_worker {
                fixes.sort_by_key(|f| f.time);
                let Some(w) = core.worker_index(&id).and_then(|i| core.workers().get(i)) else {
                    continue;
                };
                if let Some(last) = fixes.last().filter(|l| l.time > w.seen_at) {
                    let mut moved = w.clone();
                    moved.location = geo_types::Point::new(last.lon, last.lat);
                    moved.seen_at = last.time;
                    c.upserts.workers.push(moved);
                    workers += 1;
                }
                for day in fixes.chunk_by(|a, b| local_day(a.time) == local_day(b.time)) {
                    let d = local_day(day[0].time);
                    let today = core
                        .patrols()
                        .of_worker_day(&id, d)
                        .and_then(|i| core.patrols().get(i));
                    let mut track = if let Some(p) = today {
                        p.clone()
                    } else {
                        next_patrol += 1;
                        Patrol {
                            id: PatrolId(next_patrol - 1),
                            worker: id.clone(),
                            track: geo_types::LineString(Vec::new()),
                            times: Vec::new(),
                        }
                    };
                    if merge_into(&mut track, day) {
                        c.upserts.patrols.push(track);
                    }
                }
                c.positions.extend(fixes);
            }
            let tracks = c.upserts.patrols.len();
            c.summary = format!("{} GPS fixes of {} worker(s)", c.positions.len(), workers);
            Ok((c, (workers, tracks)))
        })
        .await?;
    Ok(Json(json!({
        "accepted": accepted,
        "workers": workers,
        "tracks": tracks,
        "seq": applied.seq,
    })))
}
