//! The fixed-point reference evaluator's arithmetic: plain `i128` integers.
//!
//! Every method computes exactly the integer the circuit backend constrains, and fails where
//! the circuit would be unsatisfiable (a range check that cannot hold) or unsound (a value
//! leaving the field-safe range), so overflow is reported, never wrapped.

use std::collections::BTreeMap;

use crate::backend::{Backend, ParamRole, ParamStore, Table};
use crate::error::{CircuitError, Result};

/// Bound on the magnitude of any intermediate integer. Far below the BN254 scalar field's
/// ~2^253, so no native value can wrap when embedded in the field.
pub const FIELD_SAFE_BITS: u32 = 120;

/// Native fixed-point arithmetic with range tracking.
#[derive(Clone, Debug)]
pub struct NativeBackend {
    bits: u32,
    /// Largest magnitude seen by any range-checked primitive (used by calibration).
    pub max_abs_checked: u128,
    /// Per node index, per use slot: the smallest and largest value observed
    /// ([`Backend::observe`]), used by calibration to size tables.
    pub observed: BTreeMap<usize, Vec<[i128; 2]>>,
    /// Value errors (out of range, outside a table, division by zero, a non-zero where zero
    /// is required) give a substitute value instead of an error. Only for laying out a
    /// circuit's *shape* on placeholder inputs (key generation), never to compute a witness.
    lenient: bool,
    node: usize,
    /// The parameters loaded so far ([`Backend::load_params`]), in load order.
    pub params: ParamStore,
}

impl NativeBackend {
    /// A backend enforcing the activation bound `[-2^bits, 2^bits)`.
    pub fn new(bits: u32) -> Self {
        Self {
            bits,
            max_abs_checked: 0,
            observed: BTreeMap::new(),
            lenient: false,
            node: 0,
            params: ParamStore::default(),
        }
    }

    /// A backend that substitutes values instead of failing on value errors (see
    /// `lenient`): for key generation on placeholder (zero) inputs.
    pub fn lenient(bits: u32) -> Self {
        Self {
            lenient: true,
            ..Self::new(bits)
        }
    }

    /// `Err(e)` unless lenient, in which case `Ok(substitute)`.
    fn value_error<T>(&self, e: CircuitError, substitute: T) -> Result<T> {
        if self.lenient {
            Ok(substitute)
        } else {
            Err(e)
        }
    }

    fn check_bits(&mut self, v: i128, n: u32) -> Result<()> {
        if v < 0 || v >= (1i128 << n) {
            return self.value_error(CircuitError::OutOfRange { value: v, bits: n }, ());
        }
        Ok(())
    }

    fn safe(v: Option<i128>) -> Result<i128> {
        match v {
            Some(v) if v.unsigned_abs() < (1u128 << FIELD_SAFE_BITS) => Ok(v),
            Some(v) => Err(CircuitError::Overflow {
                value_bits: 128 - v.unsigned_abs().leading_zeros(),
                limit_bits: FIELD_SAFE_BITS,
            }),
            None => Err(CircuitError::Overflow {
                value_bits: 128,
                limit_bits: FIELD_SAFE_BITS,
            }),
        }
    }

    fn check_range(&mut self, v: i128) -> Result<()> {
        self.max_abs_checked = self.max_abs_checked.max(v.unsigned_abs());
        let bound = 1i128 << self.bits;
        if v < -bound || v >= bound {
            let e = CircuitError::OutOfRange {
                value: v,
                bits: self.bits,
            };
            return self.value_error(e, ());
        }
        Ok(())
    }
}

impl Backend for NativeBackend {
    type Cell = i128;

