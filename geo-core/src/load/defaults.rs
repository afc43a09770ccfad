//! Stated defaults for what an incident or patrol file lacks: a vendor's export without
//! subcategory, source, status or deadline columns, with categories onemap does not name,
//! or tracks with only a start and an end time, is taken with each default said once in the
//! report (with how many rows got it), instead of every row being refused.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Tally;
use crate::formats::{format_time, parse_time};
use crate::index::haversine_m;
use crate::model::{Category, DeadlinePolicy, Source, Step, UnixTime};
use crate::validate::{Check, Severity};

/// Where an incident category value of a file goes: a category and, optionally, one of its
/// subcategories (a mapping's `交通 = "safety_hazard/road"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CategoryTarget {
    /// The major class.
    pub category: Category,
    /// The minor class's API name, when the mapping names one.
    pub subcategory: Option<&'static str>,
}

impl CategoryTarget {
    /// Parses `category` or `category/subcategory` (onemap's API names).
    pub fn parse(s: &str) -> Result<Self, crate::Error> {
        let (c, sub) = match s.split_once('/') {
            Some((c, sub)) => (c.trim(), Some(sub.trim())),
            None => (s.trim(), None),
        };
        let category = Category::parse(c).ok_or_else(|| {
            crate::Error::Invalid(format!(
                "category mapping {s:?}: {c:?} is not a category (one of {})",
                Category::ALL.map(Category::as_str).join(", ")
            ))
        })?;
        let subcategory = match sub {
            None => None,
            Some(sub) => Some(
                category
                    .subcategories()
                    .iter()
                    .map(|(api, _)| *api)
                    .chain(std::iter::once("other"))
                    .find(|api| *api == sub)
                    .ok_or_else(|| {
                        crate::Error::Invalid(format!(
                            "category mapping {s:?}: {sub:?} is not a subcategory of {}",
                            category.as_str()
                        ))
                    })?,
            ),
        };
        Ok(Self {
            category,
            subcategory,
        })
    }
}

/// File values of the incident category and where each goes (filled by a mapping file).
pub type CategoryMap = BTreeMap<String, CategoryTarget>;

/// `<step>_at` property names after [`Step::ALL`]'s first.
const LATER_STEPS: [(Step, &str); 9] = [
    (Step::Accepted, "accepted_at"),
    (Step::Filed, "filed_at"),
    (Step::Dispatched, "dispatched_at"),
    (Step::Handling, "handling_at"),
    (Step::Verifying, "verifying_at"),
    (Step::Closed, "closed_at"),
    (Step::Cancelled, "cancelled_at"),
    (Step::Postponed, "postponed_at"),
    (Step::SentBack, "sent_back_at"),
];

/// Values collected across rows to name examples in one finding.
#[derive(Debug, Default)]
pub(super) struct IncidentDefaults {
    /// Category values that are not onemap's and that no mapping names, with counts.
    unknown_categories: BTreeMap<String, usize>,
    /// Subcategory values not of their category, with counts.
    unknown_subcategories: BTreeMap<String, usize>,
}

/// Placeholder messages, replaced by ones naming example values once every row is seen.
const UNKNOWN_CATEGORY: &str = "\u{0}unknown category";
const UNKNOWN_SUBCATEGORY: &str = "\u{0}unknown subcategory";

fn present(props: &Map<String, Value>, key: &str) -> bool {
    props.get(key).is_some_and(|v| !v.is_null())
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A time property as the incident mapping reads it (RFC 3339 or Unix seconds).
fn time_of(props: &Map<String, Value>, key: &str) -> Option<UnixTime> {
    match props.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_time(s).ok().or_else(|| s.trim().parse().ok()),
        _ => None,
    }
}

