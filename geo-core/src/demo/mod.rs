//! Deterministic demo data at prefecture (Xiangxi, 湘西州) and province (Hunan) scale
//! (SPEC section 12): real county outlines and real township/village codes and names,
//! generated townships/villages/grids nested inside them, and cameras, incidents,
//! workers, patrols and centers placed inside the grids.
//!
//! The same [`DemoConfig`] always yields the same [`Dataset`]: every stage draws from its
//! own `ChaCha8` stream of the configured seed.
//!
//! ```no_run
//! use geo_core::demo::{generate, DemoConfig};
//! let small = DemoConfig::prefecture().with_counties(1).with_incidents(1_000);
//! let data = generate(&small).unwrap();
//! assert_eq!(data.incidents.len(), 1_000);
//! ```

mod admin;
mod cameras;
mod geometry;
mod incidents;
mod inputs;
mod names;
mod noding;
mod partition;
mod people;
mod weighted;
mod wiggle;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::model::{Dataset, UnixTime};
use crate::Result;

pub use geometry::SNAP;

/// Start of the incident window: 2023-10-01 00:00 China Standard Time.
pub const WINDOW_START: UnixTime = 1_696_089_600;
/// End of the incident window (exclusive) and the data set's "now": 2026-10-01 00:00 CST.
pub const WINDOW_END: UnixTime = 1_790_784_000;

/// Which real area the demo covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// 湘西土家族苗族自治州 (433100): 8 counties.
    Prefecture,
    /// 湖南省 (430000): 14 prefectures, 122 counties.
    Province,
}

/// What to generate. Counts below the number of villages (grids) or grids (workers) are
/// raised to them, since every village has a grid and every grid a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// Prefecture or province.
    pub scale: Scale,
    /// Seed of every random choice.
    pub seed: u64,
    /// Only the first `counties` counties (in code order); `None` for all.
    pub counties: Option<usize>,
    /// Number of grids.
    pub grids: usize,
    /// Number of incidents.
    pub incidents: usize,
    /// Number of cameras.
    pub cameras: usize,
    /// Number of grid workers.
    pub workers: usize,
    /// Number of patrol tracks.
    pub patrols: usize,
    /// Points per patrol track (about; each track varies by up to 5%).
    pub points_per_patrol: usize,
    /// Lloyd relaxation steps for villages and grids (townships get at most one).
    pub lloyd_steps: usize,
    /// Vertices on each edge between two generated units (townships, villages, grids),
    /// which meander like the roads and rivers real boundaries follow; 0 for straight
    /// Voronoi edges (the default, which the tests' fixtures are made from). At 100, grids
    /// get ~50-250 vertices (median ~180), as real ones have: `onemap demo --edge-vertices`.
    pub edge_vertices: usize,
}

impl DemoConfig {
    /// Xiangxi at real magnitudes: 5,382 grids, 59,000 cameras, 1,000,000 incidents.
    #[must_use]
    pub fn prefecture() -> Self {
        Self {
            scale: Scale::Prefecture,
            seed: 20_231_001,
            counties: None,
            grids: 5_382,
            incidents: 1_000_000,
            cameras: 59_000,
            workers: 15_000,
            patrols: 2_000,
            points_per_patrol: 500,
            lloyd_steps: 2,
            edge_vertices: 0,
        }
    }

    /// Hunan: ten times the prefecture's counts.
    #[must_use]
    pub fn province() -> Self {
        Self {
            scale: Scale::Province,
            grids: 53_820,
            incidents: 10_000_000,
            cameras: 590_000,
            workers: 150_000,
            patrols: 20_000,
            ..Self::prefecture()
        }
    }

    /// One county of the prefecture with 200 grids, 5,000 incidents, 1,000 cameras, 300
    /// workers and 20 short patrols: every layer present, generated in well under a second
    /// (what in-process tests and fuzz targets serve).
    #[must_use]
    pub fn county_sample() -> Self {
        Self::prefecture()
            .with_counties(1)
            .with_grids(200)
            .with_incidents(5_000)
            .with_cameras(1_000)
            .with_workers(300)
            .with_patrols(20)
            .with_points_per_patrol(20)
    }

    /// Sets the seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Keeps only the first `n` counties (small, fast configurations).
    #[must_use]
    pub fn with_counties(mut self, n: usize) -> Self {
        self.counties = Some(n);
        self
    }

    /// Sets the number of grids.
    #[must_use]
    pub fn with_grids(mut self, n: usize) -> Self {
        self.grids = n;
        self
    }

    /// Sets the number of incidents.
    #[must_use]
    pub fn with_incidents(mut self, n: usize) -> Self {
        self.incidents = n;
        self
    }

    /// Sets the number of cameras.
    #[must_use]
    pub fn with_cameras(mut self, n: usize) -> Self {
        self.cameras = n;
        self
    }

    /// Sets the number of workers.
    #[must_use]
    pub fn with_workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// Sets the number of patrol tracks.
    #[must_use]
    pub fn with_patrols(mut self, n: usize) -> Self {
        self.patrols = n;
        self
    }

    /// Sets the points per patrol track.
    #[must_use]
    pub fn with_points_per_patrol(mut self, n: usize) -> Self {
        self.points_per_patrol = n;
        self
    }

    /// Sets the Lloyd relaxation steps.
    #[must_use]
    pub fn with_lloyd_steps(mut self, n: usize) -> Self {
        self.lloyd_steps = n;
        self
    }

    /// Sets the vertices per generated edge (0: straight edges).
    #[must_use]
    pub fn with_edge_vertices(mut self, n: usize) -> Self {
        self.edge_vertices = n;
        self
    }

    /// A random stream of this config's seed for one stage (or one county).
    fn rng(&self, stream: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }
}

/// Streams of the stages that do not depend on a county.
mod stream {
    pub const CAMERAS: u64 = 1;
    pub const INCIDENTS: u64 = 2;
    pub const WORKERS: u64 = 3;
    pub const PATROLS: u64 = 4;
}

/// Generates the whole data set; `incident_details` is filled, parallel to `incidents`.
pub fn generate(config: &DemoConfig) -> Result<Dataset> {
    let inputs = inputs::load()?;
    let mut h = admin::build(&inputs, config)?;
    let (workers, patrols) = people::generate(config, &mut h)?;
    let cameras = cameras::generate(config, &h);
    let (incidents, incident_details) = incidents::generate(config, &h)?;
    Ok(Dataset {
        admin: h.admin,
        grids: h.grids,
        cameras,
        incidents,
        incident_details,
        patrols,
        workers,
        centers: h.centers,
    })
}

/// Generates only the admin units, grids and centers (no points): the partition alone.
pub fn generate_partition(config: &DemoConfig) -> Result<Dataset> {
    let inputs = inputs::load()?;
    let h = admin::build(&inputs, config)?;
    Ok(Dataset {
        admin: h.admin,
        grids: h.grids,
        centers: h.centers,
        ..Dataset::default()
    })
}
