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
