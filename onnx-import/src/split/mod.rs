//! Cutting an ONNX model into contiguous sub-models at single-tensor boundaries.
//!
//! [`cut_points`] lists the places where the ONNX node list (in file order) can be cut so
//! that exactly one runtime tensor crosses; [`extract`] writes the nodes between two such
//! places as a self-contained ONNX model whose graph input and output are the crossing
//! tensors, with static shapes, so each segment imports with no dimension bindings and
//! evaluating the segments in sequence computes what the whole model computes.
//!
//! A tensor is *runtime* when it depends on a graph input (initializers that are also listed
//! as inputs are constants, as in the importer). Initializers, `Constant` outputs and
//! anything computed only from constants are constants, and so are the outputs of `Shape`
//! nodes whose input has a static shape in the IR (the importer folds them): a segment gets
//! those as INT64 initializers, and copies of the constant-only nodes before it that it
//! reads.

mod analysis;
mod build;
mod channels;

use serde::{Deserialize, Serialize};

use crate::error::ImportError;
use crate::ir::Graph;
use crate::proto;

use analysis::analyze;
use build::{build, Segment};
pub use channels::{channel_chains, split_channels, ChannelChain, PER_CHANNEL_OPS};

/// A place where the node list can be cut: after ONNX node `after` (0-based index into
/// `graph.node`, i.e. `nodes[..=after]` go left), exactly one runtime tensor crosses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutPoint {
    /// Index of the last ONNX node left of the cut.
    pub after: usize,
    /// Name of the one runtime tensor crossing the cut.
    pub tensor: String,
    /// Its static shape (from the imported [`Graph`]).
    pub shape: Vec<usize>,
}

/// All valid cut points of the model in `bytes` (already imported as `graph` by the caller
/// with [`crate::import_bytes_with`], so static shapes are known), in node order.
///
/// A cut after node `a` is valid iff exactly one runtime tensor produced at or before node
/// `a` (or a graph input) is read by a node after `a` or is a graph output; that tensor is
/// read by some node after `a`; it is not a graph input (the segment left of the cut would
/// compute nothing); the IR has a runtime value of that name (the importer folds and fuses
/// nodes, so a name can be missing); and no graph output is produced at or before node `a`. Errors when the bytes do not decode or the node list is not in topological
/// order ([`ImportError::SplitOrder`]).
pub fn cut_points(
    bytes: &[u8],
    source_name: &str,
    graph: &Graph,
) -> Result<Vec<CutPoint>, ImportError> {
    let model = proto::decode(bytes, source_name)?;
    let empty = Default::default();
    let g = model.graph.as_ref().unwrap_or(&empty);
    Ok(analyze(g, source_name, graph)?.cuts(graph))
}

/// The sub-model made of ONNX nodes `[start, end)` (`end` exclusive, `end <=` node count),
/// as serialized `ModelProto` bytes (same ir_version, opset_import, producer, functions).
///
/// Its graph input is the model's own runtime inputs when `start == 0` (with the static
/// shapes from `graph`), else the single tensor crossing the cut before `start` (name and
/// static shape from `graph`, element type from the model's value_info / inputs / outputs,
/// FLOAT when it declares none). Its graph output is the tensor crossing the cut after
/// `end - 1` when `end` is below the node count, else the model's outputs (static shapes).
/// Constant-only nodes before `start` that the segment reads are copied into it, `Shape`
/// nodes before `start` become INT64 initializers, and the initializers and value_info of
/// the included tensors are kept.
///
/// Errors: [`ImportError::SegmentRange`] when `start >= end` or `end` is past the node
/// count, [`ImportError::NoCut`] when `start > 0` or `end <` node count is not at a cut
/// point, besides the errors of [`cut_points`].
pub fn extract(
    bytes: &[u8],
    source_name: &str,
    graph: &Graph,
    start: usize,
    end: usize,
) -> Result<Vec<u8>, ImportError> {
    let model = proto::decode(bytes, source_name)?;
    let empty = Default::default();
    let g = model.graph.as_ref().unwrap_or(&empty);
    let nodes = g.node.len();
    if start >= end || end > nodes {
        return Err(ImportError::SegmentRange {
            model: source_name.to_string(),
            start,
            end,
            nodes,
        });
    }
    let an = analyze(g, source_name, graph)?;
    let cuts = an.cuts(graph);
    let cut_after = |after: usize| {
        cuts.iter()
            .find(|c| c.after == after)
            .ok_or_else(|| ImportError::NoCut {
                model: source_name.to_string(),
                after_node: after,
                valid: cuts.iter().map(|c| c.after).collect(),
            })
    };
    let input = start.checked_sub(1).map(cut_after).transpose()?;
    let output = (end < nodes).then(|| cut_after(end - 1)).transpose()?;
    let seg = Segment {
        start,
        end,
        input,
        output,
    };
    let sub = build(&model, &an, graph, &seg);
    protobuf::Message::write_to_bytes(&sub).map_err(|e| ImportError::SplitEncode {
        model: source_name.to_string(),
        start,
        end,
        message: e.to_string(),
    })
}

/// The number of ONNX nodes of the model in `bytes` (the `end` of a last segment).
pub fn node_count(bytes: &[u8], source_name: &str) -> Result<usize, ImportError> {
    Ok(crate::proto::decode(bytes, source_name)?.graph.node.len())
}
