//! Choosing the aggregation circuit's size and generating its keys, from the segment keys
//! alone (placeholder proofs), so setup runs before any segment is proved.

use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey};
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use snark_verifier_sdk::halo2::aggregation::AggregationConfigParams;

use crate::circuit::{build, dummy_snarks, planning_params, MINIMUM_ROWS};
use crate::config::{AggregationConfig, SegmentKey, Statement, Wiring};
use crate::error::{catch, AggregateError, Result};

/// Smallest aggregation circuit size: `2^18` rows.
pub const MIN_K: u32 = 18;
/// Largest aggregation circuit size (the verifier's limit).
pub const MAX_K: u32 = verifier::MAX_K;
/// [`plan`] picks the smallest `k` at which the circuit needs at most this many flex-gate
/// advice columns.
pub const TARGET_ADVICE_COLUMNS: usize = 20;
/// Most advice columns an aggregation circuit may have at [`MAX_K`] (the verifier's limit).
pub const MAX_ADVICE_COLUMNS: usize = 64;

/// The size [`plan`] chose and what it measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The aggregation circuit's `k`.
    pub k: u32,
    /// Flex-gate advice cells, measured with the range table of `k = MIN_K`.
    pub advice_cells: usize,
    /// Range-check lookup cells, measured likewise.
    pub lookup_cells: usize,
}

/// The column configuration key generation starts from at `k` (the columns are then
/// computed by `calculate_params`): the range table holds `k - 1` bits, as in
/// snark-verifier-sdk's examples.
fn initial_params(k: u32) -> AggregationConfigParams {
    AggregationConfigParams {
        degree: k,
        num_advice: 1,
        num_lookup_advice: 1,
        num_fixed: 1,
        lookup_bits: k as usize - 1,
    }
}

/// Advice columns `cells` need at `k` (each column has `2^k - MINIMUM_ROWS` usable rows).
fn columns_at(cells: usize, k: u32) -> usize {
    cells.div_ceil((1usize << k) - MINIMUM_ROWS)
}

/// Chooses the aggregation circuit's size for `segments` and `wiring`.
///
/// **Rule:** the circuit is laid out once at `k = MIN_K` (18) from placeholder proofs, which
/// counts its flex-gate advice cells `C`; `k` is the smallest value in `MIN_K..=MAX_K` with
/// `ceil(C / (2^k - 20)) <= TARGET_ADVICE_COLUMNS` (20), else `MAX_K` if `C` fits in
/// [`MAX_ADVICE_COLUMNS`] columns there, else [`AggregateError::TooLarge`]. (A larger `k`
/// means a larger range table, so the real count there is at most `C`.) A moderate column
/// count keeps the aggregation's own verifier (and its Solidity contract) small; one more `k`
/// halves the columns at about the same proving cost.
///
/// It needs no SRS: the layout reads only the SRS's `g[0]`, the G1 generator in every SRS.
/// Costs about one witness generation of the aggregation circuit (seconds per segment).
pub fn plan(segments: &[SegmentKey<'_>], wiring: &Wiring) -> Result<Plan> {
    Statement::new(segments, wiring)?;
    let params = planning_params();
    let keygen = |detail: String| AggregateError::Keygen { detail };
    let snarks = dummy_snarks(&params, segments).map_err(keygen)?;
    let agg = build(
        CircuitBuilderStage::Keygen,
        initial_params(MIN_K),
        &params,
        snarks,
        wiring,
    )
    .map_err(keygen)?;
    let stats = agg.builder.statistics();
    let advice_cells = stats.gate.total_advice_per_phase.iter().sum();
    let lookup_cells = stats.total_lookup_advice_per_phase.iter().sum();
    let fits = |k: u32, max: usize| columns_at(advice_cells, k) <= max;
    let k = (MIN_K..=MAX_K)
        .find(|&k| fits(k, TARGET_ADVICE_COLUMNS))
        .or_else(|| fits(MAX_K, MAX_ADVICE_COLUMNS).then_some(MAX_K))
        .ok_or(AggregateError::TooLarge {
            cells: advice_cells,
            max_k: MAX_K,
            max_columns: MAX_ADVICE_COLUMNS,
        })?;
    Ok(Plan {
        k,
        advice_cells,
        lookup_cells,
    })
}

/// Generates the aggregation circuit's proving key at `params.k()` (choose it with
/// [`plan`]) and the configuration [`crate::prove`] needs, from the segments' keys alone.
///
/// `params` must be the full SRS for that `k`, drawn from the same SRS (the same secret) as
/// the segments' keys: the aggregation's accumulator is decided with its `g2` and `s·g2`.
/// Deterministic for the same inputs.
pub fn keygen(
    params: &ParamsKZG<Bn256>,
    segments: &[SegmentKey<'_>],
    wiring: &Wiring,
) -> Result<(ProvingKey<G1Affine>, AggregationConfig)> {
    let statement = Statement::new(segments, wiring)?;
    let k = params.k();
    if !(MIN_K..=MAX_K).contains(&k) {
        return Err(AggregateError::Params {
            detail: format!("k = {k} is outside {MIN_K}..={MAX_K}"),
        });
    }
    let keygen = |detail: String| AggregateError::Keygen { detail };
    let snarks = dummy_snarks(params, segments).map_err(keygen)?;
    let mut agg = build(
        CircuitBuilderStage::Keygen,
        initial_params(k),
        params,
        snarks,
        wiring,
    )
    .map_err(keygen)?;
    let base = catch("configuring the columns", || {
        agg.builder.calculate_params(Some(MINIMUM_ROWS))
    })
    .map_err(keygen)?;
    let sdk = AggregationConfigParams::try_from(&base).map_err(|e| keygen(e.to_string()))?;
    if sdk.num_advice > MAX_ADVICE_COLUMNS {
        return Err(AggregateError::TooLarge {
            cells: agg
                .builder
                .statistics()
                .gate
                .total_advice_per_phase
                .iter()
                .sum(),
            max_k: k,
            max_columns: MAX_ADVICE_COLUMNS,
        });
    }
    let vk = catch("verifying-key generation", || keygen_vk(params, &agg))
        .map_err(keygen)?
        .map_err(|e| keygen(format!("verifying-key generation: {e}")))?;
    let pk = catch("proving-key generation", || keygen_pk(params, vk, &agg))
        .map_err(keygen)?
        .map_err(|e| keygen(format!("proving-key generation: {e}")))?;
    let break_points = agg.break_points();
    let config = AggregationConfig {
        k,
        num_advice: sdk.num_advice,
        num_lookup_advice: sdk.num_lookup_advice,
        num_fixed: sdk.num_fixed,
        lookup_bits: sdk.lookup_bits,
        break_points,
        statement,
    };
    Ok((pk, config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_rule() {
        // 6M cells: 23 columns at k = 18, 12 at k = 19.
        assert_eq!(columns_at(6_000_000, 18), 23);
        assert_eq!(columns_at(6_000_000, 19), 12);
        assert_eq!(columns_at(0, 18), 0);
    }
}
