use geo_types::Coord;

use super::Layer;
use super::{AdminUnit, Camera, Center, Grid, Incident, IncidentDetails, Patrol, Worker};

/// Every layer's features, as loaded from a store or produced by the demo generator.
///
/// `incident_details` is either empty (the in-memory core does not keep personal data) or
/// parallel to `incidents` (when writing to a store).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Counties, townships, villages (parents first).
    pub admin: Vec<AdminUnit>,
    /// Grids, every revision.
    pub grids: Vec<Grid>,
    /// Cameras.
    pub cameras: Vec<Camera>,
    /// Incidents without personal data.
    pub incidents: Vec<Incident>,
    /// Personal data of `incidents`, same order, or empty.
    pub incident_details: Vec<IncidentDetails>,
    /// Patrol tracks.
    pub patrols: Vec<Patrol>,
    /// Grid workers.
    pub workers: Vec<Worker>,
    /// Governance centers.
    pub centers: Vec<Center>,
}

impl Dataset {
    /// Moves every value of `other` to the end of this dataset's layers.
    pub fn append(&mut self, mut other: Dataset) {
        self.admin.append(&mut other.admin);
        self.grids.append(&mut other.grids);
        self.cameras.append(&mut other.cameras);
        self.incidents.append(&mut other.incidents);
        self.incident_details.append(&mut other.incident_details);
        self.patrols.append(&mut other.patrols);
        self.workers.append(&mut other.workers);
        self.centers.append(&mut other.centers);
    }

    /// Applies `f` to every coordinate of `layer` (e.g. a CRS shift on export), stopping at
    /// the first error.
    pub fn try_map_layer_coords<E>(
        &mut self,
        layer: Layer,
        f: impl Fn(Coord<f64>) -> Result<Coord<f64>, E> + Copy,
    ) -> Result<(), E> {
        use geo::MapCoordsInPlace;
        match layer {
            Layer::Admin => self
                .admin
                .iter_mut()
                .try_for_each(|x| x.geometry.try_map_coords_in_place(f)),
            Layer::Grids => self
                .grids
                .iter_mut()
                .try_for_each(|x| x.geometry.try_map_coords_in_place(f)),
            Layer::Cameras => self
                .cameras
                .iter_mut()
                .try_for_each(|x| x.location.try_map_coords_in_place(f)),
            Layer::Incidents => self
                .incidents
                .iter_mut()
                .try_for_each(|x| x.location.try_map_coords_in_place(f)),
            Layer::Patrols => self
                .patrols
                .iter_mut()
                .try_for_each(|x| x.track.try_map_coords_in_place(f)),
            Layer::Workers => self
                .workers
                .iter_mut()
                .try_for_each(|x| x.location.try_map_coords_in_place(f)),
            Layer::Centers => self
                .centers
                .iter_mut()
                .try_for_each(|x| x.location.try_map_coords_in_place(f)),
        }
    }

    /// Whether no layer holds anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.admin.is_empty()
            && self.grids.is_empty()
            && self.cameras.is_empty()
            && self.incidents.is_empty()
            && self.patrols.is_empty()
            && self.workers.is_empty()
            && self.centers.is_empty()
    }
}
