//! What loading a file found: the report written to `--report` and shown in the wizard.

use std::fmt;

use serde::Serialize;

use super::groups::{group_findings, FindingGroup};
use super::LoadOptions;
use crate::source::Source;
use crate::validate::{Finding, Severity};

/// How many examples of each group of findings the terminal shows, worst first.
pub const WORST_SHOWN: usize = 5;

/// The validation report of one file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The file as named by the user.
    pub file: String,
    /// The format it was read as.
    pub format: Option<&'static str>,
    /// The layer it was loaded into.
    pub layer: &'static str,
    /// The CRS the coordinates were taken to be in.
    pub crs: Option<String>,
    /// Where the CRS came from: `option`, `file` or `default`.
    pub crs_from: &'static str,
    /// The text encoding of attributes, and whether it was declared.
    pub encoding: Option<String>,
    /// Whether the encoding was declared by the file (`.cpg`) rather than detected.
    pub encoding_declared: Option<bool>,
    /// Features in the file.
    pub features: usize,
    /// Features that may be written.
    pub accepted: usize,
    /// Whether they were written (set by the caller that writes).
    pub written: bool,
    /// Positions of the features left out (with `skip_invalid`).
    pub skipped: Vec<usize>,
    /// onemap properties the file lacks, filled with a default (`kind = "basic"`).
    pub defaults: Vec<String>,
    /// What the mapping file (`--map`) renamed and replaced, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<super::Applied>,
    /// Repairs applied, one line each.
    pub repairs: Vec<String>,
    /// What the coverage cleaning closed (admin units and grids), if it ran.
    pub cleaning: Option<crate::validate::Cleaning>,
    /// Everything found, in file order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// An empty report for `source` read from `file`.
    #[must_use]
    pub fn new(file: &str, source: &Source, opts: &LoadOptions) -> Self {
        Self {
            file: file.to_owned(),
            format: source.format.map(crate::source::SourceFormat::as_str),
            layer: opts.layer.as_str(),
            crs: None,
            crs_from: "default",
            encoding: source.encoding.as_ref().map(|e| e.name.clone()),
            encoding_declared: source.encoding.as_ref().map(|e| e.declared),
            features: source.features.len() + source.problems.len(),
            accepted: 0,
            written: false,
            skipped: Vec::new(),
            defaults: Vec::new(),
            mapping: None,
            repairs: Vec::new(),
            cleaning: None,
            findings: Vec::new(),
        }
    }

    /// Number of error findings.
    #[must_use]
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// The findings grouped by severity and check, with up to `worst` examples each.
    #[must_use]
    pub fn groups(&self, worst: usize) -> Vec<FindingGroup> {
        group_findings(&self.findings, worst)
    }

    /// Number of warnings.
    #[must_use]
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} features as {} ({}), CRS {} ({}){}",
            self.file,
            self.features,
            self.layer,
            self.format.unwrap_or("?"),
            self.crs.as_deref().unwrap_or("?"),
            self.crs_from,
            self.encoding
                .as_ref()
                .map(|e| format!(", text {e}"))
                .unwrap_or_default()
        )?;
        if !self.defaults.is_empty() {
            writeln!(f, "  not in the file, set to: {}", self.defaults.join(", "))?;
        }
        if let Some(m) = &self.mapping {
            writeln!(f, "  {}", m.summary())?;
        }
        if let Some(c) = self
            .cleaning
            .as_ref()
            .filter(|c| c.features > 0 || !c.kept.is_empty())
        {
            writeln!(f, "  {}", c.summary())?;
        }
        for g in self.groups(WORST_SHOWN) {
            write!(f, "  {} {} x{}", g.severity.as_str(), g.check, g.findings)?;
            if g.rows > g.findings {
                write!(f, " ({} rows)", g.rows)?;
            }
            if let (Some(total), Some(largest)) = (g.area_m2, g.largest_m2) {
                write!(f, ", {total:.1} m² in all, largest {largest:.1} m²")?;
            }
            writeln!(f)?;
            for &i in &g.worst {
                writeln!(f, "    {}", self.findings[i].detail())?;
            }
            if g.more() > 0 {
                writeln!(f, "    ... and {} more (every one in --report)", g.more())?;
            }
        }
        for r in &self.repairs {
            writeln!(f, "  repaired: {r}")?;
        }
        write!(
            f,
            "{} errors, {} warnings; {} of {} features can be written",
            self.errors(),
            self.warnings(),
            self.accepted,
            self.features
        )
    }
}
