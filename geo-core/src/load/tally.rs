//! Gathering what many rows share into one finding: a default applied to 1,000,000 rows is
//! one line of the report with its count, not 1,000,000 lines.

use std::collections::BTreeMap;

use crate::validate::{Check, Finding, Severity};

/// Per-row findings keyed by check, severity and message, each with the rows it concerns.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Keyed by what is said; the rows in the order they were added (file order).
    entries: BTreeMap<(Check, Severity, String), Vec<usize>>,
    /// Insertion order of the keys, so the report lists them as they were first met.
    order: Vec<(Check, Severity, String)>,
}

impl Tally {
    /// An empty tally.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes that row `row` (its position in the file) has this finding.
    pub fn add(&mut self, check: Check, severity: Severity, message: &str, row: usize) {
        let key = (check, severity, message.to_owned());
        if let Some(rows) = self.entries.get_mut(&key) {
            rows.push(row);
        } else {
            self.order.push(key.clone());
            self.entries.insert(key, vec![row]);
        }
    }

    /// Whether nothing was noted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many rows have the finding with this message, if any.
    #[must_use]
    pub fn count(&self, check: Check, message: &str) -> usize {
        self.entries
            .iter()
            .filter(|((c, _, m), _)| *c == check && m == message)
            .map(|(_, rows)| rows.len())
            .sum()
    }

    /// One file-level finding per message, with its count and rows; `rows_in_file` rows in
    /// all, so a finding about every row says so instead of listing them.
    #[must_use]
    pub fn into_findings(mut self, rows_in_file: usize) -> Vec<Finding> {
        let mut out = Vec::with_capacity(self.order.len());
        for key in std::mem::take(&mut self.order) {
            let Some(mut rows) = self.entries.remove(&key) else {
                continue;
            };
            let (check, severity, message) = key;
            rows.sort_unstable();
            rows.dedup();
            let n = rows.len();
            let mut f = Finding::new(check, severity, message);
            f.count = Some(n);
            if n < rows_in_file {
                f.rows = rows;
            }
            out.push(f);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_message_is_one_finding_with_its_rows() {
        let mut t = Tally::new();
        for row in [4, 1, 2] {
            t.add(
                Check::Attribute,
                Severity::Warning,
                "no subcategory: set to other",
                row,
            );
        }
        t.add(
            Check::Attribute,
            Severity::Warning,
            "no source: set to grid_worker",
            2,
        );
        assert_eq!(t.count(Check::Attribute, "no subcategory: set to other"), 3);
        let f = t.into_findings(10);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].message, "no subcategory: set to other");
        assert_eq!(f[0].count, Some(3));
        assert_eq!(f[0].rows, vec![1, 2, 4]);
        assert_eq!(f[0].index, None);
        assert_eq!(f[1].count, Some(1));
        let shown = f[0].to_string();
        assert!(shown.contains("(3 rows: 1, 2, 4)"), "{shown}");
    }

    #[test]
    fn every_row_is_not_listed() {
        let mut t = Tally::new();
        for row in 0..3 {
            t.add(Check::Attribute, Severity::Warning, "x", row);
        }
        let f = t.into_findings(3);
        assert_eq!(f[0].count, Some(3));
        assert!(f[0].rows.is_empty());
        assert!(f[0].to_string().ends_with("x (3 rows)"));
    }
}
