//! The incident workflow: which step may follow which (SPEC section 3), as a table.
//!
//! ```text
//! reported   -> accepted, cancelled
//! accepted   -> filed, sent_back, cancelled
//! filed      -> dispatched, cancelled
//! dispatched -> handling, postponed, sent_back
//! handling   -> verifying, postponed, sent_back
//! verifying  -> closed, sent_back
//! postponed  -> handling, sent_back
//! sent_back  -> dispatched, handling, cancelled   (re-dispatch, or the same handler again)
//! closed, cancelled: final
//! ```
//!
//! ```
//! use geo_core::model::{Step, workflow};
//! assert!(workflow::allowed(Step::Reported, Step::Accepted));
//! assert!(!workflow::allowed(Step::Reported, Step::Closed));
//! assert_eq!(workflow::next_steps(Step::Verifying), &[Step::Closed, Step::SentBack]);
//! ```

use super::{Incident, Step, UnixTime};

/// The steps that may follow `from`.
#[must_use]
pub const fn next_steps(from: Step) -> &'static [Step] {
    match from {
        Step::Reported => &[Step::Accepted, Step::Cancelled],
        Step::Accepted => &[Step::Filed, Step::SentBack, Step::Cancelled],
        Step::Filed => &[Step::Dispatched, Step::Cancelled],
        Step::Dispatched => &[Step::Handling, Step::Postponed, Step::SentBack],
        Step::Handling => &[Step::Verifying, Step::Postponed, Step::SentBack],
        Step::Verifying => &[Step::Closed, Step::SentBack],
        Step::Postponed => &[Step::Handling, Step::SentBack],
        Step::SentBack => &[Step::Dispatched, Step::Handling, Step::Cancelled],
        Step::Closed | Step::Cancelled => &[],
    }
}

/// Whether `to` may follow `from`.
#[must_use]
pub fn allowed(from: Step, to: Step) -> bool {
    next_steps(from).contains(&to)
}

/// Whether the incident is still open (neither closed nor cancelled).
#[must_use]
pub fn is_open(status: Step) -> bool {
    !matches!(status, Step::Closed | Step::Cancelled)
}

/// Whether an incident is overdue at `now`: open and past its deadline.
#[must_use]
pub fn is_overdue(incident: &Incident, now: UnixTime) -> bool {
    is_open(incident.status) && incident.deadline < now
}

/// Why a step cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// The step does not follow the current status.
    #[error("incident {id} is {from}; {to} is not allowed now (allowed: {allowed})")]
    NotAllowed {
        /// The incident.
        id: u64,
        /// Its status.
        from: &'static str,
        /// The step asked for.
        to: &'static str,
        /// What may follow, comma-separated (empty: none, the incident is final).
        allowed: String,
    },
    /// The time given is before the incident's last step or its report.
    #[error("incident {id}: {step} at {time} is before its last step at {last}")]
    TooEarly {
        /// The incident.
        id: u64,
        /// The step asked for.
        step: &'static str,
        /// When it was said to happen.
        time: UnixTime,
        /// The last step's time.
        last: UnixTime,
    },
    /// The lifecycle cannot record the time.
    #[error("{0}")]
    Time(String),
}

/// `incident` after taking `step` at `time`: status and step time set. Refused when the
/// step does not follow the current status, or comes before the last step taken.
pub fn take(incident: &Incident, step: Step, time: UnixTime) -> Result<Incident, StepError> {
    if !allowed(incident.status, step) {
        return Err(StepError::NotAllowed {
            id: incident.id.0,
            from: incident.status.as_str(),
            to: step.as_str(),
            allowed: next_steps(incident.status)
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let last = incident
        .lifecycle
        .steps()
        .map(|(_, t)| t)
        .max()
        .unwrap_or(incident.lifecycle.reported_at);
    if time < last {
        return Err(StepError::TooEarly {
            id: incident.id.0,
            step: step.as_str(),
            time,
            last,
        });
    }
    let mut next = incident.clone();
    next.lifecycle
        .set(step, time)
        .map_err(|e| StepError::Time(e.to_string()))?;
    next.status = step;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, IncidentId, Lifecycle, Source, Supervision};

    fn incident() -> Incident {
        Incident {
            id: IncidentId(7),
            location: geo_types::Point::new(109.7, 28.3),
            category: Category::Dispute,
            subcategory: 0,
            source: Source::Hotline,
            people: 1,
            status: Step::Reported,
            lifecycle: Lifecycle::reported(1_000),
            deadline: 2_000,
            supervision: Supervision::None,
        }
    }

    #[test]
    fn the_whole_path_and_its_times() {
        let mut i = incident();
        for (k, step) in [
            Step::Accepted,
            Step::Filed,
            Step::Dispatched,
            Step::Handling,
            Step::Verifying,
            Step::Closed,
        ]
        .into_iter()
        .enumerate()
        {
            i = take(&i, step, 1_000 + 10 * k as i64).unwrap();
            assert_eq!(i.status, step);
            assert_eq!(i.lifecycle.at(step), Some(1_000 + 10 * k as i64));
        }
        assert!(next_steps(Step::Closed).is_empty());
        let err = take(&i, Step::Handling, 5_000).unwrap_err();
        assert!(err.to_string().contains("allowed: )"), "{err}");
    }

    #[test]
    fn refusals_name_what_is_allowed() {
        let i = incident();
        let err = take(&i, Step::Closed, 1_500).unwrap_err();
        assert_eq!(
            err.to_string(),
            "incident 7 is reported; closed is not allowed now (allowed: accepted, cancelled)"
        );
        let err = take(&i, Step::Accepted, 999).unwrap_err();
        assert!(matches!(err, StepError::TooEarly { last: 1_000, .. }));
    }

    #[test]
    fn every_status_has_a_way_out_or_is_final() {
        for s in Step::ALL {
            let final_ = matches!(s, Step::Closed | Step::Cancelled);
            assert_eq!(next_steps(s).is_empty(), final_, "{s:?}");
            assert!(!next_steps(s).contains(&Step::Reported));
        }
    }

    #[test]
    fn overdue_is_open_and_late() {
        let mut i = incident();
        assert!(!is_overdue(&i, 2_000));
        assert!(is_overdue(&i, 2_001));
        i.status = Step::Closed;
        assert!(!is_overdue(&i, 9_999));
    }
}
