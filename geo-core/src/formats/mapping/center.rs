//! Governance centers: id = admin code, properties level, name.

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{required, text, Properties};
use super::{parse_code, parse_level, put, FeatureMapping};
use crate::formats::geometry::expect_point;
use crate::formats::FeatureError;
use crate::model::{Center, Layer};

impl FeatureMapping for Center {
    const LAYER: Layer = Layer::Centers;
    const PROPERTIES: &'static [&'static str] = &["level", "name"];

    fn key(&self) -> String {
        self.code.to_string()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.location)
    }

    fn properties(&self, _personal: bool) -> JsonObject {
        let mut m = JsonObject::new();
        put(&mut m, "level", self.level.as_str());
        put(&mut m, "name", self.name.as_str());
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        let level = parse_level(&required("level", text(props, "level")?)?)?;
        Ok(Self {
            code: parse_code(id)?,
            level,
            name: required("name", text(props, "name")?)?.into_owned(),
            location: expect_point(geometry, Self::LAYER)?,
        })
    }
}
