//! Incidents over the fixed three-year window: spatial hotspots (towns, markets), a
//! realistic category mix, daily and seasonal rhythms, and lifecycles consistent with
//! their status as of [`WINDOW_END`].

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::admin::Hierarchy;
use super::weighted::Weighted;
use super::{names, stream, DemoConfig, WINDOW_END, WINDOW_START};
use crate::model::{
    Category, GridKind, Incident, IncidentDetails, IncidentId, Lifecycle, Source, Step,
    Supervision, UnixTime,
};
use crate::Result;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;

/// Relative frequency of each hour of the local day.
const HOURLY: [f64; 24] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.0, 5.0, 5.0, 4.5, 3.5, 3.5, 4.5, 5.0, 4.8, 4.0, 3.5,
    3.2, 3.0, 2.5, 2.0, 1.5,
];

/// Share of each major class, in [`Category::ALL`] order.
const CATEGORY_MIX: [f64; 7] = [0.34, 0.12, 0.10, 0.15, 0.19, 0.05, 0.05];

/// Generates `config.incidents` incidents and their details (same order).
pub fn generate(
    config: &DemoConfig,
    h: &Hierarchy,
) -> Result<(Vec<Incident>, Vec<IncidentDetails>)> {
    let mut rng = config.rng(stream::INCIDENTS);
    let table = Weighted::new(h.grids.iter().zip(&h.meta).map(|(g, m)| {
        let mut w = f64::from(g.population.max(50));
        if m.urban {
            w *= 1.6;
        }
        if m.seat {
            w *= 2.0;
        }
        if g.kind == GridKind::Market {
            w *= 3.0;
        }
        w
    }));
    let categories = Weighted::new(CATEGORY_MIX);
    let hours = Weighted::new(HOURLY);
    let days = (WINDOW_END - WINDOW_START) / DAY;
    let mut incidents = Vec::with_capacity(config.incidents);
    let mut details = Vec::with_capacity(config.incidents);
    while incidents.len() < config.incidents {
        let Some(gi) = table.draw(&mut rng) else {
            break;
        };
        let Some(location) = h.sample_in_grid(&mut rng, gi, 0.7, 8.0) else {
            continue;
        };
        let m = &h.meta[gi];
        let category = Category::ALL[categories.draw(&mut rng).unwrap_or(6)];
        let reported = report_time(&mut rng, &hours, days, category);
        let subs = category.subcategories();
        let subcategory = rng.random_range(0..subs.len()) as u8;
        let collective = category == Category::Petition && subcategory == 0;
        let people: u16 = match category {
            _ if collective => rng.random_range(5..=60),
            Category::Dispute => 2 + (rng.random::<f64>().powi(3) * 6.0) as u16,
            Category::PublicSecurity => rng.random_range(1..=4),
            _ => 1 + u16::from(rng.random_bool(0.15)),
        };
        let source = source(&mut rng, category);
        let limit_days: i64 = match category {
            Category::Dispute => 15,
            Category::PublicSecurity | Category::Environment => 7,
            Category::FireHazard => 3,
            Category::SafetyHazard => 5,
            Category::Petition if collective => 60,
            Category::Petition => 30,
            Category::Other => 10,
        };
        let (lifecycle, status, deadline) = lifecycle(&mut rng, reported, limit_days)?;
        let overdue = lifecycle
            .at(Step::Closed)
            .map_or(WINDOW_END > deadline, |c| c > deadline)
            && status != Step::Cancelled
            && status != Step::SentBack;
        let supervision = supervision(&mut rng, overdue);
        let village = &h.admin[m.village].name;
        details.push(IncidentDetails {
            description: names::description(&mut rng, village, subs[usize::from(subcategory)].1),
            reporter: format!("{}（{}）", names::person(&mut rng), names::phone(&mut rng)),
        });
        incidents.push(Incident {
            id: IncidentId(incidents.len() as u64 + 1),
            location,
            category,
            subcategory,
            source,
            people,
            status,
            lifecycle,
            deadline,
            supervision,
        });
    }
    Ok((incidents, details))
}

