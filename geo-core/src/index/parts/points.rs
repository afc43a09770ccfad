//! Point layers that change seldom (cameras, centers): rebuilt whole on a write, which at
//! 59,000 cameras costs milliseconds.

use std::collections::HashMap;

use h3o::CellIndex;
use rstar::RTree;

use super::super::sphere::SphereIndex;
use super::{base_cell, first_index, point_tree, PointEntry};
use crate::codes::{AdminCode, CameraId};
use crate::model::{Camera, Center};

/// Cameras with their nearest-neighbour index, R-tree and cells.
#[derive(Debug, Default)]
pub(crate) struct CameraPart {
    pub(crate) cameras: Vec<Camera>,
    pub(crate) sphere: SphereIndex,
    pub(crate) tree: RTree<PointEntry>,
    pub(crate) by_id: HashMap<CameraId, u32>,
    pub(crate) cells: Vec<Option<CellIndex>>,
}

impl CameraPart {
    /// Indexes `cameras`.
    pub(crate) fn new(cameras: Vec<Camera>) -> Self {
        Self {
            sphere: SphereIndex::new(cameras.iter().map(|c| c.location)),
            tree: point_tree(cameras.iter().map(|c| c.location)),
            by_id: first_index(cameras.iter().map(|c| c.id)),
            cells: cameras.iter().map(|c| base_cell(c.location)).collect(),
            cameras,
        }
    }
}

/// Governance centers.
#[derive(Debug, Default)]
pub(crate) struct CenterPart {
    pub(crate) centers: Vec<Center>,
    pub(crate) tree: RTree<PointEntry>,
    pub(crate) by_code: HashMap<AdminCode, u32>,
}

impl CenterPart {
    /// Indexes `centers`.
    pub(crate) fn new(centers: Vec<Center>) -> Self {
        Self {
            tree: point_tree(centers.iter().map(|c| c.location)),
            by_code: first_index(centers.iter().map(|c| c.code)),
            centers,
        }
    }
}
