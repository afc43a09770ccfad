//! The layers served as tiles: the model's layers under their own names, and `heatmap`.

use std::fmt;
use std::str::FromStr;

use crate::model::Layer;
use crate::Error;

/// A tile layer: one of the model's layers, or the incident heatmap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileLayer {
    /// A data layer's features (incidents clustered below [`super::RAW_MIN_ZOOM`]).
    Data(Layer),
    /// H3 hexagons with incident counts.
    Heatmap,
}

impl TileLayer {
    /// Every tile layer, the data layers first.
    pub const ALL: [TileLayer; 8] = [
        TileLayer::Data(Layer::Admin),
        TileLayer::Data(Layer::Grids),
        TileLayer::Data(Layer::Centers),
        TileLayer::Data(Layer::Workers),
        TileLayer::Data(Layer::Cameras),
        TileLayer::Data(Layer::Incidents),
        TileLayer::Data(Layer::Patrols),
        TileLayer::Heatmap,
    ];

    /// The name in URLs and the MVT layer name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            TileLayer::Data(l) => l.as_str(),
            TileLayer::Heatmap => "heatmap",
        }
    }

    /// The model layer a tile draws from (incidents for the heatmap).
    #[must_use]
    pub const fn source(self) -> Layer {
        match self {
            TileLayer::Data(l) => l,
            TileLayer::Heatmap => Layer::Incidents,
        }
    }
}

impl From<Layer> for TileLayer {
    fn from(layer: Layer) -> Self {
        TileLayer::Data(layer)
    }
}

impl FromStr for TileLayer {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if s == "heatmap" {
            Ok(TileLayer::Heatmap)
        } else {
            s.parse().map(TileLayer::Data)
        }
    }
}

impl fmt::Display for TileLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for l in TileLayer::ALL {
            assert_eq!(l.as_str().parse::<TileLayer>().unwrap(), l);
        }
        assert!("roads".parse::<TileLayer>().is_err());
    }
}
