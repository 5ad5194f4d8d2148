//! Planning and emitting one mapped op: folding when every kept input is constant,
//! otherwise an IR node (with inserted reshapes), and its multiply-accumulate count.

use std::borrow::Cow;

use super::{Engine, Slot};
use crate::error::ImportError;
use crate::fold::{self, ConstVal};
use crate::ir::{Node, Op, ValueId, ValueKind};
use crate::ops::{InputRef, Mapped, NodeCtx};
use crate::shapes::{checked_numel, fmt_shape};

impl<'m> Engine<'m> {
    /// Decides what one mapped op becomes: a constant when all its kept inputs are
    /// constants, an IR node otherwise.
    pub(super) fn plan(
        &self,
        ctx: &NodeCtx<'_>,
        out: &str,
        mapped: Mapped,
    ) -> Result<Planned, Failure> {
        if checked_numel(&mapped.shape).is_none() {
            return Err(Failure::Error(ctx.err(format!(
                "the output shape {} has more elements than can be addressed",
                fmt_shape(&mapped.shape)
            ))));
        }
        self.check_declared(ctx, out, &mapped.shape)?;
        let kept_pos: Vec<usize> = mapped
            .inputs
            .iter()
            .copied()
            .filter(|&i| ctx.opt(i).is_some())
            .collect();
        let kept: Vec<&InputRef<'_>> = kept_pos.iter().filter_map(|&i| ctx.opt(i)).collect();
        // The shape each kept input is read with, when the mapper asked for a reshape.
        let reshapes: Vec<Option<Vec<usize>>> = kept_pos
            .iter()
            .map(|p| {
                let r = mapped.reshapes.iter().find(|(q, _)| q == p);
                r.map(|(_, s)| s.clone())
            })
            .collect();
        // Fold when every kept input is a constant and the output fits the folding budget
        // (checked first, so that a refused fold copies nothing).
        let foldable = kept.iter().all(|i| i.constant.is_some())
            && checked_numel(&mapped.shape).is_some_and(|n| ctx.fold.fits(n));
        let reshaped: Option<Vec<Cow<'_, ConstVal>>> = foldable
            .then(|| {
                kept.iter()
                    .zip(&reshapes)
                    .map(|(i, r)| {
                        let c = i.constant?;
                        Some(match r {
                            None => Cow::Borrowed(c),
                            Some(s) => {
                                let mut c = c.clone();
                                c.tensor.shape = s.clone();
                                Cow::Owned(c)
                            }
                        })
                    })
                    .collect()
            })
            .flatten();
        if let Some(val) = reshaped.and_then(|c| {
            let refs: Vec<&ConstVal> = c.iter().map(|c| c.as_ref()).collect();
            fold::eval_op(&mapped.op, &refs, &mapped.shape, ctx.fold)
        }) {
            return Ok(Planned::Folded(val));
        }
        Ok(Planned::Node {
            macs: macs(&mapped.op, &kept, &mapped.shape),
            inputs: kept.iter().map(|i| i.name.to_string()).collect(),
            reshapes,
            op: mapped.op,
            shape: mapped.shape,
        })
    }

    /// Adds a planned op producing `out_name` to the slots (and the IR, for a node).
    pub(super) fn emit(&mut self, name: &str, out_name: String, p: Planned) -> Result<(), Failure> {
        let (op, names, reshapes, shape, macs) = match p {
            Planned::Folded(val) => {
                self.slots.insert(out_name, Slot::Const { val, id: None });
                return Ok(());
            }
            Planned::Node {
                op,
                inputs,
                reshapes,
                shape,
                macs,
            } => (op, inputs, reshapes, shape, macs),
        };
        self.conv.macs = self.conv.macs.saturating_add(macs);
        let mut ids = Vec::with_capacity(names.len());
        for (nm, reshape) in names.iter().zip(&reshapes) {
            let id = self
                .ensure_id(nm)
                .ok_or_else(|| Failure::Blocked(format!("{nm} unknown")))?;
            ids.push(match reshape {
                None => id,
                Some(s) => self.reshaped(name, nm, id, s.clone()),
            });
        }
        let out = self.push_value(&out_name, shape.clone(), ValueKind::Intermediate);
        self.slots
            .insert(out_name.clone(), Slot::Runtime { id: out, shape });
        let node_name = if self.conv.graph.nodes.last().is_some_and(|l| l.name == name) {
            format!("{name}:{out_name}")
        } else {
            name.to_string()
        };
        self.conv.graph.nodes.push(Node {
            name: node_name,
            op,
            inputs: ids,
            outputs: vec![out],
        });
        Ok(())
    }

