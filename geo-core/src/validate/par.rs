//! Runs per-item work on every core (std threads; the checks are CPU-bound and independent).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Items handed to a thread at a time: small enough to balance uneven features, large
/// enough that the shared counter is not contended.
const CHUNK: usize = 16;

/// `f(0..n)` in order, computed on all available cores. An item whose computation panics
/// (a bug in a geometry library on some odd shape) is `None` instead of taking the whole
/// check down: the caller reports it.
pub(crate) fn map<T, F>(n: usize, f: F) -> Vec<Option<T>>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    let one = |i: usize| catch_unwind(AssertUnwindSafe(|| f(i))).ok();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(n.div_ceil(CHUNK));
    if threads <= 1 {
        return (0..n).map(one).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= n {
                            break;
                        }
                        for i in start..(start + CHUNK).min(n) {
                            done.push((i, one(i)));
                        }
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            // Workers catch every item's panic, so joining cannot fail; if it somehow did,
            // its items simply stay `None`.
            for (i, t) in h.join().unwrap_or_default() {
                out[i] = t;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_survives_a_panic() {
        let v = super::map(1000, |i| {
            assert!(i != 500, "boom");
            i * 2
        });
        assert_eq!(v.len(), 1000);
        assert_eq!(v[500], None);
        assert_eq!(v[999], Some(1998));
        assert!(v
            .iter()
            .enumerate()
            .all(|(i, x)| i == 500 || *x == Some(i * 2)));
    }
}
