//! What a proof reveals: the visibility of the model's inputs, outputs and parameters,
//! chosen at compile time and recorded in the circuit shape (so in `settings.json` and the
//! verifying key).
//!
//! | part | `public` / `fixed` | `private` | `hashed` | `committed` |
//! | --- | --- | --- | --- | --- |
//! | inputs, outputs | instances (default) | advice only | Poseidon hash is the instance | — |
//! | parameters | fixed columns: the key is the commitment (default) | advice, no commitment | advice; their Poseidon hash is an instance | unblinded advice columns; their KZG commitments are checked |
//!
//! The public instances are, in this order: the public inputs' elements, the public
//! outputs' elements, then one field element per hashed part — inputs, outputs, parameters
//! (see [`InstanceLayout`]).
//!
//! **Parameters** are the constant operands of the linear ops (Gemm, MatMul, Conv,
//! ConvTranspose: weights and biases), of Add, Sub and Mul, and a constant divisor of Div
//! ([`is_param_input`]).
//! Every other model constant (normalization statistics, clip bounds, pads, function tables,
//! …) is part of the architecture and stays in fixed columns in every mode, so two models
//! share keys exactly when [`architecture_digest`] agrees.

use serde::{Deserialize, Serialize};

/// On-chain, every public value is one instance the verifier reads from calldata and
/// evaluates a Lagrange basis polynomial for (about 700 gas each, calldata included, see
/// `halo2::evm_cost`). When planning for the EVM, inputs with more values than this are
/// hashed unless the user chose their visibility: the cost then does not grow with them.
pub const EVM_MAX_PUBLIC_INPUTS: usize = 16;
/// The same bound for outputs, higher because a contract usually reads the outputs (a
/// class, a score) and rarely the inputs.
pub const EVM_MAX_PUBLIC_OUTPUTS: usize = 64;

/// Visibility of the model's inputs or outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Every quantized element is a public instance.
    #[default]
    Public,
    /// Advice only: the proof reveals nothing about the values.
    Private,
    /// Advice; the Poseidon hash of the quantized values (see [`crate::hash`]) is the one
    /// public instance, so a later step can open it.
    Hashed,
}

/// Visibility of the model's parameters (weights and biases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ParamVisibility {
    /// Constants in fixed columns: the verifying key commits to them (one key per model).
    #[default]
    Fixed,
    /// Advice without any commitment: a proof shows only that *some* parameters of this
    /// architecture give the output.
    Private,
    /// Advice, range-checked and hashed with Poseidon; the hash is a public instance. One key
    /// serves every model of the architecture.
    Hashed,
    /// In the packed dot gate's weight columns, which the prover leaves unblinded, so their
    /// KZG commitments are a function of the parameters that the verifier compares. One key
    /// serves every model of the architecture.
    Committed,
}

impl ParamVisibility {
    /// True unless the parameters are baked into the key.
    pub fn is_advice(self) -> bool {
        self != ParamVisibility::Fixed
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Hashed => "hashed",
        })
    }
}

impl std::fmt::Display for ParamVisibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParamVisibility::Fixed => "fixed",
            ParamVisibility::Private => "private",
            ParamVisibility::Hashed => "hashed",
            ParamVisibility::Committed => "committed",
        })
    }
}

/// The three choices together. The default (public inputs and outputs, fixed parameters) is
/// the circuit from before visibility existed, byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, Hash)]
pub struct Visibilities {
    /// Graph inputs.
    #[serde(default)]
    pub input: Visibility,
    /// Graph outputs.
    #[serde(default)]
    pub output: Visibility,
    /// Model parameters.
    #[serde(default)]
    pub params: ParamVisibility,
}

impl Visibilities {
    /// True for the default.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Where each part sits in the instance column, for `inputs` and `outputs` elements.
    pub fn layout(&self, inputs: usize, outputs: usize) -> InstanceLayout {
        let mut at = 0;
        let mut take = |n: usize| {
            let r = at..at + n;
            at += n;
            r
        };
        let inputs = take(if self.input == Visibility::Public {
            inputs
        } else {
            0
        });
        let outputs = take(if self.output == Visibility::Public {
            outputs
        } else {
            0
        });
        let hashed = |yes: bool, take: &mut dyn FnMut(usize) -> std::ops::Range<usize>| {
            yes.then(|| take(1).start)
        };
        let input_hash = hashed(self.input == Visibility::Hashed, &mut take);
        let output_hash = hashed(self.output == Visibility::Hashed, &mut take);
        let param_hash = hashed(self.params == ParamVisibility::Hashed, &mut take);
        InstanceLayout {
            inputs,
            outputs,
            input_hash,
            output_hash,
            param_hash,
            len: at,
        }
    }
}

/// Positions of the parts of the statement in the instance column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceLayout {
    /// The public inputs' elements (empty unless inputs are public).
    pub inputs: std::ops::Range<usize>,
    /// The public outputs' elements (empty unless outputs are public).
    pub outputs: std::ops::Range<usize>,
    /// The inputs' hash, when hashed.
    pub input_hash: Option<usize>,
    /// The outputs' hash, when hashed.
    pub output_hash: Option<usize>,
    /// The parameters' hash, when hashed.
    pub param_hash: Option<usize>,
    /// Number of instances.
    pub len: usize,
}

