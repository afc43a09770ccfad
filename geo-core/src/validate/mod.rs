//! The checks run on every file before anything is written, and the repairs offered.
//!
//! Each check yields [`Finding`]s that name the feature (its position in the file and its
//! code), the place (a lon/lat inside the problem), what is wrong and, where there is one,
//! the repair offered. Repairs are applied only when asked ([`repair_areas`]).
//!
//! # Severities
//!
//! An **error** stops an import (nothing is written unless the feature is skipped with
//! `--skip-invalid` or repaired); a **warning** is reported and the import goes ahead. The
//! line is drawn at what would make onemap answer wrongly, against what only looks untidy:
//!
//! | check | severity | why |
//! |---|---|---|
//! | `invalid_ring` | error | the shape is not a polygon (too few points, no area, NaN, a hole outside its shell): area, point-in-polygon and tiles are undefined |
//! | `self_intersection` | error | point-in-polygon and areas depend on the fill rule; overlays and exports (GeoPackage, PostGIS) reject or mangle it. `MakeValid` is offered |
//! | `duplicate_code` | error | codes are keys: a second grid with the same code would replace or shadow the first, and incidents would be counted twice |
//! | `malformed_code` | error | the code is what nests a feature (village → township → county) and scopes access; a code of the wrong form cannot be placed |
//! | `code_village_mismatch` | error | the grid would be counted in the wrong village (statistics, drill-down, access scope) |
//! | `outside_parent` beyond `outside_share` | error | the part outside is counted in the wrong parent, and overlaps the neighbouring parent's features |
//! | `outside_parent`, parent not given | warning | nothing is known to be wrong; the check could not be made |
//! | `overlap` of at least `min_area_m2` | error | a point in the overlap belongs to two grids: an incident is assigned to one of them arbitrarily. `AssignOverlap` (or `Snap` for thin ones) is offered |
//! | `encoding` | error | every name of a file decoded with the wrong encoding is garbled; re-reading with the right encoding is the fix, not importing garbage |
//! | `gap` | warning | territory no grid covers is a coverage question for the office, not a wrong answer: points there locate to no grid (and to the village by its own outline). `Snap` is offered for thin ones |
//! | `sliver` | warning | a crumb, strip or spike is untidy and usually a slip of the mouse, but every answer stays right |
//! | `geometry` (no polygon) | error | there is nothing to import |
//! | `crs` (coordinates out of range) | error | the point cannot be placed |
//!
//! Overlaps and gaps under `min_area_m2` are not reported at all: boundaries digitised
//! separately never match to the square metre, and such noise would bury real findings.
//! Ring orientation is not a finding: formats disagree on it (Shapefile shells clockwise,
//! `GeoJSON` counter-clockwise) and it carries no information, so the loader normalises it
//! silently with [`normalise_orientation`].
//!
//! # Measures
//!
//! Areas are square metres on the CGCS2000 ellipsoid, computed in the Lambert cylindrical
//! equal-area projection (exactly equal-area; edges straight in the projection). Widths and
//! distances use a local east/north frame in metres. See `measure.rs`.

mod clean;
mod codes;
mod encoding;
mod measure;
mod par;
mod repair;
mod rings;
mod slivers;
mod topology;

pub use clean::{clean_coverage, clean_coverage_against, Cleaning};
pub use rings::{check_geojson_rings, check_raw_rings};

use std::fmt;

use geo_types::{Geometry, MultiPolygon, Point};
use serde::Serialize;

use crate::model::Layer;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// A ring that is not closed, has too few points, or has non-finite coordinates.
    InvalidRing,
    /// A ring that crosses itself or another ring of the same polygon.
    SelfIntersection,
    /// Two features with the same code.
    DuplicateCode,
    /// A code that is not of the layer's form (6/9/12 digits admin, 15 grid, 20 camera).
    MalformedCode,
    /// A grid or admin unit whose code says one village (or parent) but which lies in another.
    CodeVillageMismatch,
    /// A grid (admin unit) not inside its village (parent unit).
    OutsideParent,
    /// Two neighbours that overlap.
    Overlap,
    /// Territory inside the parent that no feature covers, between neighbours.
    Gap,
    /// A thin or tiny part, usually a digitising leftover.
    Sliver,
    /// Text that was decoded with the wrong encoding (mojibake).
    Encoding,
    /// A coordinate that cannot be in the declared CRS.
    Crs,
    /// An attribute missing or of the wrong form (not a code).
    Attribute,
    /// A missing geometry or one of the wrong type for the layer.
    Geometry,
}

