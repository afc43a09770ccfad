//! Parsing of the query parameters shared by several endpoints (bbox, datetime, lists).

use chrono::{DateTime, Utc};
use geo_core::index::StatsFilter;
use geo_core::model::{Category, IncidentStatus, UnixTime};
use geo_types::{coord, Rect};

use crate::error::ApiError;

/// The incident filter tiles and figures share: `from`, `to` (RFC 3339), `category` and
/// `status` (comma lists), as they arrive.
#[derive(Debug, Default, serde::Deserialize)]
pub struct IncidentQuery {
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    /// Comma list of categories.
    pub category: Option<String>,
    /// Comma list of statuses.
    pub status: Option<String>,
}

impl IncidentQuery {
    /// Parses and checks the parameters (`from` after `to` is a 400): a window `[from, to)`
    /// and class lists (empty: all).
    pub fn window(&self) -> Result<StatsFilter, ApiError> {
        incident_window(
            self.from.as_deref(),
            self.to.as_deref(),
            self.category.as_deref(),
            self.status.as_deref(),
        )
    }
}

/// Parses `from`, `to`, `category` and `status` as [`IncidentQuery::window`] does.
pub fn incident_window(
    from: Option<&str>,
    to: Option<&str>,
    category: Option<&str>,
    status: Option<&str>,
) -> Result<StatsFilter, ApiError> {
    let (from_t, to_t) = (from.map(time).transpose()?, to.map(time).transpose()?);
    if let (Some(f), Some(t)) = (from_t, to_t) {
        if f > t {
            return Err(ApiError::BadRequest(format!(
                "from {:?} is after to {:?}",
                from.unwrap_or_default(),
                to.unwrap_or_default()
            )));
        }
    }
    Ok(StatsFilter {
        from: from_t,
        to: to_t,
        categories: category.map(categories).transpose()?.unwrap_or_default(),
        statuses: status.map(statuses).transpose()?.unwrap_or_default(),
    })
}

/// Parses an OGC `bbox=minLon,minLat,maxLon,maxLat`.
pub fn bbox(s: &str) -> Result<Rect<f64>, ApiError> {
    let parts: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "bbox {s:?} must be four numbers: minLon,minLat,maxLon,maxLat"
            ))
        })?;
    let [x0, y0, x1, y1] = parts[..] else {
        return Err(ApiError::BadRequest(format!(
            "bbox {s:?} has {} numbers; expected 4 (minLon,minLat,maxLon,maxLat)",
            parts.len()
        )));
    };
    if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
        return Err(ApiError::BadRequest(format!(
            "bbox {s:?} must be finite numbers"
        )));
    }
    if !(-180.0..=180.0).contains(&x0)
        || !(-180.0..=180.0).contains(&x1)
        || !(-90.0..=90.0).contains(&y0)
        || !(-90.0..=90.0).contains(&y1)
    {
        return Err(ApiError::BadRequest(format!(
            "bbox {s:?} is outside lon -180..180, lat -90..90"
        )));
    }
    if x0 > x1 || y0 > y1 {
        return Err(ApiError::BadRequest(format!(
            "bbox {s:?} has min greater than max"
        )));
    }
    Ok(Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }))
}

/// Parses an RFC 3339 time into Unix seconds.
pub fn time(s: &str) -> Result<UnixTime, ApiError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc).timestamp())
        .map_err(|e| {
            ApiError::BadRequest(format!(
                "time {s:?} is not RFC 3339 (e.g. 2024-05-01T00:00:00Z): {e}"
            ))
        })
}

/// Parses an OGC `datetime`: an instant, or `start/end` with `..` or empty for open ends.
/// Returns `[from, to)` where an instant becomes `[t, t+1)`.
pub fn datetime(s: &str) -> Result<(Option<UnixTime>, Option<UnixTime>), ApiError> {
    let open = |p: &str| p.is_empty() || p == "..";
    match s.split_once('/') {
        None => {
            let t = time(s)?;
            Ok((Some(t), Some(t + 1)))
        }
        Some((a, b)) => {
            let from = if open(a) { None } else { Some(time(a)?) };
            let to = if open(b) { None } else { Some(time(b)? + 1) };
            if let (Some(f), Some(t)) = (from, to) {
                if f >= t {
                    return Err(ApiError::BadRequest(format!(
                        "datetime {s:?} ends before it starts"
                    )));
                }
            }
            Ok((from, to))
        }
    }
}

/// Parses a comma list of incident categories.
pub fn categories(s: &str) -> Result<Vec<Category>, ApiError> {
    list(
        s,
        "category",
        Category::parse,
        &Category::ALL.map(Category::as_str),
    )
}

/// Parses a comma list of incident statuses.
pub fn statuses(s: &str) -> Result<Vec<IncidentStatus>, ApiError> {
    list(
        s,
        "status",
        IncidentStatus::parse,
        &IncidentStatus::ALL.map(IncidentStatus::as_str),
    )
}

fn list<T>(
    s: &str,
    what: &str,
    parse: fn(&str) -> Option<T>,
    allowed: &[&str],
) -> Result<Vec<T>, ApiError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            parse(p).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown {what} {p:?}; one of {}",
                    allowed.join(", ")
                ))
            })
        })
        .collect()
}

/// Checks a lon/lat pair given as query parameters.
pub fn lon_lat(lon: Option<f64>, lat: Option<f64>) -> Result<(f64, f64), ApiError> {
    match (lon, lat) {
        (Some(lon), Some(lat)) => Ok((lon, lat)),
        _ => Err(ApiError::BadRequest(
            "lon and lat are required, e.g. ?lon=109.74&lat=28.31".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_rejects_garbage() {
        assert!(bbox("109,28,110,29").is_ok());
        assert!(bbox("109,28,110").is_err());
        assert!(bbox("a,b,c,d").is_err());
        assert!(bbox("110,28,109,29").is_err());
        assert!(bbox("NaN,28,110,29").is_err());
        assert!(bbox("109,28,1e400,29").is_err());
    }

    #[test]
    fn datetime_intervals() {
        let (f, t) = datetime("2024-01-01T00:00:00Z/..").unwrap();
        assert_eq!(f, Some(1_704_067_200));
        assert_eq!(t, None);
        let (f, t) = datetime("../2024-01-01T00:00:00Z").unwrap();
        assert_eq!((f, t), (None, Some(1_704_067_201)));
        assert!(datetime("2024-02-01T00:00:00Z/2024-01-01T00:00:00Z").is_err());
        assert!(datetime("yesterday").is_err());
    }

    #[test]
    fn lists_name_the_bad_value() {
        assert_eq!(categories("dispute, fire_hazard").unwrap().len(), 2);
        let e = statuses("closed,done").unwrap_err().to_string();
        assert!(e.contains("\"done\""), "{e}");
    }
}
