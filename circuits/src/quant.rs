//! Quantization parameters and float ↔ fixed-point conversion.
//!
//! Every activation tensor is held at one scale `2^-input_scale`: the integer `q` stands for
//! `q / 2^input_scale`. Multiplicative constants (weights, BatchNorm factors, Mul/Div
//! constants, LeakyRelu's slope) are quantized at `2^-param_scale`, biases at
//! `2^-(input_scale + param_scale)`, and every product is rescaled back to the activation
//! scale by a rounded division (see [`crate::backend::Backend::div_round`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{CircuitError, Result};

/// Largest magnitude a quantized constant may have (bits).
const MAX_CONST_BITS: u32 = 100;

/// The scales and range bound of a compiled model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuantParams {
    /// Activation scale exponent `s_a`.
    pub input_scale: u32,
    /// Parameter scale exponent `s_p`.
    pub param_scale: u32,
    /// Activation bound `B`: range-checked values lie in `[-2^B, 2^B)`.
    pub bits: u32,
    /// Calibrated input ranges of table lookups: node index → per use slot `[lo, hi]`
    /// (fixed-point integers at the activation scale, headroom included). Ops whose tables
    /// depend on the data (Log, Exp, Sin, ...) size them from here; absent entries mean the
    /// op's widest domain. Written by calibration, part of the settings (and so of the keys).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ranges: BTreeMap<usize, Vec<[i128; 2]>>,
}

impl QuantParams {
    /// Parameters with no calibrated table ranges.
    pub fn new(input_scale: u32, param_scale: u32, bits: u32) -> Self {
        Self {
            input_scale,
            param_scale,
            bits,
            ranges: BTreeMap::new(),
        }
    }

    /// The calibrated range of use `slot` of node `node`, if calibration recorded one.
    pub fn range(&self, node: usize, slot: usize) -> Option<[i128; 2]> {
        self.ranges.get(&node).and_then(|r| r.get(slot)).copied()
    }
}

impl QuantParams {
    /// Checks that the parameters are in the range the circuits support.
    pub fn validate(&self) -> Result<()> {
        if !(1..=24).contains(&self.input_scale) || !(1..=24).contains(&self.param_scale) {
            return Err(CircuitError::Settings {
                message: format!(
                    "scales must be between 1 and 24 bits (got input_scale={}, param_scale={})",
                    self.input_scale, self.param_scale
                ),
            });
        }
        if !(self.input_scale..=64).contains(&self.bits) {
            return Err(CircuitError::Settings {
                message: format!(
                    "range bound must be between input_scale ({}) and 64 bits (got {})",
                    self.input_scale, self.bits
                ),
            });
        }
        Ok(())
    }
}

/// Rounds `x * 2^scale` to the nearest integer (ties away from zero).
pub fn quantize(x: f64, scale: u32, what: &str) -> Result<i128> {
    let v = (x * f64::from(scale).exp2()).round();
    if !v.is_finite() || v.abs() >= f64::from(MAX_CONST_BITS).exp2() {
        return Err(CircuitError::Quantize {
            what: what.to_string(),
            value: x,
            scale,
        });
    }
    // The bound above makes the cast exact.
    Ok(v as i128)
}

/// Quantizes every element of a slice.
pub fn quantize_all(xs: &[f64], scale: u32, what: &str) -> Result<Vec<i128>> {
    xs.iter().map(|x| quantize(*x, scale, what)).collect()
}

/// `q / 2^scale` as a float.
pub fn dequantize(q: i128, scale: u32) -> f64 {
    q as f64 / f64::from(scale).exp2()
}

/// `2^s` as the divisor of a rescale.
pub fn pow2(s: u32) -> u64 {
    1u64 << s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_within_half_ulp() {
        for &x in &[0.0, 0.3737, -0.3737, 1.0, -15.196255, 6.778507] {
            let q = quantize(x, 12, "x").unwrap();
            assert!((dequantize(q, 12) - x).abs() <= 0.5 / 4096.0 + 1e-12);
        }
    }

    #[test]
    fn non_finite_is_an_error() {
        assert!(quantize(f64::NAN, 8, "x").is_err());
        assert!(quantize(f64::INFINITY, 8, "x").is_err());
        assert!(quantize(1e40, 8, "x").is_err());
    }
}