/// onemap's name of a source written in Chinese.
fn source_name(s: &str) -> Option<&'static str> {
    Some(match s {
        "网格员" | "网格员上报" | "网格员采集" | "巡查" | "巡查上报" => {
            "grid_worker"
        }
        "热线" | "12345" | "12345热线" | "电话" | "市民热线" => "hotline",
        "视频" | "视频发现" | "监控" | "雪亮工程" => "video",
        "群众" | "群众上报" | "群众举报" | "公众" | "随手拍" => "public",
        _ => return None,
    })
}

impl IncidentDefaults {
    /// Fills what row `row`'s incident lacks, noting each default in `tally`.
    #[allow(clippy::too_many_lines)] // one property after another, in the mapping's order
    pub(super) fn fill(
        &mut self,
        props: &mut Map<String, Value>,
        row: usize,
        categories: &CategoryMap,
        policy: &DeadlinePolicy,
        tally: &mut Tally,
    ) {
        let warn = |tally: &mut Tally, message: &str| {
            tally.add(Check::Attribute, Severity::Warning, message, row);
        };
        // Category: onemap's name (Chinese names were translated), a mapped value, or other.
        let raw = props.get("category").and_then(value_text);
        let category = match raw.as_deref() {
            None | Some("") => {
                warn(tally, "category not given: set to other");
                Category::Other
            }
            Some(v) => match (categories.get(v), Category::parse(v)) {
                (Some(target), _) => {
                    if let Some(sub) = target.subcategory {
                        if !present(props, "subcategory") {
                            props.insert("subcategory".into(), sub.into());
                        }
                    }
                    warn(
                        tally,
                        &format!(
                            "category {v:?} mapped to {}{}",
                            target.category.as_str(),
                            target
                                .subcategory
                                .map(|s| format!("/{s}"))
                                .unwrap_or_default()
                        ),
                    );
                    target.category
                }
                (None, Some(c)) => c,
                (None, None) => {
                    *self.unknown_categories.entry(v.to_owned()).or_default() += 1;
                    warn(tally, UNKNOWN_CATEGORY);
                    // The file's minor class belongs to a class onemap does not have.
                    props.remove("subcategory");
                    Category::Other
                }
            },
        };
        props.insert("category".into(), category.as_str().into());

        // Subcategory: onemap's name, its Chinese name, or the category's `other`.
        match props.get("subcategory").and_then(value_text) {
            None => {
                warn(tally, "subcategory not given: set to other");
                props.insert("subcategory".into(), "other".into());
            }
            Some(v) => {
                let subs = category.subcategories();
                let api = subs
                    .iter()
                    .find(|(api, zh)| *api == v || *zh == v)
                    .map(|(api, _)| *api)
                    .or_else(|| (v == "other" || v == "其他").then_some("other"));
                if api.is_none() {
                    *self.unknown_subcategories.entry(v.clone()).or_default() += 1;
                    warn(tally, UNKNOWN_SUBCATEGORY);
                }
                props.insert("subcategory".into(), api.unwrap_or("other").into());
            }
        }

        // Source: onemap's name, a Chinese one, or grid_worker (most reports are theirs).
        match props.get("source").and_then(value_text) {
            None => {
                warn(tally, "source not given: set to grid_worker");
                props.insert("source".into(), Source::GridWorker.as_str().into());
            }
            Some(v) => {
                if let Some(s) = source_name(&v) {
                    props.insert("source".into(), s.into());
                }
            }
        }

        // Status: the latest step with a time (closed when closed_at is set), else reported.
        if !present(props, "status") {
            let latest = LATER_STEPS
                .iter()
                .filter_map(|&(step, key)| time_of(props, key).map(|t| (t, step)))
                .max_by_key(|&(t, step)| (step == Step::Closed, t, step));
            if let Some((_, step)) = latest {
                warn(
                    tally,
                    "status not given: set to the latest step that has a time (closed where closed_at is set)",
                );
                props.insert("status".into(), step.as_str().into());
            } else {
                warn(tally, "status not given and no step times: set to reported");
                props.insert("status".into(), Step::Reported.as_str().into());
            }
        }

        // Deadline: the report time plus the category's days to closure.
        if !present(props, "deadline") {
            if let Some(t) = time_of(props, "reported_at") {
                let due = policy.deadline(category, t);
                if let Some(text) = format_time(due) {
                    let days: Vec<String> = Category::ALL
                        .iter()
                        .map(|c| format!("{} {}", c.as_str(), policy.days[*c as usize]))
                        .collect();
                    warn(
                        tally,
                        &format!(
                            "deadline not given: set to the report time plus the category's days to closure ({})",
                            days.join(", ")
                        ),
                    );
                    props.insert("deadline".into(), text.into());
                }
            }
        }
    }

