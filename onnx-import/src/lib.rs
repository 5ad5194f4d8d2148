//! ONNX → typed graph IR for zkinfer.
//!
//! [`ir`] holds the IR types. [`import_file`] / [`import_bytes`] decode an ONNX model, fold
//! constants (including exporter shape arithmetic and BatchNormalization after Conv/Gemm),
//! resolve every supported operator's attributes with ONNX defaults and infer every static
//! shape. [`inspect_bytes`] describes a model node by node without failing on unsupported
//! operators. The `*_with` variants ([`import_bytes_with`], [`import_file_with`],
//! [`inspect_bytes_with`]) take [`ImportOptions`]: values for symbolic input dimensions
//! (see [`dims`]). Errors are [`ImportError`]s that name the file, node and tensor involved.

pub mod budget;
pub mod eval;
pub mod input_file;
pub mod ir;

mod bn_fold;
mod convert;
pub mod dims;
pub mod error;
mod fold;
mod gelu_fuse;
mod ops;
mod proto;
pub mod registry;
pub mod report;
pub mod shapes;
pub mod split;
pub mod tensor_file;
mod topo;

use std::path::Path;

pub use convert::OPSET_RANGE;
pub use dims::{DimBinding, DimKey, DimSource, ImportOptions, ShapeHint};
pub use error::{ImportError, UnsupportedOp};
pub use ir::Graph;
pub use registry::{Family, OpDef, Registry};
pub use report::{
    inspect_bytes, inspect_bytes_registry, inspect_bytes_with, ModelReport, NodeReport, NodeStatus,
};

/// Reads and imports an ONNX model file. See [`import_bytes`].
pub fn import_file(path: &Path) -> Result<Graph, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_bytes(&bytes, &path.display().to_string())
}

/// Imports an ONNX model from its serialized bytes; `source_name` labels the bytes in errors.
///
/// The result has every supported node mapped to an [`ir::Op`] with resolved attributes,
/// every value with a static shape, constants folded (shape arithmetic, `Constant` nodes,
/// BatchNormalization folded into a preceding Conv/Gemm where possible) and nodes in
/// topological order. Only the nodes some graph output depends on are imported: the others
/// are skipped ([`NodeStatus::Unused`] in [`inspect_bytes`]), while every declared graph
/// input stays an input. All unsupported operators are reported together in
/// [`ImportError::UnsupportedOps`]. Never panics on malformed input, and never allocates in
/// proportion to a shape read from the file beyond the budgets of [`budget`].
pub fn import_bytes(bytes: &[u8], source_name: &str) -> Result<Graph, ImportError> {
    import_bytes_registry(bytes, source_name, &Registry::standard())
}

/// Reads and imports an ONNX model file with `opts`. See [`import_bytes_with`].
pub fn import_file_with(path: &Path, opts: &ImportOptions) -> Result<Graph, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    import_bytes_with(&bytes, &path.display().to_string(), opts)
}

/// [`import_bytes`] with the free (symbolic or unknown) graph-input dimensions bound from
/// `opts` (see [`dims`] for the order); the bindings are recorded in
/// [`ir::InputInfo::dims`]. [`import_bytes`] is this with default options: every leading
/// batch dimension is 1, any other free dimension is an error.
pub fn import_bytes_with(
    bytes: &[u8],
    source_name: &str,
    opts: &ImportOptions,
) -> Result<Graph, ImportError> {
    import(bytes, source_name, &Registry::standard(), opts)
}

fn import(
    bytes: &[u8],
    source_name: &str,
    registry: &Registry,
    opts: &ImportOptions,
) -> Result<Graph, ImportError> {
    let model = proto::decode(bytes, source_name)?;
    let mut graph = convert::convert(&model, registry, opts).into_result()?;
    bn_fold::fold_batch_norms(&mut graph);
    gelu_fuse::fuse_gelus(&mut graph);
    Ok(graph)
}

/// [`import_bytes`] with the operators of `registry` instead of the standard ones.
pub fn import_bytes_registry(
    bytes: &[u8],
    source_name: &str,
    registry: &Registry,
) -> Result<Graph, ImportError> {
    import(bytes, source_name, registry, &ImportOptions::default())
}
