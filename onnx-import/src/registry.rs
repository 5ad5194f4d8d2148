//! The operator registry: the one list of the ONNX operators the importer accepts.
//!
//! Each op family (one file under `ops/`, named like its float evaluator in `eval/` and its
//! fixed-point op in the circuits crate) declares its operators once, in its `OPS` table:
//! the ONNX op type, the opsets it is imported for, a line for the README's operator table,
//! and how it is lowered (a mapper that resolves attributes with their defaults and infers
//! the output shape, or an import-time evaluator). Everything else is derived from these
//! tables: which op types are known, the supported-op list in error messages, `inspect`'s
//! status lines and the operator table in `README.md` ([`Registry::markdown_table`]; a test
//! fails when the README drifts from it).
//!
//! A [`Registry`] is a value, not global state: [`Registry::standard`] builds the default one
//! and the importer's `*_with` functions accept any other (tests register dummy ops).

use std::fmt;
use std::ops::RangeInclusive;

use crate::error::ImportError;
use crate::fold::ConstVal;
use crate::ops::{Lowering, NodeCtx};

/// Lowest and highest default-domain opset the importer reads.
pub const OPSET_RANGE: RangeInclusive<i64> = 1..=21;

/// Op families. Each family has one file per layer, all with the family's [`Family::file`]
/// name: the importer (`onnx-import/src/ops/`), the float evaluator (`onnx-import/src/eval/`)
/// and the fixed-point op (`circuits/src/ops/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Dot products with one rescale: Gemm, MatMul, Conv.
    Linear,
    /// Elementwise arithmetic with broadcasting.
    Elementwise,
    /// Piecewise-linear activations.
    Activation,
    /// Normalization: BatchNormalization (constant statistics), Softmax, LayerNorm,
    /// InstanceNorm, LRN (runtime statistics).
    Norm,
    /// Windowed and global pooling.
    Pool,
    /// Reductions over axes.
    Reduce,
    /// Index-valued selections along an axis: ArgMax, ArgMin, TopK.
    Arg,
    /// Pure data movement (wiring, no constraints).
    Shape,
    /// Resize / Upsample: nearest is wiring, linear a weighted sum with constant weights.
    Resize,
    /// Smooth scalar functions by table lookup or range-checked witness: Sigmoid, Exp, Erf,
    /// Sqrt, Pow, ...
    Nonlinear,
    /// Comparisons, boolean logic and Where.
    Logic,
    /// Evaluated at import time only (constants and shape arithmetic).
    Constant,
}

impl Family {
    /// Every family, in README order.
    pub const ALL: [Family; 12] = [
        Family::Linear,
        Family::Elementwise,
        Family::Activation,
        Family::Nonlinear,
        Family::Logic,
        Family::Norm,
        Family::Pool,
        Family::Reduce,
        Family::Arg,
        Family::Shape,
        Family::Resize,
        Family::Constant,
    ];

    /// The family's file name (without `.rs`) in every layer.
    pub fn file(self) -> &'static str {
        match self {
            Family::Linear => "linear",
            Family::Elementwise => "elementwise",
            Family::Activation => "activation",
            Family::Norm => "norm",
            Family::Pool => "pool",
            Family::Reduce => "reduce",
            Family::Arg => "arg",
            Family::Shape => "shape",
            Family::Resize => "resize",
            Family::Nonlinear => "nonlinear",
            Family::Logic => "logic",
            Family::Constant => "constant",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file())
    }
}

/// Maps a node to IR ops (one per declared output).
pub(crate) type MapFn = fn(&NodeCtx<'_>) -> Result<Lowering, ImportError>;
/// Evaluates a node at import time.
pub(crate) type FoldFn = fn(&NodeCtx<'_>) -> Result<ConstVal, ImportError>;

/// How a registered operator is lowered.
#[derive(Clone, Copy)]
pub(crate) enum Lower {
    /// Mapped to IR ops (folded anyway when every input is a constant).
    Runtime(MapFn),
    /// Only accepted when it can be evaluated at import time.
    FoldOnly(FoldFn),
}

/// One registered ONNX operator (default domain).
#[derive(Clone, Copy)]
pub struct OpDef {
    name: &'static str,
    family: Family,
    since: i64,
    until: i64,
    notes: &'static str,
    pub(crate) lower: Lower,
}

impl fmt::Debug for OpDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpDef")
            .field("name", &self.name)
            .field("family", &self.family)
            .field("opsets", &self.opset_range())
            .finish()
    }
}