impl Check {
    /// The name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRing => "invalid_ring",
            Self::SelfIntersection => "self_intersection",
            Self::DuplicateCode => "duplicate_code",
            Self::MalformedCode => "malformed_code",
            Self::CodeVillageMismatch => "code_village_mismatch",
            Self::OutsideParent => "outside_parent",
            Self::Overlap => "overlap",
            Self::Gap => "gap",
            Self::Sliver => "sliver",
            Self::Encoding => "encoding",
            Self::Crs => "crs",
            Self::Attribute => "attribute",
            Self::Geometry => "geometry",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a finding stops an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing is written while it stands (unless the feature is skipped or repaired).
    Error,
    /// Reported; the import goes ahead.
    Warning,
}

impl Severity {
    /// The name used in reports (`error`, `warning`), as serde writes it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// A repair onemap can apply when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    /// Rebuild the polygon so that it is valid (self-intersections resolved).
    MakeValid,
    /// Snap vertices to a neighbour's within the snapping distance (closes slivers and gaps).
    Snap,
    /// Give the overlapping piece to the neighbour with the longer shared border.
    AssignOverlap,
}

/// One problem, where it is and what can be done.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// 0-based position of the feature in the file, when it is about one feature.
    pub index: Option<usize>,
    /// The feature's code or id as the file has it.
    pub id: Option<String>,
    /// Which check.
    pub check: Check,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in words a GIS officer can act on.
    pub message: String,
    /// Longitude of a point in the problem (onemap lon/lat).
    pub lon: Option<f64>,
    /// Latitude of a point in the problem.
    pub lat: Option<f64>,
    /// Area of an overlap, gap or sliver, m².
    pub area_m2: Option<f64>,
    /// The other feature or unit involved, by code: the neighbour of an overlap, the
    /// village a grid lies in, the parent a feature sticks out of.
    pub other: Option<String>,
    /// The other feature's position in the file (overlap, duplicate).
    pub other_index: Option<usize>,
    /// The repair offered, if any.
    pub repair: Option<Repair>,
    /// A second repair offered (`Snap` for an overlap thin enough to snap shut).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also: Option<Repair>,
    /// The problem's shape in lon/lat (overlap or gap piece), for the map.
    #[serde(skip)]
    pub geometry: Option<Geometry<f64>>,
    /// For a finding that gathers many rows (`load::Tally`): how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The rows (0-based positions in the file) a gathered finding is about, in file order;
    /// empty when it is about one feature (`index`) or about every row of the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<usize>,
}

impl Finding {
    /// A finding with only the essentials set.
    #[must_use]
    pub fn new(check: Check, severity: Severity, message: String) -> Self {
        Self {
            index: None,
            id: None,
            check,
            severity,
            message,
            lon: None,
            lat: None,
            area_m2: None,
            other: None,
            other_index: None,
            repair: None,
            also: None,
            geometry: None,
            count: None,
            rows: Vec::new(),
        }
    }

    /// Sets the feature.
    #[must_use]
    pub fn at_feature(mut self, index: usize, id: Option<&str>) -> Self {
        self.index = Some(index);
        self.id = id.map(str::to_owned);
        self
    }

    /// Sets the place.
    #[must_use]
    pub fn at(mut self, p: Point<f64>) -> Self {
        self.lon = Some(p.x());
        self.lat = Some(p.y());
        self
    }

    /// Whether `repair` is offered for it.
    #[must_use]
    pub fn offers(&self, repair: Repair) -> bool {
        self.repair == Some(repair) || self.also == Some(repair)
    }

    /// Takes back the offer of `repair` (it was tried and does not close this), and says so.
    pub fn withdraw(&mut self, repair: Repair) {
        if !self.offers(repair) {
            return;
        }
        if self.repair == Some(repair) {
            self.repair = self.also.take();
        } else {
            self.also = None;
        }
        self.message = match repair {
            Repair::Snap => self
                .message
                .replace(topology::SNAP_CLOSES_OVERLAP, topology::SNAP_LEAVES)
                .replace(topology::SNAP_CLOSES_GAP, topology::SNAP_LEAVES),
            Repair::AssignOverlap => {
                format!(
                    "{}; assigning it to one side does not close it",
                    self.message
                )
            }
            Repair::MakeValid => format!("{}; rebuilding it does not make it valid", self.message),
        };
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.whereabouts().is_empty() {
            ":"
        } else {
            ""
        };
        write!(
            f,
            "{} {}{sep} {}",
            self.severity.as_str(),
            self.check,
            self.detail()
        )
    }
}

