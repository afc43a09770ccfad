//! The way in for files from outside: read ([`crate::source`]), move into onemap's CRS
//! ([`crate::crs`]), map the file's fields onto a layer, check ([`crate::validate`]), and
//! hand back a [`Dataset`] with a [`Report`]. Nothing here writes: the caller writes the
//! dataset in one change set, or nothing, as the report says.

mod defaults;
mod fields;
mod groups;
mod guess;
mod mapping;
mod native;
mod pipeline;
mod repairs;
mod report;
mod tally;

pub use defaults::{interpolate_times, CategoryMap, CategoryTarget};
pub use fields::{default_value, Defaults, FieldMap};
pub use groups::{group_findings, FindingGroup};
pub use guess::guess_layer;
pub use mapping::{
    choices, properties, Applied, Column, Mapping, MappingError, Renamed, Replaced, DISTINCT_MAX,
};
pub use native::{is_onemap_csv, prepare_onemap_csv};
pub use pipeline::prepare;
pub use tally::Tally;

use crate::source::{self, SourceError};
pub use report::{Report, WORST_SHOWN};

use crate::crs::Crs;
use crate::model::{Dataset, DeadlinePolicy, Layer};
use crate::source::SourceOptions;
use crate::validate::{Repairs, Tolerances};

/// How to load one file into one layer.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The layer the features become.
    pub layer: Layer,
    /// The CRS of the coordinates, overriding what the file says (needed for GCJ-02/BD-09).
    pub crs: Option<Crs>,
    /// How to read the file.
    pub source: SourceOptions,
    /// Tolerances of the checks.
    pub tolerances: Tolerances,
    /// Repairs to apply.
    pub repairs: Repairs,
    /// Leave out features with error findings instead of refusing the file.
    pub skip_invalid: bool,
    /// Days to closure per category: the deadline of an incident the file gives none
    /// (the server's own policy in the wizard, so imports and reports agree).
    pub deadlines: DeadlinePolicy,
    /// Incident category values of the file and the category (and subcategory) each
    /// becomes; values neither here nor onemap's become `other` with a warning.
    pub categories: CategoryMap,
    /// The worker of every patrol track in the file (a GPX track names none, or another).
    pub worker: Option<String>,
    /// The mapping file's columns and values, set with [`LoadOptions::set_mapping`].
    pub mapping: Option<Mapping>,
}

impl LoadOptions {
    /// Defaults for `layer`: the file's CRS, no repairs, all or nothing.
    #[must_use]
    pub fn new(layer: Layer) -> Self {
        Self {
            layer,
            crs: None,
            source: SourceOptions::default(),
            tolerances: Tolerances::default(),
            repairs: Repairs::default(),
            skip_invalid: false,
            deadlines: DeadlinePolicy::default(),
            categories: CategoryMap::new(),
            worker: None,
            mapping: None,
        }
    }

    /// Loads with `mapping`: checked against the layer, its category values fed to
    /// [`LoadOptions::categories`], its `lon`/`lat`/`wkt` columns to the CSV reader (unless
    /// the reader was told others).
    pub fn set_mapping(&mut self, mapping: Mapping) -> Result<(), MappingError> {
        mapping.check(self.layer)?;
        self.categories.extend(mapping.categories());
        for (property, slot) in [
            ("lon", &mut self.source.lon),
            ("lat", &mut self.source.lat),
            ("wkt", &mut self.source.wkt),
        ] {
            if slot.is_none() {
                *slot = mapping.column_for(property).map(str::to_owned);
            }
        }
        self.mapping = Some(mapping);
        Ok(())
    }
}

/// A file made ready to write: the features that may be written, and the report.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What may be written: everything when the report has no error, the valid rest with
    /// `skip_invalid`, nothing otherwise.
    pub data: Dataset,
    /// What was found.
    pub report: Report,
    /// The features that will not be written, in lon/lat (for a preview of the whole
    /// file): those with errors and the other side of their overlaps, or every feature
    /// when the file is refused.
    pub left_out: Vec<LeftOut>,
    /// The file's columns, each with the property it was read as and its distinct values
    /// when they are codes (for the wizard's mapping step); empty for onemap's own CSV.
    pub columns: Vec<Column>,
}

/// A feature of the file that is not among those to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// Its position in the file.
    pub index: usize,
    /// Its key as the file has it.
    pub id: Option<String>,
    /// Its geometry in lon/lat.
    pub geometry: geo_types::Geometry<f64>,
}

/// Reads an uploaded or in-memory file named `name` and prepares it: onemap's own CSV takes
/// the fast path ([`prepare_onemap_csv`]), anything else is read by its extension and goes
/// through [`prepare`]. A file that cannot be read at all is an error.
pub fn prepare_bytes(
    name: &str,
    bytes: &[u8],
    opts: &LoadOptions,
    context: &Dataset,
) -> Result<Prepared, SourceError> {
    if is_onemap_csv(bytes, opts) {
        return Ok(prepare_onemap_csv(bytes, name, opts));
    }
    let source = source::read_bytes(name, bytes, &opts.source)?;
    Ok(prepare(source, name, opts, context))
}
