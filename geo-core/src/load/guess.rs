//! Guessing which layer a file holds, for `onemap validate` without `--layer`.

use geo_types::Geometry;

use super::fields::FieldMap;
use crate::model::Layer;
use crate::source::Source;

/// The layer `source` most likely holds: by geometry type and the length of its codes
/// (15 digits grids, 6/9/12 admin, 20 cameras). `None` for an empty file.
#[must_use]
pub fn guess_layer(source: &Source) -> Option<Layer> {
    let Some(first) = source.features.iter().find(|f| f.geometry.is_some()) else {
        // A table: a roster names phones or grids, anything else is taken for incidents.
        let row = source.features.first()?;
        let m = FieldMap::new(Layer::Workers, row.properties.keys().map(String::as_str));
        let roster = m.column("phone").is_some() || m.column("grids").is_some();
        return Some(if roster {
            Layer::Workers
        } else {
            Layer::Incidents
        });
    };
    let keys = first.properties.keys().map(String::as_str);
    let code_len = |layer: Layer| {
        let m = FieldMap::new(layer, keys.clone());
        m.id_of(&first.properties, first.fid.as_deref())
            .map(|id| id.trim().len())
    };
    Some(match first.geometry.as_ref()? {
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) | Geometry::Rect(_) => {
            match code_len(Layer::Admin) {
                Some(6 | 9 | 12) if code_len(Layer::Grids) != Some(15) => Layer::Admin,
                _ => Layer::Grids,
            }
        }
        Geometry::LineString(_) | Geometry::MultiLineString(_) => Layer::Patrols,
        _ => {
            if code_len(Layer::Cameras) == Some(20) {
                Layer::Cameras
            } else {
                Layer::Incidents
            }
        }
    })
}