    /// Value `id` (named `nm`) read with shape `shape` by node `node`: a reshaped copy of a
    /// constant, or the output of a `Reshape` node inserted before the node.
    fn reshaped(&mut self, node: &str, nm: &str, id: ValueId, shape: Vec<usize>) -> ValueId {
        let new_name = format!("{nm}:reshaped_for:{node}");
        if let ValueKind::Constant(t) = &self.conv.graph.values[id].kind {
            let t = crate::ir::Tensor {
                shape: shape.clone(),
                data: t.data.clone(),
            };
            return self.push_value(&new_name, shape, ValueKind::Constant(t));
        }
        let out = self.push_value(&new_name, shape.clone(), ValueKind::Intermediate);
        self.conv.graph.nodes.push(Node {
            name: format!("{node}:reshape:{nm}"),
            op: Op::Reshape { shape },
            inputs: vec![id],
            outputs: vec![out],
        });
        out
    }

    pub(super) fn check_declared(
        &self,
        ctx: &NodeCtx<'_>,
        out: &str,
        shape: &[usize],
    ) -> Result<(), Failure> {
        match self.declared.get(out) {
            Some(d) if !d.agrees_with(shape) => Err(Failure::Error(ctx.shape_err(format!(
                "output \"{out}\" is declared with shape {} in the model, but its inputs give {}",
                d.describe(),
                fmt_shape(shape)
            )))),
            _ => Ok(()),
        }
    }
}

/// One mapped op, decided before the engine's tables are changed.
pub(super) enum Planned {
    /// Every kept input is a constant: the output is folded.
    Folded(ConstVal),
    /// An IR node reading the named inputs (some reshaped first).
    Node {
        op: Op,
        inputs: Vec<String>,
        reshapes: Vec<Option<Vec<usize>>>,
        shape: Vec<usize>,
        macs: u64,
    },
}

/// Why a known node produced no value.
pub(super) enum Failure {
    /// An input is unknown because of an earlier problem (already reported).
    Blocked(String),
    /// An input is dangling or on a cycle (already reported as a graph error).
    Missing(String),
    /// A fold-only op with a runtime input.
    Unsupported(String),
    /// A real error on this node.
    Error(ImportError),
}

/// Multiply-accumulates of one emitted node.
fn macs(op: &Op, inputs: &[&InputRef<'_>], out: &[usize]) -> u64 {
    let out_n = checked_numel(out).unwrap_or(usize::MAX) as u64;
    let k = match op {
        Op::Gemm { trans_a, .. } => inputs
            .first()
            .and_then(|a| a.shape.get(usize::from(!*trans_a)).copied()),
        Op::MatMul => inputs.first().and_then(|a| a.shape.last().copied()),
        // Per output element: (C / group) * kH * kW, the weight's non-leading dims.
        Op::Conv(_) => inputs
            .get(1)
            .map(|w| w.shape.iter().skip(1).product::<usize>()),
        // Every input element meets (M / group) * k1 * ... kernel cells: W's non-leading dims.
        Op::ConvTranspose(_) => {
            let x = inputs.first().and_then(|x| checked_numel(x.shape));
            let w = inputs
                .get(1)
                .and_then(|w| checked_numel(w.shape.get(1..).unwrap_or_default()));
            return x
                .zip(w)
                .map_or(0, |(x, w)| (x as u64).saturating_mul(w as u64));
        }
        _ => None,
    };
    k.map_or(0, |k| out_n.saturating_mul(k as u64))
}
