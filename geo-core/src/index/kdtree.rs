//! A flat kd-tree over 3-D points (unit-sphere vectors) for exact k-nearest queries by
//! squared Euclidean distance: nodes in one array (children side by side), points in one
//! array in tree order, each node with its exact bounding box, so the search prunes with
//! tight bounds and touches memory in a few contiguous runs.
//!
//! The search is depth first, nearer child first, and skips a node only when its box is
//! strictly farther than the k-th best so far: a point tied with the k-th best (and a lower
//! index) is still found, so the answer is the `k` smallest `(distance, index)` pairs.

use std::collections::BinaryHeap;

/// Points per leaf: a leaf is scanned in one run; smaller leaves prune more finely.
const LEAF: usize = 8;

/// A node: its points' bounding box and, for an inner node, where its two children are.
#[derive(Debug, Clone, Copy)]
struct Node {
    lo: [f64; 3],
    hi: [f64; 3],
    /// The node's points are `points[start..end]`.
    start: u32,
    end: u32,
    /// Index of the first child (the second follows it); 0 for a leaf (the root is node 0,
    /// never anyone's child).
    left: u32,
}

/// A kd-tree over points with `u32` ids.
#[derive(Debug, Default)]
pub(crate) struct KdTree {
    nodes: Vec<Node>,
    points: Vec<[f64; 3]>,
    ids: Vec<u32>,
}

/// Squared distance between two points.
#[inline]
fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    dx * dx + dy * dy + dz * dz
}

impl Node {
    /// Squared distance from `q` to the node's box (0 inside it).
    #[inline]
    fn box_dist2(&self, q: &[f64; 3]) -> f64 {
        let mut d = 0.0;
        for ((lo, hi), x) in self.lo.iter().zip(&self.hi).zip(q) {
            let v = (lo - x).max(x - hi).max(0.0);
            d += v * v;
        }
        d
    }
}

/// The order key of a squared distance: non-negative finite floats order as their bits.
#[inline]
fn key(d2: f64) -> u64 {
    d2.to_bits()
}

impl KdTree {
    /// Builds the tree over finite points (callers leave invalid points out).
    pub(crate) fn new(mut items: Vec<([f64; 3], u32)>) -> Self {
        let mut tree = Self::default();
        if items.is_empty() || u32::try_from(items.len()).is_err() {
            return tree;
        }
        tree.nodes.push(Node {
            lo: [0.0; 3],
            hi: [0.0; 3],
            start: 0,
            end: 0,
            left: 0,
        });
        tree.build(0, &mut items, 0);
        tree.points = items.iter().map(|(p, _)| *p).collect();
        tree.ids = items.iter().map(|(_, i)| *i).collect();
        tree
    }

