//! The records a change set carries besides features: incident workflow steps, raw GPS
//! fixes, users and tokens, each in its own onemap table, written in the change's
//! transaction after its row in `onemap_changes` (so steps carry the change's `seq`).

use geo_types::Rect;
use rusqlite::{params, Connection};

use crate::access::{Role, TokenRecord, User};
use crate::codes::AdminCode;
use crate::model::{IncidentId, Layer, Step, UnixTime, WorkerId};
use crate::store::{
    ChangeKind, ChangeQuery, ChangeRecord, ChangeSet, FeatureKey, Position, StepRecord,
};
use crate::Result;

/// Writes the steps, positions, users and tokens of `changes`, committed as change `seq`.
pub(super) fn write(tx: &Connection, changes: &ChangeSet, seq: u64) -> Result<()> {
    let seq = i64::try_from(seq).unwrap_or(i64::MAX);
    if !changes.steps.is_empty() {
        let mut ins = tx.prepare_cached(
            "INSERT INTO onemap_incident_steps (incident, step, time, author, worker, note, seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for s in &changes.steps {
            let id = i64::try_from(s.incident.0).map_err(|_| {
                crate::Error::Invalid(format!(
                    "incident id {} is above {}",
                    s.incident.0,
                    i64::MAX
                ))
            })?;
            ins.execute(params![
                id,
                s.step.as_str(),
                s.time,
                s.author,
                s.worker.as_ref().map(|w| w.0.as_str()),
                s.note,
                seq
            ])?;
        }
    }
    if !changes.positions.is_empty() {
        // A fix already stored for that worker and time is a resend: kept once. Keyed by
        // time first, so that fixes arriving now append to the table's end instead of
        // touching one page per worker.
        let mut ins = tx.prepare_cached(
            "INSERT INTO onemap_positions (worker, time, lon, lat, accuracy_m) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (time, worker) DO NOTHING",
        )?;
        for p in &changes.positions {
            ins.execute(params![p.worker.0, p.time, p.lon, p.lat, p.accuracy_m])?;
        }
    }
    if !changes.users.is_empty() {
        let mut ins = tx.prepare_cached(
            "INSERT INTO onemap_users (name, role, unit, disabled, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET \
             role = excluded.role, unit = excluded.unit, disabled = excluded.disabled",
        )?;
        for u in &changes.users {
            ins.execute(params![
                u.name,
                u.role.as_str(),
                u.unit.map(|c| c.to_string()),
                u.disabled,
                u.created_at
            ])?;
        }
    }
    if !changes.tokens.is_empty() {
        let mut ins = tx.prepare_cached(
            "INSERT INTO onemap_tokens (id, user, hash, created_at, expires_at, revoked, label) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET \
             revoked = excluded.revoked, expires_at = excluded.expires_at, label = excluded.label",
        )?;
        for t in &changes.tokens {
            ins.execute(params![
                t.id,
                t.user,
                t.hash,
                t.created_at,
                t.expires_at,
                t.revoked,
                t.label
            ])?;
        }
    }
    Ok(())
}

/// The last committed change's sequence number (0 for none).
pub(super) fn seq(conn: &Connection) -> Result<u64> {
    let seq: Option<i64> =
        conn.query_row("SELECT MAX(seq) FROM onemap_changes", [], |r| r.get(0))?;
    Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
}

/// Change records matching `q`, oldest first.
pub(super) fn changes(conn: &Connection, q: &ChangeQuery) -> Result<Vec<ChangeRecord>> {
    let since = i64::try_from(q.since).unwrap_or(i64::MAX);
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT seq, time, kind, author, origin, summary, layers, rows, min_x, min_y, max_x, max_y, keys \
         FROM onemap_changes WHERE seq > ?1 AND (?2 IS NULL OR author = ?2) \
         AND (?3 IS NULL OR kind = ?3) AND (?4 IS NULL OR time >= ?4) AND (?5 IS NULL OR time < ?5) \
         ORDER BY seq LIMIT ?6",
    )?;
    let mut rows = stmt.query(params![
        since,
        q.author,
        q.kind.map(ChangeKind::as_str),
        q.from,
        q.to,
        limit
    ])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let bad = |what: String| crate::Error::Corrupt(format!("onemap_changes seq {seq}: {what}"));
        let kind: String = r.get(2)?;
        let layers: String = r.get(6)?;
        let bbox: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
            (r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?);
        let keys: Option<String> = r.get(12)?;
        out.push(ChangeRecord {
            seq: u64::try_from(seq).map_err(|_| bad(format!("negative seq {seq}")))?,
            time: r.get(1)?,
            kind: ChangeKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
            author: r.get(3)?,
            origin: r.get(4)?,
            summary: r.get(5)?,
            layers: layers
                .split(',')
                .filter(|l| !l.is_empty())
                .map(str::parse::<Layer>)
                .collect::<Result<_>>()?,
            rows: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
            dirty: match bbox {
                (Some(x0), Some(y0), Some(x1), Some(y1)) => Some(Rect::new((x0, y0), (x1, y1))),
                _ => None,
            },
            keys: keys
                .map(|k| serde_json::from_str::<Vec<FeatureKey>>(&k))
                .transpose()
                .map_err(|e| bad(format!("keys: {e}")))?,
        });
    }
    Ok(out)
}