/// A finding without its severity and check, for a list under a heading that says them.
#[derive(Debug, Clone, Copy)]
pub struct FindingDetail<'a>(&'a Finding);

impl Finding {
    /// What the finding says besides its severity and check: the feature, the place, the
    /// area, the message and, for a gathered finding, its rows.
    #[must_use]
    pub fn detail(&self) -> FindingDetail<'_> {
        FindingDetail(self)
    }

    /// The feature, place and area, as words (empty for a finding about the file).
    fn whereabouts(&self) -> String {
        let mut parts = Vec::new();
        if let Some(i) = self.index {
            parts.push(format!("feature {i}"));
        }
        if let Some(id) = &self.id {
            parts.push(format!("({id})"));
        }
        if let (Some(lon), Some(lat)) = (self.lon, self.lat) {
            parts.push(format!("at {lon:.6},{lat:.6}"));
        }
        if let Some(a) = self.area_m2 {
            parts.push(format!("{a:.1} m²"));
        }
        parts.join(" ")
    }
}

impl fmt::Display for FindingDetail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let this = self.0;
        let whereabouts = this.whereabouts();
        if !whereabouts.is_empty() {
            write!(f, "{whereabouts}: ")?;
        }
        f.write_str(&this.message)?;
        if let Some(n) = this.count {
            // The first rows are enough to find the pattern; the JSON report has them all.
            const SHOWN: usize = 5;
            write!(f, " ({n} rows")?;
            if !this.rows.is_empty() {
                let shown: Vec<String> = this
                    .rows
                    .iter()
                    .take(SHOWN)
                    .map(ToString::to_string)
                    .collect();
                let more = if this.rows.len() > SHOWN { ", ..." } else { "" };
                write!(f, ": {}{more}", shown.join(", "))?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// One polygon feature to check: admin units and grids.
#[derive(Debug, Clone, Copy)]
pub struct Area<'a> {
    /// Position in the file.
    pub index: usize,
    /// Its code as the file has it (checked for form here).
    pub code: &'a str,
    /// Its name, if any (checked for mojibake).
    pub name: Option<&'a str>,
    /// The parent (village for a grid) the file declares, if any.
    pub parent: Option<&'a str>,
    /// The boundary in onemap lon/lat.
    pub geometry: &'a MultiPolygon<f64>,
}

/// A possible parent: the villages for grids, the level above for admin units.
#[derive(Debug, Clone, Copy)]
pub struct ParentArea<'a> {
    /// Its code.
    pub code: &'a str,
    /// Its boundary in onemap lon/lat.
    pub geometry: &'a MultiPolygon<f64>,
}

/// One point feature to check: cameras, incidents, centers, workers.
#[derive(Debug, Clone, Copy)]
pub struct Spot<'a> {
    /// Position in the file.
    pub index: usize,
    /// Its id as the file has it.
    pub code: &'a str,
    /// Its name, if any.
    pub name: Option<&'a str>,
    /// Where it is, onemap lon/lat.
    pub location: Point<f64>,
}

/// Tolerances of the checks. The defaults suit grids drawn at 1:2,000-1:10,000.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Overlaps and gaps smaller than this (m²) are ignored as digitising noise.
    pub min_area_m2: f64,
    /// A part thinner than this (m) is a sliver.
    pub sliver_width_m: f64,
    /// How much of a feature (share of its area) may lie outside its parent.
    pub outside_share: f64,
    /// Gaps and overlaps thinner than this (m) are digitising misfits that snapping
    /// closes: Snap is offered for them.
    pub snap_m: f64,
    /// Misfits between neighbours narrower than this (m) are closed on import by
    /// [`clean_coverage`] before the checks run; 0 turns the cleaning off.
    pub misfit_m: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            min_area_m2: 1.0,
            sliver_width_m: 1.0,
            outside_share: 0.01,
            snap_m: 2.0,
            misfit_m: 0.5,
        }
    }
}

/// Which repairs to apply.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Repairs {
    /// Rebuild invalid polygons.
    pub make_valid: bool,
    /// Snap to neighbours' vertices within this many metres.
    pub snap_m: Option<f64>,
    /// Give overlapping pieces to the neighbour with the longer shared border.
    pub assign_overlaps: bool,
}