    /// Fills node `n` over `items[..]`, which sit at `offset` in the final order.
    #[allow(clippy::cast_possible_truncation)] // lengths fit u32: checked in `new`
    fn build(&mut self, n: usize, items: &mut [([f64; 3], u32)], offset: usize) {
        let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
        for (p, _) in items.iter() {
            for a in 0..3 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        self.nodes[n] = Node {
            lo,
            hi,
            start: offset as u32,
            end: (offset + items.len()) as u32,
            left: 0,
        };
        if items.len() <= LEAF {
            return;
        }
        // Split at the median of the widest axis.
        let axis = (0..3).fold(0, |best, a| {
            if hi[a] - lo[a] > hi[best] - lo[best] {
                a
            } else {
                best
            }
        });
        let mid = items.len() / 2;
        items.select_nth_unstable_by(mid, |x, y| x.0[axis].total_cmp(&y.0[axis]));
        let left = self.nodes.len();
        self.nodes[n].left = left as u32;
        let blank = self.nodes[n];
        self.nodes.push(blank);
        self.nodes.push(blank);
        let (a, b) = items.split_at_mut(mid);
        self.build(left, a, offset);
        self.build(left + 1, b, offset + mid);
    }

    /// Number of points.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The `k` points nearest to `q` as `(squared distance, id)`, ascending by distance
    /// then id.
    pub(crate) fn nearest(&self, q: &[f64; 3], k: usize) -> Vec<(f64, u32)> {
        if k == 0 || self.nodes.is_empty() {
            return Vec::new();
        }
        if k <= SMALL_K {
            let mut best = Sorted {
                k,
                items: Vec::with_capacity(k + 1),
            };
            self.search(0, q, &mut best);
            best.items
                .into_iter()
                .map(|(d, i)| (f64::from_bits(d), i))
                .collect()
        } else {
            let mut best = Heap {
                k,
                heap: BinaryHeap::with_capacity(k.min(self.len()) + 1),
            };
            self.search(0, q, &mut best);
            best.heap
                .into_sorted_vec()
                .into_iter()
                .map(|(d, i)| (f64::from_bits(d), i))
                .collect()
        }
    }

    fn search(&self, n: usize, q: &[f64; 3], best: &mut impl Best) {
        let node = &self.nodes[n];
        if node.left == 0 {
            let (s, e) = (node.start as usize, node.end as usize);
            for (p, &id) in self.points[s..e].iter().zip(&self.ids[s..e]) {
                best.offer(key(dist2(p, q)), id);
            }
            return;
        }
        let l = node.left as usize;
        let (dl, dr) = (
            key(self.nodes[l].box_dist2(q)),
            key(self.nodes[l + 1].box_dist2(q)),
        );
        let (near, far, dn, df) = if dl <= dr {
            (l, l + 1, dl, dr)
        } else {
            (l + 1, l, dr, dl)
        };
        if dn <= best.bound() {
            self.search(near, q, best);
        }
        if df <= best.bound() {
            self.search(far, q, best);
        }
    }
}

/// Up to this `k`, a sorted array of the best so far; beyond it, a binary heap.
const SMALL_K: usize = 32;

/// The best `(distance key, id)` pairs so far.
trait Best {
    /// The key a candidate must not exceed to matter (`u64::MAX` until `k` are found).
    fn bound(&self) -> u64;
    /// Offers a candidate.
    fn offer(&mut self, d: u64, id: u32);
}

/// Small `k`: ascending array, insertion by shifting.
struct Sorted {
    k: usize,
    items: Vec<(u64, u32)>,
}

impl Best for Sorted {
    #[inline]
    fn bound(&self) -> u64 {
        if self.items.len() < self.k {
            u64::MAX
        } else {
            self.items.last().map_or(u64::MAX, |x| x.0)
        }
    }

    #[inline]
    fn offer(&mut self, d: u64, id: u32) {
        if self.items.len() == self.k && self.items.last().is_some_and(|&last| (d, id) >= last) {
            return;
        }
        let at = self.items.partition_point(|&x| x < (d, id));
        self.items.insert(at, (d, id));
        self.items.truncate(self.k);
    }
}

/// Large `k`: a max-heap of the best so far.
struct Heap {
    k: usize,
    heap: BinaryHeap<(u64, u32)>,
}

impl Best for Heap {
    #[inline]
    fn bound(&self) -> u64 {
        if self.heap.len() < self.k {
            u64::MAX
        } else {
            self.heap.peek().map_or(u64::MAX, |x| x.0)
        }
    }

    #[inline]
    fn offer(&mut self, d: u64, id: u32) {
        if self.heap.len() < self.k {
            self.heap.push((d, id));
        } else if let Some(mut top) = self.heap.peek_mut() {
            if (d, id) < *top {
                *top = (d, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn matches_sorting_every_distance() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        // Clustered points with exact duplicates, so that ties and dense leaves occur.
        let mut items: Vec<([f64; 3], u32)> = Vec::new();
        for i in 0..3_000u32 {
            let p = if i % 7 == 0 && i > 0 {
                items[rng.random_range(0..items.len())].0
            } else {
                let c = f64::from(i % 5);
                [
                    c + rng.random::<f64>() * 0.1,
                    rng.random::<f64>(),
                    rng.random::<f64>() * 0.01,
                ]
            };
            items.push((p, i));
        }
        let tree = KdTree::new(items.clone());
        assert_eq!(tree.len(), items.len());
        for qi in 0..300 {
            let q = if qi % 3 == 0 {
                items[rng.random_range(0..items.len())].0
            } else {
                [
                    rng.random::<f64>() * 6.0 - 1.0,
                    rng.random::<f64>() * 2.0 - 0.5,
                    rng.random::<f64>(),
                ]
            };
            let mut want: Vec<(f64, u32)> = items.iter().map(|(p, i)| (dist2(p, &q), *i)).collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for k in [1, 10, 32, 33, 500, 5_000] {
                let got = tree.nearest(&q, k);
                assert_eq!(got, want[..k.min(want.len())], "k={k} q={q:?}");
            }
        }
        assert!(tree.nearest(&[0.0; 3], 0).is_empty());
        assert!(KdTree::new(Vec::new()).nearest(&[0.0; 3], 5).is_empty());
    }
}
