//! What aggregating segments costs, predicted from their column counts before anything is
//! built (sizing the circuit costs about as much memory as proving it, so a split whose
//! aggregation cannot fit a machine should be known before `setup` tries).
//!
//! Fitted on two cores (release build): each segment adds about `1.6M + 0.42M × c` flex-gate
//! cells to the aggregation circuit, `c` its advice and lookup-advice columns (every column
//! is a commitment and evaluations that the circuit verifies with non-native arithmetic);
//! proving takes about 29 s and 0.55 GiB per million cells. Measured: LeNet-5 in three
//! speed-layout segments, 808 s and 16.4 GiB (predicted 28–30 M cells). An order of
//! magnitude for planning, not a promise.

/// Aggregation cells per segment, before its columns.
pub const CELLS_PER_SEGMENT: f64 = 1.6e6;
/// Aggregation cells per advice or lookup-advice column of a segment.
pub const CELLS_PER_COLUMN: f64 = 0.42e6;
/// Peak proving memory per aggregation cell, bytes (0.55 GiB per million).
pub const BYTES_PER_CELL: f64 = 0.55 * 1_073_741_824.0 / 1e6;
/// Proving seconds per aggregation cell on two cores (29 s per million).
pub const SECONDS_PER_CELL: f64 = 29.0 / 1e6;

/// The predicted cost of aggregating a split model's segments.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AggregationCost {
    /// Flex-gate cells of the aggregation circuit.
    pub cells: f64,
    /// Peak resident memory of sizing, key generation or proving, in bytes.
    pub bytes: f64,
    /// Proving time on two cores, in seconds (key generation takes about as long).
    pub seconds: f64,
}

/// The predicted cost of aggregating segments with these advice + lookup-advice column
/// counts (one entry per segment).
pub fn predict(columns: &[usize]) -> AggregationCost {
    let cells: f64 = columns
        .iter()
        .map(|&c| CELLS_PER_SEGMENT + CELLS_PER_COLUMN * c as f64)
        .sum();
    AggregationCost {
        cells,
        bytes: cells * BYTES_PER_CELL,
        seconds: cells * SECONDS_PER_CELL,
    }
}

#[cfg(test)]
mod tests {
    use super::predict;

    #[test]
    fn cost_grows_with_segments_and_columns() {
        let one = predict(&[10]);
        assert!((one.cells - 5.8e6).abs() < 1.0);
        assert!((one.seconds - 5.8 * 29.0).abs() < 1e-6);
        let more = predict(&[10, 10]);
        assert!((more.cells - 2.0 * one.cells).abs() < 1.0);
        assert!(predict(&[80]).bytes > predict(&[8]).bytes * 5.0);
        assert_eq!(predict(&[]).cells, 0.0);
    }
}