/// Runs every polygon check on `areas` of `layer` against `parents` (may be empty).
///
/// Each feature is checked for its code's form, its rings, slivers and its name; then
/// codes across features (duplicates), each feature against the parent its code names
/// (`code_village_mismatch`, `outside_parent`), neighbours for overlaps, and parents (or,
/// without parents, the union of the features) for gaps. Admin files may hold several
/// levels: units are compared only with units of their own level, and a unit's parent may
/// come from the file as well as from `parents`.
///
/// `Area::index` should be the feature's position in the file: findings carry it, and
/// [`repair_areas`] takes geometries indexed by it. Findings come in file order, then the
/// gaps (which belong to no single feature).
#[must_use]
pub fn check_areas(
    layer: Layer,
    areas: &[Area<'_>],
    parents: &[ParentArea<'_>],
    tolerances: &Tolerances,
) -> Vec<Finding> {
    let per = par::map(areas.len(), |k| per_area(layer, &areas[k], tolerances));
    let mut findings = Vec::new();
    let mut feats = Vec::with_capacity(areas.len());
    for (a, r) in areas.iter().zip(per) {
        let (f, feat) = r.unwrap_or_else(|| {
            let failed = Finding::new(
                Check::Geometry,
                Severity::Error,
                "the shape could not be checked".to_owned(),
            )
            .at_feature(a.index, Some(a.code));
            (vec![failed], plain_feature(a))
        });
        findings.extend(f);
        // A shape no place on Earth has (or of no extent at all) is refused here and kept
        // out of the overlays, which cannot take it.
        if !repair::overlay_safe(feat.bbox) {
            findings.push(
                Finding::new(
                    Check::Geometry,
                    Severity::Error,
                    "the shape has no extent, or lies beyond any coordinates on Earth".to_owned(),
                )
                .at_feature(a.index, Some(a.code)),
            );
            continue;
        }
        feats.push(feat);
    }
    findings.extend(codes::duplicates(areas.iter().map(|a| (a.index, a.code))));

    let own: Vec<(&str, &MultiPolygon<f64>)> = if layer == Layer::Admin {
        areas.iter().map(|a| (a.code, a.geometry)).collect()
    } else {
        Vec::new()
    };
    let parent_set = topology::Parents::new(
        parents.iter().map(|p| (p.code, p.geometry)),
        own.into_iter(),
    );
    let word = codes::parent_word(layer);
    let tree = topology::tree(&feats);
    let parent_len = (layer == Layer::Grids).then_some(crate::codes::VillageCode::DIGITS);
    let (parent_findings, assigned) =
        topology::parent_checks(word, parent_len, &feats, &parent_set, tolerances);
    findings.extend(parent_findings);
    findings.extend(topology::overlaps(&feats, &tree, tolerances));
    if parents.is_empty() {
        findings.extend(topology::gaps_in_union(&feats, &tree, tolerances));
    } else {
        findings.extend(topology::gaps_in_parents(
            word,
            &feats,
            &parent_set,
            &assigned,
            tolerances,
        ));
    }
    sort(&mut findings);
    findings
}

/// The checks of one area on its own, and what the checks between areas need of it.
fn per_area<'a>(
    layer: Layer,
    a: &Area<'a>,
    tol: &Tolerances,
) -> (Vec<Finding>, topology::Feature<'a>) {
    let mut out = Vec::new();
    let code = a.code.trim();
    let info = match codes::parse_area_code(layer, code) {
        Ok(info) => info,
        Err(why) => {
            out.push(codes::malformed(a.index, a.code, &why));
            None
        }
    };
    if let (Some(by_code), Some(declared)) =
        (info.as_ref().and_then(|i| i.parent.as_deref()), a.parent)
    {
        out.extend(codes::declared_parent(
            layer, a.index, code, by_code, declared,
        ));
    }
    let structure = rings::check(a.index, a.code, a.geometry);
    let valid = structure.is_empty();
    out.extend(structure);
    if valid {
        out.extend(slivers::check(a.index, a.code, a.geometry, tol));
    }
    if let Some(name) = a.name {
        out.extend(name_finding(a.index, a.code, name, || {
            measure::inside_point(a.geometry)
        }));
    }
    let mut feat = plain_feature(a);
    feat.area_m2 = if valid {
        measure::area_m2(a.geometry)
    } else {
        // The drawn rings may cancel out (a bow-tie's lobes wind opposite ways): measure
        // what the overlays will see.
        measure::area_m2(&repair::make_valid(a.geometry))
    };
    if let Some(info) = info {
        feat.parent = info.parent;
        feat.group = info.group;
    }
    (out, feat)
}

fn plain_feature<'a>(a: &Area<'a>) -> topology::Feature<'a> {
    use geo::BoundingRect;
    topology::Feature {
        index: a.index,
        code: a.code,
        geometry: a.geometry,
        bbox: a.geometry.bounding_rect(),
        area_m2: 0.0,
        parent: None,
        group: 0,
    }
}