impl OpDef {
    /// A runtime operator imported for every opset in [`OPSET_RANGE`].
    pub(crate) const fn runtime(
        name: &'static str,
        family: Family,
        notes: &'static str,
        map: MapFn,
    ) -> Self {
        Self {
            name,
            family,
            since: *OPSET_RANGE.start(),
            until: *OPSET_RANGE.end(),
            notes,
            lower: Lower::Runtime(map),
        }
    }

    /// An operator accepted only when it can be evaluated at import time.
    pub(crate) const fn fold_only(
        name: &'static str,
        family: Family,
        notes: &'static str,
        fold: FoldFn,
    ) -> Self {
        Self {
            name,
            family,
            since: *OPSET_RANGE.start(),
            until: *OPSET_RANGE.end(),
            notes,
            lower: Lower::FoldOnly(fold),
        }
    }

    /// Restricts the opsets the operator is imported for (it exists in ONNX only there).
    pub(crate) const fn opsets(mut self, since: i64, until: i64) -> Self {
        self.since = since;
        self.until = until;
        self
    }

    /// The ONNX op type.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The default-domain opsets it is imported for.
    pub fn opset_range(&self) -> RangeInclusive<i64> {
        self.since..=self.until
    }

    /// What is supported beyond the plain operator (README's notes column).
    pub fn notes(&self) -> &'static str {
        self.notes
    }

    /// Whether it is accepted only when it can be evaluated at import time.
    pub fn is_fold_only(&self) -> bool {
        matches!(self.lower, Lower::FoldOnly(_))
    }
}

/// The set of operators an import accepts.
#[derive(Clone, Debug)]
pub struct Registry {
    ops: Vec<OpDef>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::standard()
    }
}

impl Registry {
    /// Every operator of every family, as the importer ships it.
    pub fn standard() -> Self {
        Self {
            ops: crate::ops::FAMILY_TABLES
                .iter()
                .flat_map(|t| t.iter().copied())
                .collect(),
        }
    }

    /// This registry plus `def` (replacing an operator of the same name).
    pub fn with(mut self, def: OpDef) -> Self {
        self.ops.retain(|d| d.name != def.name);
        self.ops.push(def);
        self
    }

    /// Every registered operator.
    pub fn ops(&self) -> &[OpDef] {
        &self.ops
    }

    /// The operator `op_type` of `domain`, if registered (only the default domain,
    /// `""` or `"ai.onnx"`, has operators).
    pub fn get(&self, domain: &str, op_type: &str) -> Option<&OpDef> {
        if !(domain.is_empty() || domain == "ai.onnx") {
            return None;
        }
        self.ops.iter().find(|d| d.name == op_type)
    }

    /// Names of the runtime operators, in registry order.
    pub fn runtime_ops(&self) -> Vec<&'static str> {
        self.ops
            .iter()
            .filter(|d| !d.is_fold_only())
            .map(|d| d.name)
            .collect()
    }

    /// Names of the import-time-only operators, in registry order.
    pub fn fold_only_ops(&self) -> Vec<&'static str> {
        self.ops
            .iter()
            .filter(|d| d.is_fold_only())
            .map(|d| d.name)
            .collect()
    }

    /// The operator table of `README.md` (between its `<!-- ops-table -->` markers):
    /// one row per family with its operators, and the notes of each.
    pub fn markdown_table(&self) -> String {
        let mut out = String::from("| family | operators | notes |\n| --- | --- | --- |\n");
        let mut families: Vec<Family> = Family::ALL.to_vec();
        for d in &self.ops {
            if !families.contains(&d.family) {
                families.push(d.family);
            }
        }
        for fam in families {
            let defs: Vec<&OpDef> = self.ops.iter().filter(|d| d.family == fam).collect();
            if defs.is_empty() {
                continue;
            }
            let names: Vec<String> = defs.iter().map(|d| op_label(d)).collect();
            let notes: Vec<String> = defs
                .iter()
                .filter(|d| !d.notes.is_empty())
                .map(|d| format!("{}: {}", d.name, d.notes))
                .collect();
            out.push_str(&format!(
                "| {fam} | {} | {} |\n",
                names.join(", "),
                notes.join("; ")
            ));
        }
        out
    }
}

