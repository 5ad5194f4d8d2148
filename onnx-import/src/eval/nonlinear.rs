//! Float reference of the smooth scalar functions ([`ScalarFn`]) and Pow.

use super::check_arity;
use crate::ir::{Op, ScalarFn, Tensor};

/// `2 / sqrt(pi)`.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// `f(x)` in `f64`: the one definition the float evaluator and the circuits' tables share.
/// Outside a function's domain the result is what `f64` gives (`Log` of a negative number is
/// NaN, of 0 is -inf; `Reciprocal(0)` is inf).
pub fn apply_fn(f: ScalarFn, x: f64) -> f64 {
    match f {
        ScalarFn::Sigmoid => {
            // Written so that neither branch overflows.
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                let e = x.exp();
                e / (1.0 + e)
            }
        }
        ScalarFn::Tanh => x.tanh(),
        ScalarFn::Exp => x.exp(),
        ScalarFn::Log => x.ln(),
        ScalarFn::Sqrt => x.sqrt(),
        ScalarFn::Reciprocal => 1.0 / x,
        ScalarFn::Erf => erf(x),
        ScalarFn::Gelu { tanh: false } => {
            0.5 * x * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2))
        }
        ScalarFn::Gelu { tanh: true } => {
            let k = (2.0 / std::f64::consts::PI).sqrt();
            0.5 * x * (1.0 + (k * (x + 0.044715 * x * x * x)).tanh())
        }
        ScalarFn::Softplus => softplus(x),
        ScalarFn::Softsign => x / (1.0 + x.abs()),
        ScalarFn::Elu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha * x.exp_m1()
            }
        }
        ScalarFn::Selu { alpha, gamma } => {
            if x > 0.0 {
                gamma * x
            } else {
                gamma * alpha * x.exp_m1()
            }
        }
        ScalarFn::Celu { alpha } => x.max(0.0) + (alpha * (x / alpha).exp_m1()).min(0.0),
        ScalarFn::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
        ScalarFn::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
        ScalarFn::Mish => x * softplus(x).tanh(),
        ScalarFn::Sin => x.sin(),
        ScalarFn::Cos => x.cos(),
    }
}

/// `ln(1 + e^x)` without overflow: `max(x, 0) + ln(1 + e^-|x|)`.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The error function, accurate to a few ulps of `f64` (absolute error < 1e-15).
///
/// For `|x| < 3` the everywhere-positive series
/// `erf(x) = 2/√π · e^(-x²) · Σ_n 2^n x^(2n+1) / (1·3·…·(2n+1))` (no cancellation); beyond,
/// `erf(x) = 1 − erfc(x)` with the continued fraction
/// `erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))`, evaluated backwards
/// from 120 levels (at `x = 3` it has converged to below 1e-17 well before that).
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let v = if a < 3.0 {
        let x2 = a * a;
        let mut term = a;
        let mut sum = a;
        let mut n = 0.0;
        while term > sum * 1e-18 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        TWO_OVER_SQRT_PI * (-x2).exp() * sum
    } else if a < 30.0 {
        let mut t = a;
        for n in (1..=120).rev() {
            t = a + f64::from(n) / 2.0 / t;
        }
        1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * t)
    } else {
        1.0
    };
    v.copysign(x)
}

pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    let x = inputs
        .first()
        .ok_or_else(|| format!("{} needs an input", op.name()))?;
    let f: Box<dyn Fn(f64) -> f64> = match *op {
        Op::Function(f) => {
            check_arity(inputs, 1, 1)?;
            Box::new(move |v| apply_fn(f, v))
        }
        // The exponent is an attribute of the IR node; a kept second input is ignored.
        Op::Pow { exponent } => {
            check_arity(inputs, 1, 2)?;
            Box::new(move |v: f64| v.powf(exponent))
        }
        ref other => return Err(format!("{} is not a smooth scalar function", other.name())),
    };
    Ok(Tensor {
        shape: x.shape.clone(),
        data: x.data.iter().map(|&v| f(v)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        // Reference values (mpmath, 20 digits).
        let known = [
            (0.0, 0.0),
            (1e-3, 0.001_128_378_790_969_236_5),
            (0.1, 0.112_462_916_018_284_9),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (1.5, 0.966_105_146_475_310_8),
            (2.0, 0.995_322_265_018_952_7),
            (2.9, 0.999_958_902_121_900_5),
            (3.0, 0.999_977_909_503_001_4),
            (3.5, 0.999_999_256_901_627_6),
            (4.0, 0.999_999_984_582_742_1),
            (6.0, 1.0),
        ];
        for (x, e) in known {
            assert!((erf(x) - e).abs() < 1e-15, "erf({x}) = {} != {e}", erf(x));
            assert!((erf(-x) + e).abs() < 1e-15);
        }
        // erfc(3) and erfc(5) check the continued fraction's tail, relative.
        let erfc3 = 2.209_049_699_858_543_8e-5;
        assert!(((1.0 - erf(3.0)) - erfc3).abs() < 1e-15);
    }

    #[test]
    fn erf_is_continuous_at_the_switch() {
        let below = erf(3.0 - 1e-12);
        let above = erf(3.0);
        assert!((above - below).abs() < 1e-14);
    }

    #[test]
    fn functions_match_their_definitions() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(apply_fn(ScalarFn::Sigmoid, 0.0), 0.5));
        assert!(close(apply_fn(ScalarFn::Sigmoid, -800.0), 0.0));
        assert!(close(apply_fn(ScalarFn::Softplus, 0.0), 2f64.ln()));
        assert!(close(apply_fn(ScalarFn::Softplus, 800.0), 800.0));
        assert!(close(
            apply_fn(ScalarFn::Gelu { tanh: false }, 1.0),
            0.841_344_746_068_542_9
        ));
        assert!(
            (apply_fn(ScalarFn::Gelu { tanh: true }, 1.0) - 0.841_191_990_608_276_8).abs() < 1e-12
        );
        assert!(close(apply_fn(ScalarFn::Softsign, -3.0), -0.75));
        assert!(close(
            apply_fn(ScalarFn::Elu { alpha: 1.0 }, -1.0),
            (-1f64).exp() - 1.0
        ));
        assert!(close(
            apply_fn(ScalarFn::Celu { alpha: 2.0 }, -2.0),
            2.0 * ((-1f64).exp() - 1.0)
        ));
        assert!(close(
            apply_fn(
                ScalarFn::HardSigmoid {
                    alpha: 0.2,
                    beta: 0.5
                },
                1.0
            ),
            0.7
        ));
        assert!(close(
            apply_fn(ScalarFn::HardSwish, 1.0),
            1.0 * (1.0 / 6.0 + 0.5)
        ));
        assert!(close(apply_fn(ScalarFn::HardSwish, 4.0), 4.0));
        assert!(close(
            apply_fn(ScalarFn::Mish, 1.0),
            0.865_098_388_267_310_3
        ));
        let selu = ScalarFn::Selu {
            alpha: 1.673_263_192_176_818_8,
            gamma: 1.050_701_022_148_132_3,
        };
        assert!(close(apply_fn(selu, 2.0), 2.0 * 1.050_701_022_148_132_3));
    }
}
