//! The per-layer mapping between model values and `GeoJSON` features, and the glue that
//! walks a [`Dataset`] layer or fills one from features.

mod admin;
mod camera;
mod center;
mod grid;
mod incident;
mod patrol;
mod props;
mod worker;

pub use incident::IncidentRecord;
pub use props::{Prop, Properties};

use geo_types::Geometry;
use geojson::feature::Id;
use geojson::{Feature, GeometryValue, JsonObject};

use super::geometry::from_geojson;
use super::FeatureError;
use crate::model::{AdminUnit, Camera, Center, Dataset, Grid, Layer, Patrol, Worker};
use props::text;

/// How one layer's model value becomes a `GeoJSON` feature and back.
pub trait FeatureMapping: Sized {
    /// The layer this type belongs to.
    const LAYER: Layer;
    /// Every property name in output (and CSV column) order, personal ones included.
    const PROPERTIES: &'static [&'static str];
    /// The personal properties, written only when asked.
    const PERSONAL: &'static [&'static str] = &[];

    /// The layer key as text: the feature id.
    fn key(&self) -> String;
    /// The geometry as `GeoJSON`.
    fn geometry_value(&self) -> GeometryValue;
    /// The properties; personal ones only when `personal`.
    fn properties(&self, personal: bool) -> JsonObject;
    /// Builds the value from its id, geometry and properties (from any format).
    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError>;

    /// The `GeoJSON` feature.
    fn to_feature(&self, personal: bool) -> Feature {
        // A worker without a GPS fix has a NaN point: `null` geometry, as GeoJSON allows.
        let value = self.geometry_value();
        let unlocated = matches!(&value, GeometryValue::Point { coordinates } if coordinates.as_slice().iter().any(|c| !c.is_finite()));
        Feature {
            bbox: None,
            geometry: (!unlocated).then(|| geojson::Geometry::new(value)),
            id: Some(Id::String(self.key())),
            properties: Some(self.properties(personal)),
            foreign_members: None,
        }
    }

    /// Reads the value back from a `GeoJSON` feature.
    fn from_feature(f: &Feature) -> Result<Self, FeatureError> {
        let id = feature_id(f)?.ok_or_else(|| FeatureError::attribute("missing id".to_owned()))?;
        let geometry = match f.geometry.as_ref() {
            Some(g) => from_geojson(g)?,
            // A worker may be on the roster before any GPS fix.
            None if Self::LAYER == Layer::Workers => Geometry::Point(Worker::NO_FIX),
            None => return Err(FeatureError::geometry("missing geometry".to_owned())),
        };
        Self::from_parts(&id, geometry, &f.properties.as_ref())
    }
}

/// A feature's id as text: its `id` member, else an `id` property (as GDAL writes it).
pub fn feature_id(f: &Feature) -> Result<Option<String>, FeatureError> {
    match &f.id {
        Some(Id::String(s)) => Ok(Some(s.clone())),
        Some(Id::Number(n)) => Ok(Some(n.to_string())),
        None => Ok(text(&f.properties.as_ref(), "id")?.map(std::borrow::Cow::into_owned)),
    }
}

/// The property names written for `layer`, in column order.
#[must_use]
pub fn property_names(layer: Layer, personal: bool) -> Vec<&'static str> {
    fn names<T: FeatureMapping>(personal: bool) -> Vec<&'static str> {
        T::PROPERTIES
            .iter()
            .copied()
            .filter(|p| personal || !T::PERSONAL.contains(p))
            .collect()
    }
    match layer {
        Layer::Admin => names::<AdminUnit>(personal),
        Layer::Grids => names::<Grid>(personal),
        Layer::Cameras => names::<Camera>(personal),
        Layer::Incidents => names::<IncidentRecord>(personal),
        Layer::Patrols => names::<Patrol>(personal),
        Layer::Workers => names::<Worker>(personal),
        Layer::Centers => names::<Center>(personal),
    }
}

/// Number of features `layer` holds in `data`.
#[must_use]
pub fn layer_len(data: &Dataset, layer: Layer) -> usize {
    match layer {
        Layer::Admin => data.admin.len(),
        Layer::Grids => data.grids.len(),
        Layer::Cameras => data.cameras.len(),
        Layer::Incidents => data.incidents.len(),
        Layer::Patrols => data.patrols.len(),
        Layer::Workers => data.workers.len(),
        Layer::Centers => data.centers.len(),
    }
}