/// An `encoding` finding when `name` is garbled.
fn name_finding(
    index: usize,
    code: &str,
    name: &str,
    at: impl FnOnce() -> Option<Point<f64>>,
) -> Option<Finding> {
    let g = encoding::garbled(name)?;
    let mut f = Finding::new(
        Check::Encoding,
        Severity::Error,
        encoding::message(name, &g),
    )
    .at_feature(index, Some(code));
    if let Some(p) = at() {
        f = f.at(p);
    }
    Some(f)
}

/// File order; within a feature by check; gaps (no feature) last, by place.
fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.index.is_none(), a.index, a.check, a.other_index)
            .cmp(&(b.index.is_none(), b.index, b.check, b.other_index))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.lon.unwrap_or(0.0).total_cmp(&b.lon.unwrap_or(0.0)))
            .then_with(|| a.lat.unwrap_or(0.0).total_cmp(&b.lat.unwrap_or(0.0)))
    });
}

/// Runs the code and name checks on point features of `layer`: the id's form (GB/T 28181
/// for cameras, an admin code for centers, a number for incidents and patrols), duplicate
/// ids, garbled names, and coordinates that are not finite (`geometry`) or not lon/lat
/// (`crs`).
#[must_use]
pub fn check_spots(layer: Layer, spots: &[Spot<'_>]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for s in spots {
        if let Err(why) = codes::check_spot_code(layer, s.code.trim()) {
            findings.push(codes::malformed(s.index, s.code, &why));
        }
        let (x, y) = (s.location.x(), s.location.y());
        let placed = if !(x.is_finite() && y.is_finite()) {
            findings.push(
                Finding::new(
                    Check::Geometry,
                    Severity::Error,
                    "the location is not a finite coordinate".to_owned(),
                )
                .at_feature(s.index, Some(s.code)),
            );
            false
        } else if !((-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)) {
            findings.push(
                Finding::new(
                    Check::Crs,
                    Severity::Error,
                    format!("{x},{y} is not a longitude/latitude: is the file in another CRS?"),
                )
                .at_feature(s.index, Some(s.code)),
            );
            false
        } else {
            true
        };
        if let Some(name) = s.name {
            findings.extend(name_finding(s.index, s.code, name, || {
                placed.then_some(s.location)
            }));
        }
    }
    findings.extend(codes::duplicates(spots.iter().map(|s| (s.index, s.code))));
    sort(&mut findings);
    findings
}

/// Applies `repairs` to `geometries`, guided by the `findings` of [`check_areas`]; returns
/// what was done, one line per change.
///
/// `geometries` is indexed by the findings' `index`/`other_index` (the areas' positions in
/// the file; leave an empty multipolygon where a feature had none). Order: make valid
/// (features with `invalid_ring`/`self_intersection`), then snap (features sharing a gap or
/// an overlap), then assign what overlaps remain. Checking the result again gives no
/// finding for what was repaired.
pub fn repair_areas(
    geometries: &mut [MultiPolygon<f64>],
    findings: &[Finding],
    repairs: &Repairs,
) -> Vec<String> {
    // All or nothing: a geometry library giving up half way must not leave half a repair.
    let before = geometries.to_vec();
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        repair::apply(geometries, findings, repairs)
    }));
    done.unwrap_or_else(|_| {
        geometries.clone_from_slice(&before);
        vec!["the repairs could not be computed for these shapes; nothing was changed".to_owned()]
    })
}

/// Area of a (valid) multipolygon in m² on the CGCS2000 ellipsoid, the measure the checks
/// use (Lambert cylindrical equal-area; within 1e-4 of a geodesic area for boundary data).
#[must_use]
pub fn area_m2(geometry: &MultiPolygon<f64>) -> f64 {
    measure::area_m2(geometry)
}

/// Winds shells counter-clockwise and holes clockwise (RFC 7946), whatever the file did.
pub fn normalise_orientation(geometry: &mut MultiPolygon<f64>) {
    use geo::orient::{Direction, Orient};
    *geometry = geometry.orient(Direction::Default);
}
