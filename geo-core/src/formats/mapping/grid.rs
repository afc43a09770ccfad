//! Grids: id = grid code (revisions share it), properties village, kind, workers, households,
//! population, `valid_from`, `valid_to` (null while current), revision.

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{int, list, opt_time_value, required, text, time, time_value, Properties};
use super::{parse_code, put, FeatureMapping};
use crate::codes::{GridCode, VillageCode};
use crate::formats::geometry::expect_area;
use crate::formats::{ErrorKind, FeatureError};
use crate::model::{Grid, GridKind, Layer, WorkerId};

impl FeatureMapping for Grid {
    const LAYER: Layer = Layer::Grids;
    const PROPERTIES: &'static [&'static str] = &[
        "name",
        "village",
        "kind",
        "workers",
        "households",
        "population",
        "valid_from",
        "valid_to",
        "revision",
    ];

    fn key(&self) -> String {
        self.code.to_string()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.geometry)
    }

    fn properties(&self, _personal: bool) -> JsonObject {
        let mut m = JsonObject::new();
        put(&mut m, "name", self.name.as_str());
        put(&mut m, "village", self.village.to_string());
        put(&mut m, "kind", self.kind.as_str());
        put(
            &mut m,
            "workers",
            self.workers.iter().map(|w| w.0.clone()).collect::<Vec<_>>(),
        );
        put(&mut m, "households", self.households);
        put(&mut m, "population", self.population);
        put(&mut m, "valid_from", time_value(self.valid_from));
        put(&mut m, "valid_to", opt_time_value(self.valid_to));
        put(&mut m, "revision", self.revision);
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        let code: GridCode = parse_code(id)?;
        let village = match text(props, "village")? {
            None => code.village(),
            Some(v) => {
                let v: VillageCode = parse_code(&v)?;
                if v != code.village() {
                    let message = format!(
                        "village {v} does not match grid code {code}, whose first 12 digits are {}",
                        code.village()
                    );
                    return Err(FeatureError::new(ErrorKind::CodeVillageMismatch, message));
                }
                v
            }
        };
        let kind = required("kind", text(props, "kind")?)?;
        let kind = GridKind::parse(&kind).ok_or_else(|| {
            let names: Vec<_> = GridKind::ALL.iter().map(|k| k.as_str()).collect();
            FeatureError::attribute(format!(
                "property kind: {kind:?} is not one of {}",
                names.join(", ")
            ))
        })?;
        let valid_from = required("valid_from", time(props, "valid_from")?)?;
        let valid_to = time(props, "valid_to")?;
        if valid_to.is_some_and(|to| to < valid_from) {
            return Err(FeatureError::attribute(
                "valid_to is before valid_from".to_owned(),
            ));
        }
        Ok(Self {
            code,
            name: required("name", text(props, "name")?)?.into_owned(),
            village,
            kind,
            workers: list(props, "workers")?.into_iter().map(WorkerId).collect(),
            households: int(props, "households")?.unwrap_or(0),
            population: int(props, "population")?.unwrap_or(0),
            valid_from,
            valid_to,
            revision: int(props, "revision")?.unwrap_or(1),
            geometry: expect_area(geometry, Self::LAYER)?,
        })
    }
}