    /// Replaces the placeholder messages of `findings` with ones naming example values.
    pub(super) fn name_examples(&self, findings: &mut [crate::validate::Finding]) {
        for f in findings {
            let (values, what) = match f.message.as_str() {
                UNKNOWN_CATEGORY => (&self.unknown_categories, "category values that are not onemap categories (and that no mapping names) set to other"),
                UNKNOWN_SUBCATEGORY => (&self.unknown_subcategories, "subcategory values that are not subcategories of their category set to other"),
                _ => continue,
            };
            f.message = format!("{what}: {}", examples(values));
        }
    }
}

/// The most frequent values with their counts: `"交通" (120), "traffic" (4)`.
fn examples(values: &BTreeMap<String, usize>) -> String {
    const SHOWN: usize = 5;
    let mut v: Vec<(&String, &usize)> = values.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<String> = v
        .iter()
        .take(SHOWN)
        .map(|(k, n)| format!("{k:?} ({n})"))
        .collect();
    if v.len() > SHOWN {
        out.push(format!("and {} more", v.len() - SHOWN));
    }
    out.join(", ")
}

/// Vertex times of a track walked from `start` to `end`, spread in proportion to the
/// distance along it (evenly by vertex when it has no length); `None` when the times
/// cannot bound a walk (`end` before `start`).
#[must_use]
pub fn interpolate_times(
    track: &[geo_types::Coord<f64>],
    start: UnixTime,
    end: UnixTime,
) -> Option<Vec<UnixTime>> {
    if end < start || track.is_empty() {
        return None;
    }
    let mut along = Vec::with_capacity(track.len());
    let mut total = 0.0_f64;
    along.push(0.0);
    for w in track.windows(2) {
        let d = haversine_m(w[0].x, w[0].y, w[1].x, w[1].y);
        total += if d.is_finite() { d } else { 0.0 };
        along.push(total);
    }
    let span = (end - start) as f64;
    let last = track.len().saturating_sub(1).max(1) as f64;
    let times = along
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let share = if total > 0.0 {
                d / total
            } else {
                i as f64 / last
            };
            // Rounding a monotone share keeps the times ascending; the ends are exact.
            start + (span * share).round() as i64
        })
        .collect();
    Some(times)
}

