//! Patrols: id = track id, properties worker, start, end and `times` (one RFC 3339 time per
//! vertex, ascending).

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{opt_time_value, required, text, time_value, times, Properties};
use super::{put, FeatureMapping};
use crate::formats::geometry::expect_line;
use crate::formats::FeatureError;
use crate::model::{Layer, Patrol, PatrolId, WorkerId};

impl FeatureMapping for Patrol {
    const LAYER: Layer = Layer::Patrols;
    const PROPERTIES: &'static [&'static str] = &["worker", "start", "end", "times"];

    fn key(&self) -> String {
        self.id.0.to_string()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.track)
    }

    fn properties(&self, _personal: bool) -> JsonObject {
        let mut m = JsonObject::new();
        put(&mut m, "worker", self.worker.0.as_str());
        put(&mut m, "start", opt_time_value(self.start()));
        put(&mut m, "end", opt_time_value(self.end()));
        put(
            &mut m,
            "times",
            self.times
                .iter()
                .map(|&t| time_value(t))
                .collect::<Vec<_>>(),
        );
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        let id = id.parse::<u64>().map(PatrolId).map_err(|_| {
            FeatureError::attribute(format!("patrol id {id:?} is not a whole number"))
        })?;
        let track = expect_line(geometry, Self::LAYER)?;
        let times = times(props, "times")?;
        if times.len() != track.0.len() {
            return Err(FeatureError::attribute(format!(
                "property times has {} times for {} vertices; a patrol needs one time per vertex",
                times.len(),
                track.0.len()
            )));
        }
        if let Some(i) = times.windows(2).position(|w| w[1] < w[0]) {
            return Err(FeatureError::attribute(format!(
                "property times: time {} is before time {i}; times must be ascending",
                i + 1
            )));
        }
        Ok(Self {
            id,
            worker: WorkerId(required("worker", text(props, "worker")?)?.into_owned()),
            track,
            times,
        })
    }
}