/// Calls `f` with each feature of `layer` (all, or those at `indices`; indices past the end
/// are skipped), one at a time so that a large layer is never held as JSON at once.
pub fn for_each_feature<E>(
    data: &Dataset,
    layer: Layer,
    indices: Option<&[usize]>,
    personal: bool,
    mut f: impl FnMut(Feature) -> Result<(), E>,
) -> Result<(), E> {
    fn visit<T: FeatureMapping, E>(
        items: &[T],
        indices: Option<&[usize]>,
        personal: bool,
        f: &mut impl FnMut(Feature) -> Result<(), E>,
    ) -> Result<(), E> {
        match indices {
            None => items.iter().try_for_each(|x| f(x.to_feature(personal))),
            Some(ix) => ix
                .iter()
                .filter_map(|&i| items.get(i))
                .try_for_each(|x| f(x.to_feature(personal))),
        }
    }
    match layer {
        Layer::Admin => visit(&data.admin, indices, personal, &mut f),
        Layer::Grids => visit(&data.grids, indices, personal, &mut f),
        Layer::Cameras => visit(&data.cameras, indices, personal, &mut f),
        Layer::Patrols => visit(&data.patrols, indices, personal, &mut f),
        Layer::Workers => visit(&data.workers, indices, personal, &mut f),
        Layer::Centers => visit(&data.centers, indices, personal, &mut f),
        Layer::Incidents => {
            let one = |i: usize| {
                data.incidents.get(i).map(|inc| {
                    let details = if personal {
                        data.incident_details.get(i).cloned()
                    } else {
                        None
                    };
                    IncidentRecord {
                        incident: inc.clone(),
                        details,
                    }
                    .to_feature(personal)
                })
            };
            match indices {
                None => (0..data.incidents.len()).filter_map(one).try_for_each(f),
                Some(ix) => ix.iter().filter_map(|&i| one(i)).try_for_each(f),
            }
        }
    }
}

/// The features of `layer` (all, or those at `indices`) as `GeoJSON` features.
#[must_use]
pub fn layer_to_features(
    data: &Dataset,
    layer: Layer,
    indices: Option<&[usize]>,
    personal: bool,
) -> Vec<Feature> {
    let mut out =
        Vec::with_capacity(indices.map_or_else(|| layer_len(data, layer), <[usize]>::len));
    let _ = for_each_feature::<std::convert::Infallible>(data, layer, indices, personal, |f| {
        out.push(f);
        Ok(())
    });
    out
}

/// Fills one layer of a [`Dataset`] from features read in any format.
pub(crate) struct Collector {
    layer: Layer,
    data: Dataset,
    any_personal: bool,
}

impl Collector {
    /// An empty collector for `layer`.
    pub(crate) fn new(layer: Layer) -> Self {
        Self {
            layer,
            data: Dataset::default(),
            any_personal: false,
        }
    }

    /// Adds one feature given as parts.
    pub(crate) fn add(
        &mut self,
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<(), FeatureError> {
        let d = &mut self.data;
        match self.layer {
            Layer::Admin => d.admin.push(AdminUnit::from_parts(id, geometry, props)?),
            Layer::Grids => d.grids.push(Grid::from_parts(id, geometry, props)?),
            Layer::Cameras => d.cameras.push(Camera::from_parts(id, geometry, props)?),
            Layer::Patrols => d.patrols.push(Patrol::from_parts(id, geometry, props)?),
            Layer::Workers => d.workers.push(Worker::from_parts(id, geometry, props)?),
            Layer::Centers => d.centers.push(Center::from_parts(id, geometry, props)?),
            Layer::Incidents => {
                let r = IncidentRecord::from_parts(id, geometry, props)?;
                self.any_personal |= r.details.is_some();
                d.incidents.push(r.incident);
                d.incident_details.push(r.details.unwrap_or_default());
            }
        }
        Ok(())
    }

    /// Adds one `GeoJSON` feature.
    pub(crate) fn add_feature(&mut self, f: &Feature) -> Result<(), FeatureError> {
        let id = feature_id(f)?.ok_or_else(|| FeatureError::attribute("missing id".to_owned()))?;
        let g = f
            .geometry
            .as_ref()
            .ok_or_else(|| FeatureError::geometry("missing geometry".to_owned()))?;
        self.add(&id, from_geojson(g)?, &f.properties.as_ref())
    }

    /// The dataset; incident details are kept only if some feature carried them.
    pub(crate) fn finish(mut self) -> Dataset {
        if !self.any_personal {
            self.data.incident_details.clear();
        }
        self.data
    }
}

/// Inserts one property.
fn put(m: &mut JsonObject, key: &str, v: impl Into<serde_json::Value>) {
    m.insert(key.to_owned(), v.into());
}

/// Parses a code or id, keeping the code's own message ("has 14 digits; ... has 15").
fn parse_code<T: std::str::FromStr>(s: &str) -> Result<T, FeatureError>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e: T::Err| FeatureError::malformed_code(e.to_string()))
}

/// Parses an admin level name.
fn parse_level(s: &str) -> Result<crate::codes::AdminLevel, FeatureError> {
    s.parse().map_err(|_| {
        FeatureError::attribute(format!(
            "property level: {s:?} is not one of province, prefecture, county, township, village"
        ))
    })
}