/// Gives a patrol row without a time per vertex times interpolated from its start and end.
pub(super) fn fill_patrol_times(
    props: &mut Map<String, Value>,
    track: &geo_types::Geometry<f64>,
    row: usize,
    tally: &mut Tally,
) {
    if present(props, "times") {
        return;
    }
    let geo_types::Geometry::LineString(line) = track else {
        return;
    };
    let (Some(start), Some(end)) = (time_of(props, "start"), time_of(props, "end")) else {
        return;
    };
    let Some(times) = interpolate_times(&line.0, start, end) else {
        return;
    };
    let values: Vec<Value> = times
        .into_iter()
        .map(|t| format_time(t).map_or(Value::from(t), Value::from))
        .collect();
    props.insert("times".into(), Value::Array(values));
    tally.add(
        Check::Attribute,
        Severity::Warning,
        "no time per vertex: times interpolated by distance along the track between its start and end",
        row,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fill(
        props: Value,
        categories: &CategoryMap,
    ) -> (Map<String, Value>, Vec<crate::validate::Finding>) {
        let mut p = props.as_object().cloned().unwrap_or_default();
        let mut d = IncidentDefaults::default();
        let mut tally = Tally::new();
        d.fill(
            &mut p,
            0,
            categories,
            &DeadlinePolicy::default(),
            &mut tally,
        );
        let mut f = tally.into_findings(2);
        d.name_examples(&mut f);
        (p, f)
    }

    #[test]
    fn missing_fields_get_stated_defaults() {
        let (p, f) = fill(
            json!({"category": "fire_hazard", "reported_at": "2024-03-01T00:00:00Z"}),
            &CategoryMap::new(),
        );
        assert_eq!(p["subcategory"], "other");
        assert_eq!(p["source"], "grid_worker");
        assert_eq!(p["status"], "reported");
        // Fire hazards have two days by default.
        assert_eq!(p["deadline"], "2024-03-03T00:00:00Z");
        assert_eq!(f.len(), 4, "{f:?}");
        assert!(f
            .iter()
            .all(|f| f.count == Some(1) && f.severity == Severity::Warning));
    }

    #[test]
    fn status_comes_from_the_step_times() {
        let (p, _) = fill(
            json!({"category": "dispute", "subcategory": "邻里纠纷", "source": "热线",
                   "reported_at": "2024-03-01T00:00:00Z", "accepted_at": "2024-03-01T01:00:00Z",
                   "closed_at": "2024-03-02T00:00:00Z", "deadline": "2024-03-08T00:00:00Z"}),
            &CategoryMap::new(),
        );
        assert_eq!(p["status"], "closed");
        assert_eq!(p["subcategory"], "neighbourhood");
        assert_eq!(p["source"], "hotline");
        let (p, _) = fill(
            json!({"category": "dispute", "accepted_at": "2024-03-01T01:00:00Z", "reported_at": "2024-03-01T00:00:00Z"}),
            &CategoryMap::new(),
        );
        assert_eq!(p["status"], "accepted");
    }

    #[test]
    fn unknown_categories_go_to_other_unless_mapped() {
        let (p, f) = fill(
            json!({"category": "交通", "subcategory": "拥堵"}),
            &CategoryMap::new(),
        );
        assert_eq!(p["category"], "other");
        assert_eq!(p["subcategory"], "other");
        let m = &f
            .iter()
            .find(|f| f.message.contains("not onemap categories"))
            .unwrap()
            .message;
        assert!(m.contains("\"交通\" (1)"), "{m}");
        let mut map = CategoryMap::new();
        map.insert(
            "交通".into(),
            CategoryTarget::parse("safety_hazard/road").unwrap(),
        );
        let (p, f) = fill(json!({"category": "交通"}), &map);
        assert_eq!(p["category"], "safety_hazard");
        assert_eq!(p["subcategory"], "road");
        assert!(f
            .iter()
            .any(|f| f.message.contains("mapped to safety_hazard/road")));
        assert!(CategoryTarget::parse("traffic").is_err());
        assert!(CategoryTarget::parse("dispute/road").is_err());
        assert_eq!(
            CategoryTarget::parse("dispute/other").unwrap().subcategory,
            Some("other")
        );
    }

    #[test]
    fn times_follow_the_distance() {
        // Three vertices on a meridian: 1 km then 3 km.
        let km = 1.0 / 111.195;
        let track = [
            geo_types::coord! { x: 109.0, y: 28.0 },
            geo_types::coord! { x: 109.0, y: 28.0 + km },
            geo_types::coord! { x: 109.0, y: 28.0 + 4.0 * km },
        ];
        let t = interpolate_times(&track, 1000, 1400).unwrap();
        assert_eq!(t[0], 1000);
        assert_eq!(t[2], 1400);
        assert!((t[1] - 1100).abs() <= 1, "{t:?}");
        assert!(interpolate_times(&track, 10, 5).is_none());
        // No length: evenly by vertex.
        let still = [track[0]; 3];
        assert_eq!(interpolate_times(&still, 0, 10).unwrap(), [0, 5, 10]);
    }
}