    fn bits(&self) -> u32 {
        self.bits
    }
    fn constant(&mut self, v: i128) -> Result<i128> {
        Self::safe(Some(v))
    }
    fn add(&mut self, a: &i128, b: &i128) -> Result<i128> {
        Self::safe(a.checked_add(*b))
    }
    fn sub(&mut self, a: &i128, b: &i128) -> Result<i128> {
        Self::safe(a.checked_sub(*b))
    }
    fn neg(&mut self, a: &i128) -> Result<i128> {
        Self::safe(a.checked_neg())
    }
    fn add_const(&mut self, a: &i128, c: i128) -> Result<i128> {
        Self::safe(a.checked_add(c))
    }
    fn mul(&mut self, a: &i128, b: &i128) -> Result<i128> {
        Self::safe(a.checked_mul(*b))
    }
    fn mul_const(&mut self, a: &i128, c: i128) -> Result<i128> {
        Self::safe(a.checked_mul(c))
    }
    fn dot_const(&mut self, xs: &[i128], ws: &[i128], bias: i128) -> Result<i128> {
        let mut acc = bias;
        for (x, w) in xs.iter().zip(ws) {
            acc = Self::safe(x.checked_mul(*w).and_then(|p| p.checked_add(acc)))?;
        }
        Ok(acc)
    }
    fn dot(&mut self, xs: &[i128], ys: &[i128]) -> Result<i128> {
        self.dot_const(xs, ys, 0)
    }
    fn load_params(&mut self, values: &[i128], role: ParamRole) -> Result<usize> {
        for v in values {
            Self::safe(Some(*v))?;
        }
        Ok(self.params.push(values, role))
    }
    fn param_value(&self, i: usize) -> Result<i128> {
        self.params.get(i)
    }
    fn fixed_params(&self) -> bool {
        true
    }
    fn dot_params(&mut self, xs: &[i128], ws: &[usize], bias: Option<usize>) -> Result<i128> {
        let w = ws
            .iter()
            .map(|i| self.params.get(*i))
            .collect::<Result<Vec<_>>>()?;
        let b = bias.map(|i| self.params.get(i)).transpose()?.unwrap_or(0);
        self.dot_const(xs, &w, b)
    }
    fn param_cell(&mut self, i: usize) -> Result<i128> {
        let v = self.params.get(i)?;
        self.constant(v)
    }
    fn sum(&mut self, xs: &[i128]) -> Result<i128> {
        let mut acc = 0i128;
        for x in xs {
            acc = Self::safe(acc.checked_add(*x))?;
        }
        Ok(acc)
    }
    fn div_round(&mut self, a: &i128, d: u64) -> Result<i128> {
        if d == 0 {
            return Err(CircuitError::unsupported("division by zero in a rescale"));
        }
        let d = i128::from(d);
        let shifted = Self::safe(a.checked_add(d / 2))?;
        let q = shifted.div_euclid(d);
        self.check_range(q)?;
        Ok(q)
    }
    fn is_negative(&mut self, a: &i128) -> Result<i128> {
        self.check_range(*a)?;
        Ok(i128::from(*a < 0))
    }
    fn select(&mut self, bit: &i128, a: &i128, b: &i128) -> Result<i128> {
        Ok(if *bit != 0 { *a } else { *b })
    }
    fn mul_not(&mut self, bit: &i128, a: &i128) -> Result<i128> {
        Ok(if *bit != 0 { 0 } else { *a })
    }
    fn range_check(&mut self, a: &i128) -> Result<()> {
        self.check_range(*a)
    }
    fn assert_zero(&mut self, a: &i128) -> Result<()> {
        if *a == 0 {
            Ok(())
        } else {
            self.value_error(CircuitError::NotZero { value: *a }, ())
        }
    }
    fn begin_node(&mut self, index: usize) {
        self.node = index;
    }
    fn range_bits(&mut self, a: &i128, n: u32) -> Result<()> {
        self.max_abs_checked = self.max_abs_checked.max(a.unsigned_abs());
        self.check_bits(*a, n)
    }
    fn lookup(&mut self, table: &Table, x: &i128) -> Result<(i128, i128)> {
        if *x < table.lo || *x > table.hi {
            let e = CircuitError::TableRange {
                table: table.key.clone(),
                value: *x,
                lo: table.lo,
                hi: table.hi,
            };
            return self.value_error(e, (table.f)((*x).clamp(table.lo, table.hi)));
        }
        let (y, z) = (table.f)(*x);
        Ok((Self::safe(Some(y))?, Self::safe(Some(z))?))
    }
    fn div_floor_var(&mut self, a: &i128, d: &i128) -> Result<i128> {
        if *d <= 0 {
            return self.value_error(CircuitError::DivisionByZero { divisor: *d }, 0);
        }
        if *d > (1i128 << self.bits) {
            return self.value_error(
                CircuitError::OutOfRange {
                    value: *d,
                    bits: self.bits,
                },
                0,
            );
        }
        let q = a.div_euclid(*d);
        self.check_range(q)?;
        Ok(q)
    }
    fn sqrt_floor(&mut self, a: &i128) -> Result<i128> {
        if *a < 0 {
            return self.value_error(CircuitError::NegativeSqrt { value: *a }, 0);
        }
        let y = isqrt(*a);
        self.check_bits(y, self.bits)?;
        Ok(y)
    }
    fn observe(&mut self, slot: usize, v: &i128) {
        let slots = self.observed.entry(self.node).or_default();
        if slots.len() <= slot {
            slots.resize(slot + 1, [i128::MAX, i128::MIN]);
        }
        let r = &mut slots[slot];
        r[0] = r[0].min(*v);
        r[1] = r[1].max(*v);
    }
}

/// `floor(sqrt(a))` for `a ≥ 0`, exact for every `i128`.
pub fn isqrt(a: i128) -> i128 {
    if a <= 0 {
        return 0;
    }
    // Newton's method from above, in integers.
    let mut x = (a as f64).sqrt() as i128 + 1;
    loop {
        let y = (x + a / x) / 2;
        if y >= x {
            break;
        }
        x = y;
    }
    while x * x > a {
        x -= 1;
    }
    while (x + 1) * (x + 1) <= a {
        x += 1;
    }
    x
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn div_round_rounds_half_up_for_both_signs() {
        let mut b = NativeBackend::new(20);
        assert_eq!(b.div_round(&5, 2).unwrap(), 3); // 2.5 -> 3
        assert_eq!(b.div_round(&-5, 2).unwrap(), -2); // -2.5 -> -2
        assert_eq!(b.div_round(&7, 4).unwrap(), 2); // 1.75 -> 2
        assert_eq!(b.div_round(&-7, 4).unwrap(), -2);
        assert_eq!(b.div_round(&10, 3).unwrap(), 3);
    }

    #[test]
    fn range_is_enforced_not_wrapped() {
        let mut b = NativeBackend::new(4);
        assert!(b.is_negative(&15).is_ok());
        assert!(b.is_negative(&-16).is_ok());
        assert!(matches!(
            b.is_negative(&16),
            Err(CircuitError::OutOfRange { .. })
        ));
        assert!(matches!(
            b.is_negative(&-17),
            Err(CircuitError::OutOfRange { .. })
        ));
        let big = 1i128 << 119;
        assert!(matches!(
            b.mul(&big, &4),
            Err(CircuitError::Overflow { .. })
        ));
        assert!(matches!(
            b.add(&big, &big),
            Err(CircuitError::Overflow { .. })
        ));
    }
}