/// A report time: seasonal and weekly rhythm by rejection, a daily profile by hour, and
/// a gentle growth as the platform is adopted.
fn report_time(rng: &mut ChaCha8Rng, hours: &Weighted, days: i64, category: Category) -> UnixTime {
    loop {
        let day = rng.random_range(0..days);
        let doy = (day + 273) % 365; // the window starts on 1 October
        let season = 1.0 + 0.15 * ((doy as f64 - 105.0) / 365.0 * std::f64::consts::TAU).sin();
        // Disputes peak around the Spring Festival (late January to February).
        let festival = if category == Category::Dispute && (20..60).contains(&doy) {
            1.4
        } else {
            1.0
        };
        let weekend = if (day + 6) % 7 >= 5 { 0.8 } else { 1.0 };
        let growth = 0.8 + 0.4 * day as f64 / days as f64;
        let w = season * festival * weekend * growth / (1.15 * 1.4 * 1.2);
        if rng.random::<f64>() < w {
            let hour = hours.draw(rng).unwrap_or(10) as i64;
            return WINDOW_START + day * DAY + hour * HOUR + rng.random_range(0..HOUR);
        }
    }
}

fn source(rng: &mut ChaCha8Rng, category: Category) -> Source {
    let video = match category {
        Category::Environment | Category::PublicSecurity | Category::FireHazard => 0.18,
        _ => 0.06,
    };
    let r: f64 = rng.random();
    if r < 0.55 {
        Source::GridWorker
    } else if r < 0.55 + video {
        Source::Video
    } else if r < 0.80 + video / 2.0 {
        Source::Hotline
    } else {
        Source::Public
    }
}

fn supervision(rng: &mut ChaCha8Rng, overdue: bool) -> Supervision {
    let r: f64 = rng.random();
    let (t, c, p) = if overdue {
        (0.40, 0.55, 0.60)
    } else {
        (0.04, 0.05, 0.052)
    };
    if r < t {
        Supervision::Township
    } else if r < c {
        Supervision::County
    } else if r < p {
        Supervision::Prefecture
    } else {
        Supervision::None
    }
}

/// Exponential with the given mean, at least a minute.
fn wait(rng: &mut ChaCha8Rng, mean: f64) -> i64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    (-u.ln() * mean).max(60.0) as i64
}

/// Steps with their times; everything after [`WINDOW_END`] has not happened yet.
fn lifecycle(
    rng: &mut ChaCha8Rng,
    reported: UnixTime,
    limit_days: i64,
) -> Result<(Lifecycle, Step, UnixTime)> {
    let mut deadline = reported + limit_days * DAY;
    let mut plan: Vec<(Step, UnixTime)> = Vec::with_capacity(8);
    let mut t = reported + wait(rng, 0.5 * HOUR as f64);
    plan.push((Step::Accepted, t));
    let outcome: f64 = rng.random();
    if outcome < 0.02 {
        plan.push((Step::Cancelled, t + wait(rng, 4.0 * HOUR as f64)));
    } else if outcome < 0.035 {
        t += wait(rng, 2.0 * HOUR as f64);
        plan.push((Step::Filed, t));
        plan.push((Step::SentBack, t + wait(rng, 12.0 * HOUR as f64)));
    } else {
        for (step, mean) in [
            (Step::Filed, 2.0),
            (Step::Dispatched, 3.0),
            (Step::Handling, 6.0),
        ] {
            t += wait(rng, mean * HOUR as f64);
            plan.push((step, t));
        }
        if outcome < 0.065 {
            t += wait(rng, 2.0 * DAY as f64);
            plan.push((Step::Postponed, t));
            deadline += limit_days * DAY;
        }
        // Most finish within the time limit; about one in ten overruns it.
        let handling = (limit_days * DAY) as f64 * rng.random_range(0.05..1.12);
        t = (t + handling as i64).max(t + 600);
        plan.push((Step::Verifying, t));
        t += wait(rng, 8.0 * HOUR as f64);
        plan.push((Step::Closed, t));
    }
    let mut life = Lifecycle::reported(reported);
    let mut status = Step::Reported;
    for (step, at) in plan {
        if at >= WINDOW_END {
            break;
        }
        life.set(step, at)?;
        status = step;
    }
    Ok((life, status, deadline))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn lifecycles_are_ordered_and_end_in_their_status() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for i in 0..5_000 {
            let reported = WINDOW_END - 40 * DAY + i * 600;
            let (life, status, deadline) = lifecycle(&mut rng, reported, 7).unwrap();
            let steps: Vec<_> = life.steps().collect();
            let mut times: Vec<_> = steps.iter().map(|s| s.1).collect();
            let last = *times.iter().max().unwrap();
            assert!(life.at(status) == Some(last));
            times.sort_unstable();
            assert!(times.windows(2).all(|w| w[0] <= w[1]));
            assert!(last < WINDOW_END);
            assert!(deadline > reported);
        }
    }
}
