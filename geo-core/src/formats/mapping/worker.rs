//! Workers: id = worker id, properties grids and `seen_at` and, when asked, name and phone.

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{list, required, text, time, time_value, Properties};
use super::{parse_code, put, FeatureMapping};
use crate::formats::geometry::expect_point;
use crate::formats::FeatureError;
use crate::model::{Layer, Worker, WorkerId};

impl FeatureMapping for Worker {
    const LAYER: Layer = Layer::Workers;
    const PROPERTIES: &'static [&'static str] = &["name", "phone", "grids", "seen_at"];
    const PERSONAL: &'static [&'static str] = &["name", "phone"];

    fn key(&self) -> String {
        self.id.0.clone()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.location)
    }

    fn properties(&self, personal: bool) -> JsonObject {
        let mut m = JsonObject::new();
        if personal {
            put(&mut m, "name", self.name.as_str());
            put(&mut m, "phone", self.phone.as_str());
        }
        put(
            &mut m,
            "grids",
            self.grids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        );
        put(
            &mut m,
            "seen_at",
            self.has_fix().then(|| time_value(self.seen_at)),
        );
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        if id.is_empty() {
            return Err(FeatureError::attribute("worker id is empty".to_owned()));
        }
        let location = expect_point(geometry, Self::LAYER)?;
        let fixed = location.x().is_finite() && location.y().is_finite();
        let seen_at = match time(props, "seen_at")? {
            Some(t) => t,
            // A roster without positions: no fix, so no time of one.
            None if !fixed => 0,
            None => required("seen_at", None)?,
        };
        Ok(Self {
            id: WorkerId(id.to_owned()),
            name: text(props, "name")?.unwrap_or_default().into_owned(),
            phone: text(props, "phone")?.unwrap_or_default().into_owned(),
            grids: list(props, "grids")?
                .iter()
                .map(|g| parse_code(g))
                .collect::<Result<_, _>>()?,
            location: if fixed { location } else { Worker::NO_FIX },
            seen_at,
        })
    }
}
