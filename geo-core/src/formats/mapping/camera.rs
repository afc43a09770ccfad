//! Cameras: id = 20-digit GB/T 28181 id, properties name, `ptz_type`, `position_type` (1-10),
//! direction (1-8), `azimuth_deg`, `fov_deg`, `range_m` (null when unknown), status.

use geo_types::Geometry;
use geojson::{GeometryValue, JsonObject};

use super::props::{f32_value, float, int, required, text, Properties};
use super::{parse_code, put, FeatureMapping};
use crate::formats::geometry::expect_point;
use crate::formats::FeatureError;
use crate::model::{Camera, CameraStatus, Direction, Layer, PositionType, PtzType};

const PTZ: [(PtzType, &str); 4] = [
    (PtzType::Dome, "dome"),
    (PtzType::Hemisphere, "hemisphere"),
    (PtzType::FixedBullet, "fixed_bullet"),
    (PtzType::RemoteBullet, "remote_bullet"),
];

/// The PTZ type's name (as the model's serde names it).
fn ptz_name(p: PtzType) -> &'static str {
    PTZ.iter().find(|(t, _)| *t == p).map_or("dome", |(_, n)| n)
}

fn status_name(s: CameraStatus) -> &'static str {
    match s {
        CameraStatus::Online => "online",
        CameraStatus::Offline => "offline",
    }
}

/// An optional non-negative `f32` such as a range or field of view.
fn opt_f32(props: &impl Properties, key: &str) -> Result<Option<f32>, FeatureError> {
    match float(props, key)? {
        None => Ok(None),
        Some(v) if (0.0..=f64::from(f32::MAX)).contains(&v) => Ok(Some(v as f32)),
        Some(v) => Err(FeatureError::attribute(format!(
            "property {key}: {v} is out of range (0 or more)"
        ))),
    }
}

impl FeatureMapping for Camera {
    const LAYER: Layer = Layer::Cameras;
    const PROPERTIES: &'static [&'static str] = &[
        "name",
        "ptz_type",
        "position_type",
        "direction",
        "azimuth_deg",
        "fov_deg",
        "range_m",
        "status",
    ];

    fn key(&self) -> String {
        self.id.to_string()
    }

    fn geometry_value(&self) -> GeometryValue {
        GeometryValue::from(&self.location)
    }

    fn properties(&self, _personal: bool) -> JsonObject {
        let mut m = JsonObject::new();
        put(&mut m, "name", self.name.as_str());
        put(&mut m, "ptz_type", ptz_name(self.ptz_type));
        put(&mut m, "position_type", self.position_type.code());
        put(&mut m, "direction", self.direction.code());
        put(&mut m, "azimuth_deg", f32_value(self.azimuth_deg));
        put(&mut m, "fov_deg", f32_value(self.fov_deg));
        put(&mut m, "range_m", f32_value(self.range_m));
        put(&mut m, "status", status_name(self.status));
        m
    }

    fn from_parts(
        id: &str,
        geometry: Geometry<f64>,
        props: &impl Properties,
    ) -> Result<Self, FeatureError> {
        let ptz = required("ptz_type", text(props, "ptz_type")?)?;
        let ptz_type = PTZ
            .iter()
            .find(|(_, n)| *n == ptz)
            .map(|(t, _)| *t)
            .ok_or_else(|| {
                FeatureError::attribute(format!(
                    "property ptz_type: {ptz:?} is not one of dome, hemisphere, fixed_bullet, remote_bullet"
                ))
            })?;
        let pos: u8 = required("position_type", int(props, "position_type")?)?;
        let position_type = PositionType::new(pos).ok_or_else(|| {
            FeatureError::attribute(format!("property position_type: {pos} is not 1-10"))
        })?;
        let dir: u8 = required("direction", int(props, "direction")?)?;
        let direction = Direction::new(dir).ok_or_else(|| {
            FeatureError::attribute(format!("property direction: {dir} is not 1-8"))
        })?;
        let status = match required("status", text(props, "status")?)?.as_ref() {
            "online" => CameraStatus::Online,
            "offline" => CameraStatus::Offline,
            other => {
                return Err(FeatureError::attribute(format!(
                    "property status: {other:?} is not online or offline"
                )))
            }
        };
        let azimuth_deg = match float(props, "azimuth_deg")? {
            None => None,
            Some(a) if (0.0..=360.0).contains(&a) => Some(a as f32),
            Some(a) => {
                return Err(FeatureError::attribute(format!(
                    "property azimuth_deg: {a} is out of range 0..360"
                )))
            }
        };
        Ok(Self {
            id: parse_code(id)?,
            name: required("name", text(props, "name")?)?.into_owned(),
            ptz_type,
            position_type,
            direction,
            azimuth_deg,
            fov_deg: opt_f32(props, "fov_deg")?,
            range_m: opt_f32(props, "range_m")?,
            status,
            location: expect_point(geometry, Self::LAYER)?,
        })
    }
}
