//! Choosing the segments: which cut points to keep, and the partition of the pieces
//! between them that a [`SplitBudget`] asks for (an exact dynamic program over every
//! candidate segment's cost).

use circuits::halo2::{predicted_prove_peak_bytes, predicted_prove_seconds};
use onnx_import::split::CutPoint;

use super::SplitBudget;
use crate::compile::Compiled;
use crate::error::{Error, Result};

/// What one candidate segment (a run of consecutive pieces) costs, from its compiled
/// circuit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cost {
    pub seconds: f64,
    pub rows: u64,
    pub bytes: u64,
}

impl Cost {
    pub fn of(c: &Compiled) -> Self {
        Self {
            seconds: predicted_prove_seconds(&c.settings.circuit),
            rows: 1u64 << c.settings.circuit.k,
            bytes: predicted_prove_peak_bytes(&c.settings.circuit),
        }
    }
}

/// The `keep` cut points whose crossing tensors have the fewest elements (all of them if
/// there are no more), in node order: a small boundary is cheap to hash on both sides.
pub(super) fn fewest_elements(mut cuts: Vec<CutPoint>, keep: usize) -> Vec<CutPoint> {
    if cuts.len() > keep {
        let size = |c: &CutPoint| c.shape.iter().product::<usize>();
        // Stable: among equal sizes the earlier cut wins.
        let mut order: Vec<usize> = (0..cuts.len()).collect();
        order.sort_by_key(|&i| size(&cuts[i]));
        let mut kept = vec![false; cuts.len()];
        for &i in &order[..keep] {
            kept[i] = true;
        }
        let mut i = 0;
        cuts.retain(|_| {
            i += 1;
            kept[i - 1]
        });
    }
    cuts
}

/// The runs of pieces (half-open ranges over `costs`' indices) that `budget` asks for:
/// `costs[a][b]` is the cost of the segment made of pieces `a..b` (`None` only for the
/// whole model); `bounds` maps piece indices to node indices, for errors.
pub(super) fn choose(
    costs: &[Vec<Option<Cost>>],
    budget: SplitBudget,
    bounds: &[usize],
) -> Result<Vec<(usize, usize)>> {
    let p = costs.len() - 1;
    let seconds = |a: usize, b: usize| costs[a][b].map_or(f64::INFINITY, |c| c.seconds);
    let fits = |c: &Cost| match budget {
        SplitBudget::Segments(_) => true,
        SplitBudget::MaxRows(r) => c.rows <= r,
        SplitBudget::MaxMemory(m) => c.bytes <= m,
    };
    if let SplitBudget::Segments(n) = budget {
        return match minimax(p, n, seconds) {
            (worst, runs) if n <= p && worst.is_finite() => Ok(runs),
            _ => Err(Error::SplitSegments {
                requested: n,
                possible: Some(p),
            }),
        };
    }
    for n in 2..=p {
        let (worst, runs) = minimax(p, n, |a, b| match costs[a][b] {
            Some(c) if fits(&c) => c.seconds,
            _ => f64::INFINITY,
        });
        if worst.is_finite() {
            return Ok(runs);
        }
    }
    // Nothing fits: report the best any split achieves, and its largest segment.
    let measure = |c: &Cost| match budget {
        SplitBudget::MaxRows(_) => c.rows as f64,
        _ => c.bytes as f64,
    };
    let (_, runs) = (2..=p)
        .map(|n| {
            minimax(p, n, |a, b| {
                costs[a][b].map_or(f64::INFINITY, |c| measure(&c))
            })
        })
        .min_by(|x, y| x.0.total_cmp(&y.0))
        .ok_or(Error::SplitSegments {
            requested: 2,
            possible: Some(1),
        })?;
    let (a, b, c) = runs
        .iter()
        .filter_map(|&(a, b)| costs[a][b].map(|c| (a, b, c)))
        .max_by(|x, y| measure(&x.2).total_cmp(&measure(&y.2)))
        .ok_or(Error::SplitSegments {
            requested: 2,
            possible: Some(1),
        })?;
    Err(Error::SplitOverBudget {
        budget: budget.to_string(),
        nodes: [bounds[a], bounds[b]],
        rows: c.rows,
        bytes: c.bytes,
        channel_groups: 1,
    })
}