/// Range of the packed values hashed for hashed inputs and outputs: every activation lies in
/// `[-2^bits, 2^bits)`, so `bits + 1` bits each.
pub fn activation_hash_bits(bits: u32) -> u32 {
    bits + 1
}

pub use crate::backend::ParamRole;

impl ParamRole {
    /// Width of a hashed parameter of this role: a weight (or an activation-scale constant)
    /// lies in `[-2^bits, 2^bits)`, like an activation (`bits + 1` bits); a bias, at the
    /// accumulator scale, in `[-2^(bits + param_scale), 2^(bits + param_scale))`. Each hashed
    /// parameter is range-checked to its width before packing (so the packing is injective),
    /// and a model with a parameter outside it is refused when the circuit is planned.
    pub fn hash_bits(self, bits: u32, param_scale: u32) -> u32 {
        match self {
            ParamRole::Weight => bits + 1,
            ParamRole::Bias => bits + param_scale + 1,
        }
    }
}

/// The hash of `hashed` parameters, natively: weights (load order) and biases (load order)
/// as two parts of one Poseidon hash ([`crate::hash::hash_parts_values`]), each at its role's
/// width. Errors when a parameter lies outside its role's range.
pub fn param_hash(
    store: &crate::backend::ParamStore,
    bits: u32,
    param_scale: u32,
) -> crate::Result<halo2_base::halo2_proofs::halo2curves::bn256::Fr> {
    let mut parts = Vec::new();
    for role in [ParamRole::Weight, ParamRole::Bias] {
        let w = role.hash_bits(bits, param_scale);
        let values = store.of_role(role);
        let half = 1i128 << (w - 1);
        if let Some(v) = values.iter().find(|v| **v < -half || **v >= half) {
            return Err(crate::CircuitError::Settings {
                message: format!(
                    "a quantized {kind} ({v}) lies outside [-2^{e}, 2^{e}), the range hashed \
                     parameters of that kind are checked to: use a smaller param_scale or more \
                     bits",
                    e = w - 1,
                    kind = if role == ParamRole::Weight {
                        "weight"
                    } else {
                        "bias"
                    },
                ),
            });
        }
        parts.push((values, w));
    }
    let refs: Vec<(&[i128], u32)> = parts.iter().map(|(v, w)| (v.as_slice(), *w)).collect();
    Ok(crate::hash::hash_parts_values(&refs))
}

/// Whether input `index` of a node with operator `op` is a model parameter when it is a
/// constant (see the module docs). The ops consult it when they load constants, and
/// [`architecture_digest`] to know which constants it may ignore.
#[cfg(feature = "model")]
pub fn is_param_input(op: &onnx_import::ir::Op, index: usize) -> bool {
    use onnx_import::ir::Op;
    match op {
        Op::Gemm { .. } => index <= 2,
        Op::MatMul => index <= 1,
        Op::Conv(_) | Op::ConvTranspose(_) => index == 1 || index == 2,
        Op::Add | Op::Sub | Op::Mul => index <= 1,
        // A constant dividend of a runtime divisor is an activation, not a parameter.
        Op::Div => index == 1,
        _ => false,
    }
}

/// The constants of `graph` that are parameters ([`is_param_input`] for some use).
#[cfg(feature = "model")]
pub fn param_values(graph: &onnx_import::ir::Graph) -> std::collections::BTreeSet<usize> {
    let mut out = std::collections::BTreeSet::new();
    for node in &graph.nodes {
        for (i, &id) in node.inputs.iter().enumerate() {
            if graph.constant(id).is_some() && is_param_input(&node.op, i) {
                out.insert(id);
            }
        }
    }
    out
}

/// sha256 (hex) of the graph with the values of its parameters zeroed: two models have the
/// same architecture — the same circuit, the same keys when parameters are not fixed —
/// exactly when their digests agree. A constant used both as a parameter and otherwise
/// keeps its values.
#[cfg(feature = "model")]
pub fn architecture_digest(graph: &onnx_import::ir::Graph) -> crate::Result<String> {
    use onnx_import::ir::ValueKind;
    use sha2::{Digest, Sha256};
    let mut params = param_values(graph);
    // A constant also used in another role stays in the digest with its values.
    for node in &graph.nodes {
        for (i, id) in node.inputs.iter().enumerate() {
            if !is_param_input(&node.op, i) {
                params.remove(id);
            }
        }
    }
    let mut g = graph.clone();
    for id in params {
        if let ValueKind::Constant(t) = &mut g.values[id].kind {
            t.data.iter_mut().for_each(|v| *v = 0.0);
        }
    }
    fn digest_of(g: &onnx_import::ir::Graph) -> crate::Result<String> {
        let bytes = serde_json::to_vec(g).map_err(|e| crate::CircuitError::Settings {
            message: format!("cannot serialize the graph: {e}"),
        })?;
        Ok(hex::encode(Sha256::digest(bytes)))
    }
    digest_of(&g)
}