/// One incident's workflow history, oldest first.
pub(super) fn incident_steps(conn: &Connection, id: IncidentId) -> Result<Vec<StepRecord>> {
    let Ok(fid) = i64::try_from(id.0) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STEP_COLUMNS} FROM onemap_incident_steps WHERE incident = ?1 \
         ORDER BY time, seq, rowid"
    ))?;
    let mut rows = stmt.query([fid])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(step_from(r)?);
    }
    Ok(out)
}

/// The columns [`step_from`] reads, in its order.
const STEP_COLUMNS: &str = "incident, step, time, author, worker, note";

fn step_from(r: &rusqlite::Row<'_>) -> Result<StepRecord> {
    let incident =
        IncidentId(u64::try_from(r.get::<_, i64>(0)?).map_err(|_| {
            crate::Error::Corrupt("a workflow step of a negative incident id".into())
        })?);
    let step: String = r.get(1)?;
    Ok(StepRecord {
        incident,
        step: Step::parse(&step).ok_or_else(|| {
            crate::Error::Corrupt(format!("incident {} has a step {step:?}", incident.0))
        })?,
        time: r.get(2)?,
        author: r.get(3)?,
        worker: r.get::<_, Option<String>>(4)?.map(WorkerId),
        note: r.get(5)?,
    })
}

/// The columns [`token_from`] reads, in its order.
const TOKEN_COLUMNS: &str = "id, user, hash, created_at, expires_at, revoked, label";

fn token_from(r: &rusqlite::Row<'_>) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        user: r.get(1)?,
        hash: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        revoked: r.get(5)?,
        label: r.get(6)?,
    })
}

/// A worker's raw fixes in `[from, to)`, oldest first.
pub(super) fn positions(
    conn: &Connection,
    worker: &WorkerId,
    from: UnixTime,
    to: UnixTime,
) -> Result<Vec<Position>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {POSITION_COLUMNS} FROM onemap_positions \
         WHERE worker = ?1 AND time >= ?2 AND time < ?3 ORDER BY time"
    ))?;
    let mut rows = stmt.query(params![worker.0, from, to])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(position_from(r)?);
    }
    Ok(out)
}

/// The columns [`position_from`] reads, in its order.
const POSITION_COLUMNS: &str = "worker, time, lon, lat, accuracy_m";

fn position_from(r: &rusqlite::Row<'_>) -> Result<Position> {
    Ok(Position {
        worker: WorkerId(r.get(0)?),
        time: r.get(1)?,
        lon: r.get(2)?,
        lat: r.get(3)?,
        accuracy_m: r.get::<_, Option<f64>>(4)?.map(|a| a as f32),
    })
}

fn user_from(r: &rusqlite::Row<'_>, at: usize) -> Result<User> {
    let name: String = r.get(at)?;
    let role: String = r.get(at + 1)?;
    let unit: Option<String> = r.get(at + 2)?;
    Ok(User {
        role: Role::parse(&role)
            .ok_or_else(|| crate::Error::Corrupt(format!("user {name:?} has a role {role:?}")))?,
        unit: unit.map(|u| u.parse::<AdminCode>()).transpose()?,
        disabled: r.get(at + 3)?,
        created_at: r.get(at + 4)?,
        name,
    })
}

/// Every user, by name.
pub(super) fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, role, unit, disabled, created_at FROM onemap_users ORDER BY name",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(user_from(r, 0)?);
    }
    Ok(out)
}

/// A token by id, with its user.
pub(super) fn token(conn: &Connection, id: &str) -> Result<Option<(TokenRecord, User)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT t.id, t.user, t.hash, t.created_at, t.expires_at, t.revoked, t.label, \
         u.name, u.role, u.unit, u.disabled, u.created_at \
         FROM onemap_tokens t JOIN onemap_users u ON u.name = t.user WHERE t.id = ?1",
    )?;
    let mut rows = stmt.query([id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some((token_from(r)?, user_from(r, 7)?)))
}

/// Every step, fix and token (for a migration).
pub(super) fn all(conn: &Connection) -> Result<crate::store::Records> {
    let mut steps = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {STEP_COLUMNS} FROM onemap_incident_steps ORDER BY incident, time, seq, rowid"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        steps.push(step_from(r)?);
    }
    let mut positions = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {POSITION_COLUMNS} FROM onemap_positions ORDER BY worker, time"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        positions.push(position_from(r)?);
    }
    let mut tokens = Vec::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT {TOKEN_COLUMNS} FROM onemap_tokens ORDER BY id"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        tokens.push(token_from(r)?);
    }
    Ok(crate::store::Records {
        steps,
        positions,
        tokens,
    })
}
