//! Resource budgets for untrusted models.
//!
//! An ONNX file is untrusted input: a few hundred bytes can describe tensors of billions of
//! elements (`ConstantOfShape` of `[2^24]` is a 20-byte node). The importer therefore never
//! allocates in proportion to a shape it read from the file without counting it first:
//!
//! - **Folding** (evaluating constant subgraphs at import time) may create at most
//!   [`MAX_FOLD_ELEMS`] elements in all, summed over every node of the model, counted before
//!   each folded tensor is allocated. An import-time-only operator (`ConstantOfShape`,
//!   `Range`, ...) that would go over it is an [`ImportError::FoldBudget`] naming the node;
//!   a runtime operator over it is simply kept as an IR node (it is not folded). Constants
//!   stored in the file (initializers, `Constant` nodes) are not counted: their size is
//!   bounded by the file's, and their dims are checked against the data they hold.
//! - **Runtime tensors** (graph inputs and node outputs, the values the circuit computes)
//!   may hold at most [`MAX_RUNTIME_ELEMS`] elements in all; more is an
//!   [`ImportError::RuntimeBudget`], and the circuits crate checks the same bound before it
//!   lays a graph out.
//!
//! Only nodes that some graph output depends on are imported at all (see [`crate::import_bytes`]):
//! unused nodes cost nothing.
//!
//! [`ImportError::FoldBudget`]: crate::ImportError::FoldBudget
//! [`ImportError::RuntimeBudget`]: crate::ImportError::RuntimeBudget

use std::cell::Cell;

use crate::ir::{Graph, ValueKind};
use crate::shapes::checked_numel;

/// Most elements the importer creates by folding, in all (2^24: 128 MiB as `f64`).
pub const MAX_FOLD_ELEMS: usize = 1 << 24;

/// Most elements of all runtime (non-constant) tensors of one graph together (2^26).
///
/// The largest circuit has 2^24 rows of 16 advice columns (2^28 cells), and every runtime
/// element that is computed takes several cells (its value, its range check, its rescale),
/// so a graph over this bound cannot be proved; the bound also caps the memory of the float
/// and fixed-point evaluators, which keep every value of the graph (512 MiB as `f64`).
pub const MAX_RUNTIME_ELEMS: usize = 1 << 26;

/// The total element count of a graph's runtime tensors (inputs and intermediates, not
/// constants), with the largest one: `(total, largest value id)`. `total` is `None` when it
/// overflows `usize` (a shape in the graph is absurd).
pub fn runtime_elements(graph: &Graph) -> (Option<usize>, Option<usize>) {
    let mut total = Some(0usize);
    let mut largest: Option<(usize, usize)> = None;
    for (id, v) in graph.values.iter().enumerate() {
        if matches!(v.kind, ValueKind::Constant(_)) {
            continue;
        }
        let n = checked_numel(&v.shape);
        total = total.zip(n).and_then(|(t, n)| t.checked_add(n));
        let n = n.unwrap_or(usize::MAX);
        if largest.is_none_or(|(_, m)| n > m) {
            largest = Some((id, n));
        }
    }
    (total, largest.map(|(id, _)| id))
}

/// The folding budget of one import: elements reserved so far against [`MAX_FOLD_ELEMS`].
#[derive(Debug)]
pub(crate) struct FoldBudget {
    used: Cell<usize>,
    limit: usize,
}

impl FoldBudget {
    /// A budget of `limit` elements, none used.
    pub fn new(limit: usize) -> Self {
        Self {
            used: Cell::new(0),
            limit,
        }
    }

    /// Elements reserved so far.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether `n` more elements would fit (reserves nothing).
    pub fn fits(&self, n: usize) -> bool {
        self.used
            .get()
            .checked_add(n)
            .is_some_and(|t| t <= self.limit)
    }

    /// Reserves `n` elements (`None`: more than `usize` can count); `false`, reserving
    /// nothing, when that would go over the limit.
    pub fn reserve(&self, n: Option<usize>) -> bool {
        match n.and_then(|n| self.used.get().checked_add(n)) {
            Some(total) if total <= self.limit => {
                self.used.set(total);
                true
            }
            _ => false,
        }
    }

    /// Returns `n` reserved elements (a fold that was given up after reserving).
    pub fn release(&self, n: usize) {
        self.used.set(self.used.get().saturating_sub(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_counts_across_calls_and_refuses_overflow() {
        let b = FoldBudget::new(10);
        assert!(b.fits(10) && !b.fits(11));
        assert!(b.reserve(Some(6)));
        assert!(b.fits(4) && !b.fits(5));
        assert!(!b.reserve(Some(5)), "6 + 5 > 10");
        assert_eq!(b.used(), 6, "a refused reservation reserves nothing");
        assert!(b.reserve(Some(4)));
        assert!(!b.reserve(Some(1)));
        assert!(!b.reserve(None));
        b.release(4);
        assert_eq!(b.used(), 6);
        let b = FoldBudget::new(usize::MAX);
        assert!(b.reserve(Some(usize::MAX)));
        assert!(!b.reserve(Some(1)), "the running total must not wrap");
    }
}
