//! Float reference of comparisons, boolean logic and Where (booleans are 0.0 / 1.0; a
//! boolean input counts as true when it is non-zero, as a Cast to bool would make it).

use super::elementwise::broadcast_binary;
use super::{broadcast_index, broadcast_shape, check_arity};
use crate::ir::{CompareOp, LogicOp, Op, Tensor};

fn bool_f(v: bool) -> f64 {
    if v {
        1.0
    } else {
        0.0
    }
}

pub(super) fn eval(op: &Op, inputs: &[&Tensor]) -> Result<Tensor, String> {
    match op {
        Op::Compare(c) => {
            check_arity(inputs, 2, 2)?;
            let f: fn(f64, f64) -> bool = match c {
                CompareOp::Less => |a, b| a < b,
                CompareOp::LessOrEqual => |a, b| a <= b,
                CompareOp::Greater => |a, b| a > b,
                CompareOp::GreaterOrEqual => |a, b| a >= b,
                CompareOp::Equal => |a, b| a == b,
            };
            broadcast_binary(inputs[0], inputs[1], |a, b| bool_f(f(a, b)))
        }
        Op::Logic(l) => {
            check_arity(inputs, 2, 2)?;
            let f: fn(bool, bool) -> bool = match l {
                LogicOp::And => |a, b| a && b,
                LogicOp::Or => |a, b| a || b,
                LogicOp::Xor => |a, b| a != b,
            };
            broadcast_binary(inputs[0], inputs[1], |a, b| bool_f(f(a != 0.0, b != 0.0)))
        }
        Op::Not => {
            check_arity(inputs, 1, 1)?;
            let x = inputs[0];
            Ok(Tensor {
                shape: x.shape.clone(),
                data: x.data.iter().map(|&v| bool_f(v == 0.0)).collect(),
            })
        }
        Op::Where => {
            check_arity(inputs, 3, 3)?;
            let (c, x, y) = (inputs[0], inputs[1], inputs[2]);
            let shape = broadcast_shape(&c.shape, &x.shape)
                .and_then(|s| broadcast_shape(&s, &y.shape))
                .ok_or_else(|| {
                    format!(
                        "shapes {:?}, {:?} and {:?} do not broadcast together",
                        c.shape, x.shape, y.shape
                    )
                })?;
            let n: usize = shape.iter().product();
            let data = (0..n)
                .map(|i| {
                    let cond = c.data[broadcast_index(i, &shape, &c.shape)];
                    if cond != 0.0 {
                        x.data[broadcast_index(i, &shape, &x.shape)]
                    } else {
                        y.data[broadcast_index(i, &shape, &y.shape)]
                    }
                })
                .collect();
            Ok(Tensor { shape, data })
        }
        other => Err(format!("{} is not a logic op", other.name())),
    }
}
