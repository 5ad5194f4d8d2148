//! Static shape arithmetic shared by the op mappers: broadcasting, matrix products, window
//! output sizes, axis normalisation and checked element counts.
//!
//! Functions return `Err(String)` describing the problem; the caller wraps it into an
//! [`crate::ImportError`] naming the node.

mod conv;
mod window;

pub use conv::{transpose_full_len, ConvTerms, TransposeGeometry};
pub use window::{
    effective_kernel, explicit_pads, resolve_pads, window_output, AutoPad, Tap, WindowGeometry,
};

/// Formats a shape as `[a, b, c]`.
pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Number of elements of `shape`, or `None` on overflow.
pub fn checked_numel(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d))
}

/// Numpy multidirectional broadcasting of two shapes.
pub fn broadcast(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for (i, o) in out.iter_mut().enumerate() {
        // Align from the right.
        let da = (i + a.len())
            .checked_sub(rank)
            .map_or(1, |j| a.get(j).copied().unwrap_or(1));
        let db = (i + b.len())
            .checked_sub(rank)
            .map_or(1, |j| b.get(j).copied().unwrap_or(1));
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(format!(
                "shapes {} and {} cannot be broadcast together (dimension {} is {} vs {}); \
                 each aligned dimension must be equal or 1",
                fmt_shape(a),
                fmt_shape(b),
                i,
                da,
                db
            ));
        };
    }
    Ok(out)
}

/// Whether `from` broadcasts to exactly `to` (unidirectional).
pub fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    broadcast(from, to).is_ok_and(|s| s == to)
}

/// Output shape of a numpy `matmul` (with 1-D promotion and batch broadcasting).
pub fn matmul(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    if a.is_empty() || b.is_empty() {
        return Err(format!(
            "MatMul needs inputs of rank >= 1, got {} and {}",
            fmt_shape(a),
            fmt_shape(b)
        ));
    }
    let a2: Vec<usize> = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let b2: Vec<usize> = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (ra, rb) = (a2.len(), b2.len());
    let (m, k) = (a2[ra - 2], a2[ra - 1]);
    let (k2, n) = (b2[rb - 2], b2[rb - 1]);
    if k != k2 {
        return Err(format!(
            "inner dimensions differ: {} x {} ({k} vs {k2})",
            fmt_shape(a),
            fmt_shape(b)
        ));
    }
    let mut out = broadcast(&a2[..ra - 2], &b2[..rb - 2])?;
    if a.len() != 1 {
        out.push(m);
    }
    if b.len() != 1 {
        out.push(n);
    }
    Ok(out)
}

/// Resolves a possibly negative axis against `rank`.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize, String> {
    if rank == 0 {
        return Err(format!(
            "axis {axis} is invalid: the input is a scalar (rank 0) with no axes"
        ));
    }
    let r = i64::try_from(rank).map_err(|_| "rank too large".to_string())?;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        usize::try_from(a).map_err(|_| "axis out of range".to_string())
    } else {
        Err(format!(
            "axis {axis} is out of range for rank {rank} (valid: {} to {})",
            -r,
            r - 1
        ))
    }
}

/// Resolves a list of axes, requiring them to be distinct; returns them sorted.
pub fn normalize_axes(axes: &[i64], rank: usize) -> Result<Vec<usize>, String> {
    let mut out = axes
        .iter()
        .map(|&a| normalize_axis(a, rank))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_unstable();
    if out.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("axes {axes:?} contain a duplicate"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast(&[2, 3, 4], &[4]).ok(), Some(vec![2, 3, 4]));
        assert_eq!(broadcast(&[2, 3, 4], &[3, 1]).ok(), Some(vec![2, 3, 4]));
        assert_eq!(broadcast(&[], &[5]).ok(), Some(vec![5]));
        assert!(broadcast(&[2, 3], &[4, 5]).is_err());
    }

    #[test]
    fn matmul_rules() {
        assert_eq!(matmul(&[4, 8], &[8, 6]).ok(), Some(vec![4, 6]));
        assert_eq!(matmul(&[2, 4, 8], &[8, 4]).ok(), Some(vec![2, 4, 4]));
        assert_eq!(matmul(&[8], &[8, 4]).ok(), Some(vec![4]));
        assert_eq!(matmul(&[3, 8], &[8]).ok(), Some(vec![3]));
        assert_eq!(matmul(&[8], &[8]).ok(), Some(vec![]));
        assert_eq!(
            matmul(&[2, 1, 3, 4], &[5, 4, 2]).ok(),
            Some(vec![2, 5, 3, 2])
        );
        assert!(matmul(&[3, 4], &[5, 2]).is_err());
    }

    #[test]
    fn axes() {
        assert_eq!(normalize_axis(-1, 3).ok(), Some(2));
        assert!(normalize_axis(3, 3).is_err());
        assert!(normalize_axes(&[0, -3], 3).is_err());
    }
}
