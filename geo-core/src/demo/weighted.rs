//! Weighted choice by a cumulative table and binary search: O(log n) per draw.

use rand::Rng;

/// A table to draw indices with probability proportional to their weights.
#[derive(Debug, Clone)]
pub struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    /// Builds the table; negative or NaN weights count as zero.
    #[must_use]
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                acc += if w.is_finite() && w > 0.0 { w } else { 0.0 };
                acc
            })
            .collect();
        Self { cumulative }
    }

    /// A random index, or `None` when every weight is zero.
    pub fn draw<R: Rng>(&self, rng: &mut R) -> Option<usize> {
        let total = *self.cumulative.last()?;
        if total <= 0.0 {
            return None;
        }
        let r = rng.random_range(0.0..total);
        Some(
            self.cumulative
                .partition_point(|&c| c <= r)
                .min(self.cumulative.len() - 1),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn frequencies_follow_weights() {
        let w = Weighted::new([1.0, 0.0, 3.0]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut counts = [0usize; 3];
        for _ in 0..40_000 {
            counts[w.draw(&mut rng).unwrap()] += 1;
        }
        assert_eq!(counts[1], 0);
        let ratio = counts[2] as f64 / counts[0] as f64;
        assert!((ratio - 3.0).abs() < 0.15, "{ratio}");
        assert!(Weighted::new([0.0]).draw(&mut rng).is_none());
    }
}
