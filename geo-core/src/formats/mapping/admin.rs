//! Admin units: id = code, properties name, level, parent.

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{required, text, Properties};
use super::{parse_code, parse_level, put, FeatureMapping};
use crate::codes::AdminCode;
use crate::formats::geometry::expect_area;
use crate::formats::FeatureError;
use crate::model::{AdminUnit, Layer};

impl FeatureMapping for AdminUnit {
    const LAYER: Layer = Layer::Admin;
    const PROPERTIES: &'static [&'static str] = &["name", "level", "parent"];

    fn key(&self) -> String {
        self.code.to_string()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.geometry)
    }

    fn properties(&self, _personal: bool) -> JsonObject {
        let mut m = JsonObject::new();
        put(&mut m, "name", self.name.as_str());
        put(&mut m, "level", self.level().as_str());
        put(&mut m, "parent", self.parent.map(|p| p.to_string()));
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        let code: AdminCode = parse_code(id)?;
        if let Some(level) = text(props, "level")? {
            let level = parse_level(&level)?;
            if level != code.level() {
                return Err(FeatureError::malformed_code(format!(
                    "level {} does not match code {code}, which is a {}",
                    level.as_str(),
                    code.level().as_str()
                )));
            }
        }
        Ok(Self {
            code,
            name: required("name", text(props, "name")?)?.into_owned(),
            parent: text(props, "parent")?.map(|p| parse_code(&p)).transpose()?,
            geometry: expect_area(geometry, Self::LAYER)?,
        })
    }
}