/// `Name`, with its opsets when they are not the whole [`OPSET_RANGE`].
fn op_label(d: &OpDef) -> String {
    if d.opset_range() == OPSET_RANGE {
        d.name.to_string()
    } else if d.until == *OPSET_RANGE.end() {
        format!("{} (opset ≥ {})", d.name, d.since)
    } else {
        format!("{} (opset {}–{})", d.name, d.since, d.until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Op;
    use crate::ops::{unary, Mapped};

    /// A model with one float input `x` of `shape`, one node `op_type(x) -> y`.
    fn single_node_model(op_type: &str, shape: &[i64]) -> Vec<u8> {
        use onnx_protobuf::{
            tensor_shape_proto, type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
            TensorShapeProto, TypeProto, ValueInfoProto,
        };
        use protobuf::{Message, MessageField};
        let vi = |name: &str, dims: &[i64]| {
            let mut shape = TensorShapeProto::new();
            for &d in dims {
                let mut dim = tensor_shape_proto::Dimension::new();
                dim.set_dim_value(d);
                shape.dim.push(dim);
            }
            let mut tt = type_proto::Tensor::new();
            tt.elem_type = 1;
            tt.shape = MessageField::some(shape);
            let mut ty = TypeProto::new();
            ty.set_tensor_type(tt);
            let mut v = ValueInfoProto::new();
            v.name = name.into();
            v.type_ = MessageField::some(ty);
            v
        };
        let mut node = NodeProto::new();
        node.op_type = op_type.into();
        node.name = "n0".into();
        node.input.push("x".into());
        node.output.push("y".into());
        let mut g = GraphProto::new();
        g.node.push(node);
        g.input.push(vi("x", shape));
        g.output.push(vi("y", shape));
        let mut m = ModelProto::new();
        m.ir_version = 8;
        let mut op = OperatorSetIdProto::new();
        op.version = 17;
        m.opset_import.push(op);
        m.graph = MessageField::some(g);
        m.write_to_bytes().expect("serializes")
    }

    fn dummy(ctx: &NodeCtx<'_>) -> Result<Lowering, ImportError> {
        unary(ctx, Op::Identity).map(Lowering::from)
    }

    #[test]
    fn names_are_unique_and_families_have_files() {
        let r = Registry::standard();
        let mut names: Vec<&str> = r.ops().iter().map(OpDef::name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "an op is registered twice");
        for d in r.ops() {
            assert!(d.opset_range().start() <= d.opset_range().end(), "{d:?}");
            assert!(!d.family().file().is_empty());
        }
        let _ = Mapped::new(Op::Identity, vec![0], vec![1]);
    }

    /// Each family has its file (or directory module), under the family's name, in every layer
    /// (the import-time `constant` family has no runtime layers).
    #[test]
    fn family_files_exist_in_every_layer() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for fam in Family::ALL {
            let mut layers = vec![root.join("src/ops")];
            if fam != Family::Constant {
                layers.push(root.join("src/eval"));
                layers.push(root.join("../circuits/src/ops"));
            }
            for dir in layers {
                let f = dir.join(format!("{}.rs", fam.file()));
                let m = dir.join(fam.file()).join("mod.rs");
                assert!(
                    f.is_file() || m.is_file(),
                    "family {fam}: {} (or {}) is missing",
                    f.display(),
                    m.display()
                );
            }
        }
    }

    /// The README's operator table is the registry's. After adding an op, regenerate it with
    /// `ZKINFER_UPDATE_README=1 cargo test -p zkinfer-onnx-import readme_ops_table`.
    #[test]
    fn readme_ops_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
        let readme = std::fs::read_to_string(&path).expect("README.md at the workspace root");
        let start = "<!-- ops-table -->\n";
        let end = "<!-- /ops-table -->";
        let a = readme.find(start).expect("README has <!-- ops-table -->") + start.len();
        let b = readme[a..]
            .find(end)
            .expect("README has <!-- /ops-table -->")
            + a;
        let want = Registry::standard().markdown_table();
        if readme[a..b] != want && std::env::var_os("ZKINFER_UPDATE_README").is_some() {
            let updated = format!("{}{want}{}", &readme[..a], &readme[b..]);
            std::fs::write(&path, updated).expect("README.md is writable");
            return;
        }
        if readme[a..b] != want {
            println!("{want}");
            panic!(
                "README.md's operator table differs from the registry (the table it should \
                 have is printed above); regenerate it with ZKINFER_UPDATE_README=1 cargo test \
                 -p zkinfer-onnx-import readme_ops_table"
            );
        }
    }

    /// `Op::family` agrees with the registry's family of the op of the same name, and
    /// `is_data_movement` is exactly the shape family, for ops of every family.
    #[test]
    fn op_family_matches_registry() {
        use crate::ir::{
            ArgKind, CastTarget, ConvAttrs, EinsumSpec, Pads, PoolAttrs, ReduceKind, TopKOutput,
            VariadicOp,
        };
        let conv = ConvAttrs {
            kernel: vec![3],
            strides: vec![1],
            pads: Pads::zeros(1),
            dilations: vec![1],
            group: 1,
        };
        let pool = PoolAttrs {
            kernel: vec![2],
            strides: vec![2],
            pads: Pads::zeros(1),
            dilations: vec![1],
            count_include_pad: false,
            ceil_mode: false,
        };
        let ops = [
            Op::MatMul,
            Op::Conv(conv),
            Op::Einsum(EinsumSpec {
                equation: "ij->ji".into(),
                inputs: vec![vec![0, 1]],
                output: vec![1, 0],
                dims: vec![2, 3],
            }),
            Op::Add,
            Op::Round,
            Op::Variadic(VariadicOp::Max),
            Op::Cast {
                to: CastTarget::Integer,
            },
            Op::Relu,
            Op::Shrink {
                lambd: 0.5,
                bias: 0.0,
            },
            Op::BatchNormalization { epsilon: 1e-5 },
            Op::MaxPool(pool),
            Op::GlobalMaxPool,
            Op::ReduceMean {
                axes: vec![0],
                keepdims: true,
            },
            Op::Reduce {
                kind: ReduceKind::L1,
                axes: vec![0],
                keepdims: true,
            },
            Op::Arg {
                kind: ArgKind::Min,
                axis: 0,
                keepdims: true,
                select_last_index: false,
            },
            Op::TopK {
                axis: 0,
                k: 1,
                largest: true,
                sorted: true,
                output: TopKOutput::Indices,
            },
            Op::Flatten { axis: 1 },
            Op::Identity,
            Op::GatherDynamic { axis: 0 },
            Op::GatherElementsDynamic { axis: 0 },
            Op::Compare(crate::ir::CompareOp::LessOrEqual),
            Op::Not,
            Op::Logic(crate::ir::LogicOp::Xor),
            Op::Where,
            Op::ClipDynamic {
                has_min: true,
                has_max: false,
            },
            Op::Trilu { upper: true, k: 0 },
            Op::Function(crate::ir::ScalarFn::Sigmoid),
            Op::Function(crate::ir::ScalarFn::Gelu { tanh: false }),
            Op::Pow { exponent: 2.0 },
            Op::Softmax {
                axis: 1,
                log: true,
                coerce_2d: false,
            },
            Op::LayerNormalization {
                axis: 1,
                epsilon: 1e-5,
            },
            Op::ScatterND {
                indices: vec![0],
                indices_shape: vec![1, 1],
            },
        ];
        let reg = Registry::standard();
        for op in &ops {
            let def = reg.get("", op.name()).expect("every IR op is registered");
            assert_eq!(op.family(), def.family(), "{}", op.name());
            assert_eq!(
                crate::eval::is_data_movement(op),
                def.family() == Family::Shape,
                "{}",
                op.name()
            );
        }
        let families: std::collections::BTreeSet<Family> = ops.iter().map(Op::family).collect();
        let runtime: std::collections::BTreeSet<Family> = Family::ALL
            .into_iter()
            .filter(|&f| f != Family::Constant && f != Family::Resize)
            .collect();
        assert_eq!(families, runtime);
    }

    /// A dummy op in a test registry is known to the importer, shows in `inspect` and in
    /// the derived table: the registry is the only list.
    #[test]
    fn dummy_op_appears_everywhere() {
        let model = single_node_model("ZkDummy", &[2, 3]);
        let std_report = crate::inspect_bytes_registry(&model, "m.onnx", &Registry::standard())
            .expect("decodes");
        assert!(!std_report.all_supported());
        let reg =
            Registry::standard().with(OpDef::runtime("ZkDummy", Family::Shape, "test-only", dummy));
        assert!(reg.runtime_ops().contains(&"ZkDummy"));
        assert!(reg.markdown_table().contains("ZkDummy: test-only"));
        assert!(!Registry::standard().markdown_table().contains("ZkDummy"));
        let report = crate::inspect_bytes_registry(&model, "m.onnx", &reg).expect("decodes");
        assert!(report.all_supported(), "{report}");
        let text = report.to_string();
        assert!(text.contains("ZkDummy"), "{text}");
        let g = crate::import_bytes_registry(&model, "m.onnx", &reg).expect("imports");
        assert_eq!(g.nodes.len(), 1);
        assert_eq!(g.nodes[0].op, Op::Identity);
    }
}