/// Splits pieces `0..p` into `n` consecutive non-empty runs (half-open ranges) minimizing
/// the largest `cost(a, b)` of a run `a..b`; returns that largest cost and the runs (which
/// mean nothing when the cost is infinite: every partition has an infinite run).
/// `p >= n >= 1`.
fn minimax(p: usize, n: usize, cost: impl Fn(usize, usize) -> f64) -> (f64, Vec<(usize, usize)>) {
    // best[g][j]: the smallest largest-run cost of the first j pieces in g runs.
    let inf = f64::INFINITY;
    let mut best = vec![vec![inf; p + 1]; n + 1];
    let mut from = vec![vec![0usize; p + 1]; n + 1];
    best[0][0] = 0.0;
    for g in 1..=n {
        for j in g..=p {
            for i in (g - 1)..j {
                let c = best[g - 1][i].max(cost(i, j));
                if c < best[g][j] {
                    best[g][j] = c;
                    from[g][j] = i;
                }
            }
        }
    }
    let mut runs = Vec::with_capacity(n);
    let mut j = p;
    for g in (1..=n).rev() {
        let i = from[g][j];
        runs.push((i, j));
        j = i;
    }
    runs.reverse();
    (best[n][p], runs)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::{choose, fewest_elements, minimax, Cost};
    use crate::error::Error;
    use crate::split::SplitBudget;
    use onnx_import::split::CutPoint;

    /// A cost table where a run costs the sum of its pieces plus `hash` per boundary
    /// element at each interior end, and 2^k rows for the smallest k holding that cost.
    fn table(pieces: &[f64], boundary: &[f64]) -> Vec<Vec<Option<Cost>>> {
        let p = pieces.len();
        let mut t = vec![vec![None; p + 1]; p + 1];
        for a in 0..p {
            for b in a + 1..=p {
                if (a, b) == (0, p) {
                    continue;
                }
                let mut s: f64 = pieces[a..b].iter().sum();
                if a > 0 {
                    s += boundary[a - 1];
                }
                if b < p {
                    s += boundary[b - 1];
                }
                let rows = (s.ceil() as u64).next_power_of_two();
                t[a][b] = Some(Cost {
                    seconds: s,
                    rows,
                    bytes: rows * 1000,
                });
            }
        }
        t
    }

    #[test]
    fn minimax_minimizes_the_largest_run() {
        let c = [5.0, 1.0, 1.0, 1.0, 4.0, 2.0];
        let sum = |a: usize, b: usize| c[a..b].iter().sum::<f64>();
        let (worst, runs) = minimax(6, 3, sum);
        assert_eq!(runs, vec![(0, 1), (1, 4), (4, 6)]);
        assert_eq!(worst, 6.0);
        assert_eq!(
            minimax(6, 6, sum).1,
            (0..6).map(|i| (i, i + 1)).collect::<Vec<_>>()
        );
        assert_eq!(minimax(6, 1, sum).1, vec![(0, 6)]);
        // An infinite run is avoided when a finite partition exists, and reported otherwise.
        let (w, runs) = minimax(
            3,
            2,
            |a, b| if (a, b) == (0, 2) { f64::INFINITY } else { 1.0 },
        );
        assert_eq!((w, runs), (1.0, vec![(0, 1), (1, 3)]));
        assert!(minimax(2, 2, |_, _| f64::INFINITY).0.is_infinite());
    }

    #[test]
    fn boundary_costs_move_the_cut_to_a_small_tensor() {
        // Equal pieces, but the first boundary is huge: summing pieces would cut there.
        let t = table(&[10.0, 10.0, 10.0, 10.0], &[50.0, 1.0, 1.0]);
        let runs = choose(&t, SplitBudget::Segments(2), &[0, 1, 2, 3, 4]).unwrap();
        assert_eq!(runs, vec![(0, 2), (2, 4)]);
        // More segments than pieces: a named error, never empty runs.
        assert!(matches!(
            choose(&t, SplitBudget::Segments(5), &[0, 1, 2, 3, 4]),
            Err(Error::SplitSegments {
                requested: 5,
                possible: Some(4)
            })
        ));
    }

    #[test]
    fn budgets_take_the_fewest_segments_that_fit() {
        let t = table(&[10.0, 10.0, 10.0, 10.0], &[1.0, 1.0, 1.0]);
        let b = [0, 3, 5, 8, 12];
        // Halves cost 21 (32 rows); quarters 11 or 12 (16 rows).
        assert_eq!(choose(&t, SplitBudget::MaxRows(32), &b).unwrap().len(), 2);
        assert_eq!(choose(&t, SplitBudget::MaxRows(16), &b).unwrap().len(), 4);
        assert_eq!(
            choose(&t, SplitBudget::MaxMemory(32_000), &b)
                .unwrap()
                .len(),
            2
        );
        // Nothing fits 8 rows: the error names the largest segment of the best split.
        match choose(&t, SplitBudget::MaxRows(8), &b) {
            Err(Error::SplitOverBudget { nodes, rows, .. }) => {
                assert_eq!(rows, 16);
                assert!(b.windows(2).any(|w| w == nodes), "{nodes:?}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn fewest_elements_keeps_small_boundaries_in_order() {
        let cut = |after: usize, n: usize| CutPoint {
            after,
            tensor: format!("t{after}"),
            shape: vec![1, n],
        };
        let cuts = vec![cut(0, 900), cut(1, 30), cut(2, 400), cut(3, 30), cut(4, 10)];
        let kept: Vec<usize> = fewest_elements(cuts.clone(), 3)
            .iter()
            .map(|c| c.after)
            .collect();
        assert_eq!(kept, vec![1, 3, 4]);
        assert_eq!(fewest_elements(cuts, 9).len(), 5);
    }
}
