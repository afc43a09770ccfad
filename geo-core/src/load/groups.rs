//! Findings summed up for people: one group per check and severity, with how many, how
//! much area and the worst examples. A county's merged grids can carry tens of thousands of
//! gap warnings; the terminal and the wizard show the groups, the JSON report every finding.

use serde::Serialize;

use crate::validate::{Check, Finding, Severity};

/// The findings of one check and severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingGroup {
    /// The check.
    pub check: Check,
    /// Error or warning.
    pub severity: Severity,
    /// Findings in the group.
    pub findings: usize,
    /// Rows they concern: a gathered finding ([`super::Tally`]) counts its rows, any other
    /// finding one.
    pub rows: usize,
    /// Total area of the findings that have one (overlaps, gaps, slivers), m².
    pub area_m2: Option<f64>,
    /// The largest of those areas, m².
    pub largest_m2: Option<f64>,
    /// Positions in the report's findings of the worst ones, worst first: the largest area,
    /// else the most rows, else the first in the file.
    pub worst: Vec<usize>,
}

impl FindingGroup {
    /// Findings of the group not among [`Self::worst`].
    #[must_use]
    pub fn more(&self) -> usize {
        self.findings - self.worst.len()
    }
}

/// Groups `findings` by severity (errors first) and check, keeping up to `worst` examples of
/// each.
///
/// ```
/// use geo_core::load::group_findings;
/// use geo_core::validate::{Check, Finding, Severity};
///
/// let mut small = Finding::new(Check::Gap, Severity::Warning, "gap".into());
/// small.area_m2 = Some(2.0);
/// let mut large = small.clone();
/// large.area_m2 = Some(40.0);
/// let odd = Finding::new(Check::MalformedCode, Severity::Error, "11 digits".into());
/// let groups = group_findings(&[small, large, odd], 1);
/// assert_eq!(groups[0].check, Check::MalformedCode);
/// assert_eq!((groups[1].findings, groups[1].area_m2), (2, Some(42.0)));
/// assert_eq!(groups[1].worst, vec![1]);
/// ```
#[must_use]
pub fn group_findings(findings: &[Finding], worst: usize) -> Vec<FindingGroup> {
    let mut keys: Vec<(Severity, Check)> = findings.iter().map(|f| (f.severity, f.check)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .map(|(severity, check)| {
            let members: Vec<usize> = (0..findings.len())
                .filter(|&i| findings[i].severity == severity && findings[i].check == check)
                .collect();
            let areas = members.iter().filter_map(|&i| findings[i].area_m2);
            let area_m2 = areas.clone().reduce(|a, b| a + b);
            let largest_m2 = areas.reduce(f64::max);
            let rows = members
                .iter()
                .map(|&i| findings[i].count.unwrap_or(1))
                .sum();
            let mut ranked = members.clone();
            // Stable, so equals keep file order.
            ranked.sort_by(|&a, &b| {
                let (fa, fb) = (&findings[a], &findings[b]);
                let area = |f: &Finding| f.area_m2.unwrap_or(0.0);
                area(fb)
                    .total_cmp(&area(fa))
                    .then(fb.count.unwrap_or(1).cmp(&fa.count.unwrap_or(1)))
            });
            ranked.truncate(worst);
            FindingGroup {
                check,
                severity,
                findings: members.len(),
                rows,
                area_m2,
                largest_m2,
                worst: ranked,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(check: Check, severity: Severity, area: Option<f64>) -> Finding {
        let mut f = Finding::new(check, severity, format!("{check}"));
        f.area_m2 = area;
        f
    }

    #[test]
    fn errors_come_first_and_each_check_is_one_group() {
        let f = vec![
            finding(Check::Gap, Severity::Warning, Some(3.0)),
            finding(Check::Overlap, Severity::Error, Some(10.0)),
            finding(Check::Gap, Severity::Warning, Some(7.0)),
            finding(Check::Overlap, Severity::Error, Some(20.0)),
            finding(Check::Overlap, Severity::Warning, Some(0.5)),
        ];
        let g = group_findings(&f, 5);
        let keys: Vec<_> = g
            .iter()
            .map(|g| (g.severity, g.check, g.findings))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Severity::Error, Check::Overlap, 2),
                (Severity::Warning, Check::Overlap, 1),
                (Severity::Warning, Check::Gap, 2),
            ]
        );
        assert_eq!(g[0].worst, vec![3, 1]);
        assert_eq!(g[0].area_m2, Some(30.0));
        assert_eq!(g[0].largest_m2, Some(20.0));
        assert_eq!(g[2].worst, vec![2, 0]);
    }

    #[test]
    fn without_area_the_most_rows_then_file_order_lead() {
        let mut many = finding(Check::Attribute, Severity::Warning, None);
        many.count = Some(900);
        let f = vec![
            finding(Check::Attribute, Severity::Warning, None),
            finding(Check::Attribute, Severity::Warning, None),
            many,
        ];
        let g = group_findings(&f, 2);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].worst, vec![2, 0]);
        assert_eq!((g[0].findings, g[0].rows, g[0].more()), (3, 902, 1));
        assert_eq!(g[0].area_m2, None);
    }

    #[test]
    fn no_findings_no_groups() {
        assert!(group_findings(&[], 5).is_empty());
    }
}
