use geo_types::Point;
use serde::{Deserialize, Serialize};

use crate::codes::CameraId;

/// GB/T 28181 `PTZType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PtzType {
    /// 1 球机: dome, pans all round.
    Dome,
    /// 2 半球: hemisphere, fixed.
    Hemisphere,
    /// 3 固定枪机: fixed bullet.
    FixedBullet,
    /// 4 遥控枪机: remote-controlled bullet.
    RemoteBullet,
}

impl PtzType {
    /// The GB/T 28181 numeric value.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            PtzType::Dome => 1,
            PtzType::Hemisphere => 2,
            PtzType::FixedBullet => 3,
            PtzType::RemoteBullet => 4,
        }
    }

    /// From the GB/T 28181 numeric value.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(PtzType::Dome),
            2 => Some(PtzType::Hemisphere),
            3 => Some(PtzType::FixedBullet),
            4 => Some(PtzType::RemoteBullet),
            _ => None,
        }
    }
}

/// GB/T 28181 `PositionType` (1-10): where the camera is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PositionType(u8);

impl PositionType {
    /// Names of the GB/T 28181 position types 1-10.
    pub const NAMES: [&'static str; 10] = [
        "省际检查站",
        "党政机关",
        "车站码头",
        "中心广场",
        "体育场馆",
        "商业中心",
        "宗教场所",
        "校园周边",
        "治安复杂区域",
        "交通干线",
    ];

    /// Checks the value is 1-10.
    #[must_use]
    pub const fn new(code: u8) -> Option<Self> {
        if code >= 1 && code <= 10 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The numeric value, 1-10.
    #[must_use]
    pub const fn code(self) -> u8 {
        self.0
    }

    /// The Chinese name of the position type.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::NAMES
            .get(usize::from(self.0).saturating_sub(1))
            .copied()
            .unwrap_or("")
    }
}

/// GB/T 28181 `Direction` (1-8): the compass direction a fixed camera faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Direction(u8);

impl Direction {
    /// Checks the value is 1-8.
    #[must_use]
    pub const fn new(code: u8) -> Option<Self> {
        if code >= 1 && code <= 8 {
            Some(Self(code))
        } else {
            None
        }
    }

    /// The numeric value, 1-8.
    #[must_use]
    pub const fn code(self) -> u8 {
        self.0
    }

    /// Azimuth in degrees clockwise from north: 1 east, 2 west, 3 south, 4 north,
    /// 5 south-east, 6 north-east, 7 south-west, 8 north-west.
    #[must_use]
    pub const fn azimuth_deg(self) -> f64 {
        match self.0 {
            1 => 90.0,
            2 => 270.0,
            3 => 180.0,
            5 => 135.0,
            6 => 45.0,
            7 => 225.0,
            8 => 315.0,
            _ => 0.0,
        }
    }
}

/// Whether the platform last saw the camera online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// ON
    Online,
    /// OFF
    Offline,
}

/// A video camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// 20-digit GB/T 28181 id.
    pub id: CameraId,
    /// Display name, e.g. 乾州街道世纪大道与人民路口.
    pub name: String,
    /// Dome, hemisphere, bullet...
    pub ptz_type: PtzType,
    /// Where it is mounted.
    pub position_type: PositionType,
    /// Compass direction it faces.
    pub direction: Direction,
    /// Exact azimuth when surveyed, overriding `direction`.
    pub azimuth_deg: Option<f32>,
    /// Horizontal field of view in degrees.
    pub fov_deg: Option<f32>,
    /// Useful viewing range in metres.
    pub range_m: Option<f32>,
    /// Online or offline.
    pub status: CameraStatus,
    /// Position in lon/lat.
    pub location: Point<f64>,
}

impl Camera {
    /// The azimuth the camera faces: the surveyed one if known, else its direction's.
    #[must_use]
    pub fn facing_deg(&self) -> f64 {
        self.azimuth_deg
            .map_or_else(|| self.direction.azimuth_deg(), f64::from)
    }
}
