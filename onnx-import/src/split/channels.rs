//! Channel splitting: rewriting a convolution, and the per-channel ops right after it, as
//! groups of output channels computed one after another, so that a model can be cut
//! *inside* a layer too large for one segment.
//!
//! A *chain* is a `Conv` (group 1, weights and bias initializers of type FLOAT) followed by
//! the consecutive nodes that act on each channel on its own ([`PER_CHANNEL_OPS`]), each
//! reading only the previous one's output, which nothing else reads. Its output channels
//! are independent, so the chain can run per group of channels. Split into `G` groups with
//! `c_0 + … + c_{G-1} = C` channels, the chain `X → Y` becomes:
//!
//! ```text
//! group 0:      P_0 = chain(Conv(X, W[0..c_0], B[0..c_0]))
//!               Z_0 = Concat(Flatten₀(X), Flatten₀(P_0))                  ← cut
//! group g:      X   = Reshape(Slice(Z_{g-1}, 0..|X|))
//!               P_g = chain(Conv(X, W[o_g..o_g+c_g], B[…]))
//!               Z_g = Concat(Z_{g-1}, Flatten₀(P_g))                      ← cut
//! last group:   Y   = Concat(Reshape(Slice(Z_{G-2}, P_0)), …, P_{G-1}; axis 1)
//! ```
//!
//! `Flatten₀` is `Flatten(axis = 0)` (shape `[1, n]`). Each `Z_g` is the only runtime tensor
//! crossing the node list after it, so it is a single-tensor cut point (see
//! [`super::cut_points`]): the *carry* of the input and of the channels computed so far.
//! Every element of `Y` is computed by the same arithmetic on the same inputs as before
//! (one activation scale, so Concat, Slice and Reshape move values and compute nothing):
//! the rewritten model computes exactly what the original does, in floats and in fixed
//! point. Needs opset 10 or later (Slice with inputs).

use std::collections::{HashMap, HashSet};

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};
use serde::{Deserialize, Serialize};

use crate::error::ImportError;
use crate::ir::Graph;
use crate::proto;

use super::analysis::ir_value;

/// Ops that act on each channel of their one input on its own, keeping the channel
/// dimension (axis 1): a chain extends through them.
pub const PER_CHANNEL_OPS: &[&str] = &[
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "HardSigmoid",
    "HardSwish",
    "Softplus",
    "Elu",
    "Selu",
    "AveragePool",
    "MaxPool",
];

/// A chain that [`split_channels`] can rewrite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelChain {
    /// Index of its `Conv` in the ONNX node list.
    pub conv: usize,
    /// One past its last node.
    pub end: usize,
    /// Its output channels (the most groups it splits into).
    pub channels: usize,
    /// Its output tensor.
    pub output: String,
}

/// Whether the model's default-domain opset is at least 10.
fn opset_ok(model: &ModelProto) -> bool {
    model
        .opset_import
        .iter()
        .any(|o| (o.domain.is_empty() || o.domain == "ai.onnx") && o.version >= 10)
}

fn default_domain(n: &NodeProto) -> bool {
    n.domain.is_empty() || n.domain == "ai.onnx"
}

fn float_init<'g>(g: &'g GraphProto, name: &str) -> Option<&'g TensorProto> {
    g.initializer
        .iter()
        .find(|t| t.name == name && t.data_type == DataType::FLOAT as i32)
}

/// The chains of `g` (imported as `graph`), in node order.
fn chains_of(model: &ModelProto, graph: &Graph) -> Vec<ChannelChain> {
    let Some(g) = model.graph.as_ref() else {
        return Vec::new();
    };
    if !opset_ok(model) {
        return Vec::new();
    }
    let mut readers: HashMap<&str, usize> = HashMap::new();
    for n in &g.node {
        for i in n.input.iter().filter(|i| !i.is_empty()) {
            *readers.entry(i.as_str()).or_default() += 1;
        }
    }
    let outputs: HashSet<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
    let mut chains = Vec::new();
    for (i, n) in g.node.iter().enumerate() {
        if n.op_type != "Conv" || !default_domain(n) || n.output.len() != 1 {
            continue;
        }
        let group = n.attribute.iter().find(|a| a.name == "group").map(|a| a.i);
        if group.is_some_and(|v| v != 1) || !(2..=3).contains(&n.input.len()) {
            continue;
        }
        let Some(w) = float_init(g, &n.input[1]) else {
            continue;
        };
        let Some(&c) = w.dims.first() else { continue };
        // The bias is sliced like the weights: one value per output channel.
        let bias_ok = n
            .input
            .get(2)
            .is_none_or(|b| float_init(g, b).is_some_and(|t| t.dims == [c]));
        let Ok(c) = usize::try_from(c) else { continue };
        if !bias_ok || c < 2 || ir_value(graph, &n.input[0]).is_none() {
            continue;
        }
        let mut t = n.output[0].as_str();
        let mut end = i + 1;
        while let Some(m) = g.node.get(end) {
            let one_reader = readers.get(t) == Some(&1) && !outputs.contains(t);
            let per_channel = default_domain(m)
                && PER_CHANNEL_OPS.contains(&m.op_type.as_str())
                && m.input.len() == 1
                && m.input[0] == t
                && m.output.iter().filter(|o| !o.is_empty()).count() == 1
                && !m.output[0].is_empty();
            if !(one_reader && per_channel) {
                break;
            }
            t = m.output[0].as_str();
            end += 1;
        }
        let shape_ok = ir_value(graph, t).is_some_and(|v| v.shape.len() >= 2 && v.shape[1] == c);
        if shape_ok {
            chains.push(ChannelChain {
                conv: i,
                end,
                channels: c,
                output: t.to_string(),
            });
        }
    }
    chains
}

/// The chains of the model in `bytes` (already imported as `graph`), in node order.
pub fn channel_chains(
    bytes: &[u8],
    source_name: &str,
    graph: &Graph,
) -> Result<Vec<ChannelChain>, ImportError> {
    Ok(chains_of(&proto::decode(bytes, source_name)?, graph))
}

/// `n` channels in `groups` balanced groups (the first ones one larger).
fn group_sizes(n: usize, groups: usize) -> Vec<usize> {
    let groups = groups.clamp(1, n.max(1));
    (0..groups)
        .map(|g| n / groups + usize::from(g < n % groups))
        .collect()
}

/// Fresh tensor and node names, none equal to a name the model already uses.
struct Names {
    taken: HashSet<String>,
}

impl Names {
    fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 1;
        while !self.taken.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    }
}

fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: AttributeType::INT.into(),
        i: v,
        ..Default::default()
    }
}

fn op(op_type: &str, name: String, inputs: Vec<String>, output: String) -> NodeProto {
    NodeProto {
        op_type: op_type.into(),
        name,
        input: inputs,
        output: vec![output],
        ..Default::default()
    }
}

/// `op` with an `axis` attribute (Flatten, Concat).
fn axis_op(
    op_type: &str,
    name: String,
    inputs: Vec<String>,
    output: String,
    axis: i64,
) -> NodeProto {
    NodeProto {
        attribute: vec![int_attr("axis", axis)],
        ..op(op_type, name, inputs, output)
    }
}

fn i64s(name: String, data: Vec<i64>) -> TensorProto {
    TensorProto {
        name,
        dims: vec![i64::try_from(data.len()).unwrap_or(i64::MAX)],
        data_type: DataType::INT64 as i32,
        int64_data: data,
        ..Default::default()
    }
}

fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Rows `[from, from + count)` along the first dimension of a FLOAT initializer, as a new
/// FLOAT initializer named `name`.
fn slice_rows(
    t: &TensorProto,
    from: usize,
    count: usize,
    name: String,
) -> Result<TensorProto, ImportError> {
    let value =
        proto::tensor_to_const(t).map_err(|e| e.into_import_error("initializer", &t.name))?;
    let rows = value.tensor.shape.first().copied().unwrap_or(1);
    let per = value.tensor.data.len() / rows.max(1);
    let data: Vec<u8> = value.tensor.data[from * per..(from + count) * per]
        .iter()
        .flat_map(|&x| (x as f32).to_le_bytes())
        .collect();
    let mut dims = t.dims.clone();
    if let Some(d) = dims.first_mut() {
        *d = to_i64(count);
    }
    Ok(TensorProto {
        name,
        dims,
        data_type: DataType::FLOAT as i32,
        raw_data: data,
        ..Default::default()
    })
}

/// The nodes and initializers replacing `chain` split into `sizes` channel groups.
fn rewrite_chain(
    g: &GraphProto,
    graph: &Graph,
    chain: &ChannelChain,
    sizes: &[usize],
    names: &mut Names,
) -> Result<(Vec<NodeProto>, Vec<TensorProto>), ImportError> {
    let conv = &g.node[chain.conv];
    let body = &g.node[chain.conv + 1..chain.end];
    let x = conv.input[0].clone();
    let x_shape = ir_value(graph, &x)
        .map(|v| v.shape.clone())
        .unwrap_or_default();
    let y_shape = ir_value(graph, &chain.output)
        .map(|v| v.shape.clone())
        .unwrap_or_default();
    let x_len: usize = x_shape.iter().product();
    let per_channel: usize = y_shape.iter().product::<usize>() / chain.channels.max(1);
    // chains_of checked that the weights (and bias) are FLOAT initializers.
    let Some(w) = float_init(g, &conv.input[1]) else {
        return Ok((g.node[chain.conv..chain.end].to_vec(), Vec::new()));
    };
    let b = conv.input.get(2).and_then(|b| float_init(g, b));
    let base = format!("zkinfer_channels_{}", chain.conv);
    let shape_of = |c: usize| {
        let mut s = y_shape.clone();
        s[1] = c;
        s.iter().map(|&d| to_i64(d)).collect::<Vec<_>>()
    };
    let mut nodes = Vec::new();
    let mut inits = Vec::new();
    let last = sizes.len() - 1;
    // The carry so far and where each finished group's channels lie in it.
    let mut carry: Option<String> = None;
    let mut placed: Vec<(usize, usize, usize)> = Vec::new(); // (offset, len, channels)
    let mut offset_c = 0;
    // Slices [from, to) of the carry along axis 1, reshaped to `shape`.
    let unpack = |carry: &str,
                  from: usize,
                  to: usize,
                  shape: Vec<i64>,
                  tag: &str,
                  nodes: &mut Vec<NodeProto>,
                  inits: &mut Vec<TensorProto>,
                  names: &mut Names| {
        let starts = names.fresh(&format!("{base}_{tag}_starts"));
        let ends = names.fresh(&format!("{base}_{tag}_ends"));
        let axes = names.fresh(&format!("{base}_{tag}_axes"));
        let shp = names.fresh(&format!("{base}_{tag}_shape"));
        inits.push(i64s(starts.clone(), vec![to_i64(from)]));
        inits.push(i64s(ends.clone(), vec![to_i64(to)]));
        inits.push(i64s(axes.clone(), vec![1]));
        inits.push(i64s(shp.clone(), shape));
        let flat = names.fresh(&format!("{base}_{tag}_flat"));
        nodes.push(op(
            "Slice",
            names.fresh(&format!("{base}_{tag}_slice")),
            vec![carry.to_string(), starts, ends, axes],
            flat.clone(),
        ));
        let out = names.fresh(&format!("{base}_{tag}"));
        nodes.push(op(
            "Reshape",
            names.fresh(&format!("{base}_{tag}_reshape")),
            vec![flat, shp],
            out.clone(),
        ));
        out
    };
    for (gi, &c) in sizes.iter().enumerate() {
        let xin = match &carry {
            None => x.clone(),
            Some(z) => {
                let xs = x_shape.iter().map(|&d| to_i64(d)).collect();
                unpack(
                    z,
                    0,
                    x_len,
                    xs,
                    &format!("g{gi}_x"),
                    &mut nodes,
                    &mut inits,
                    names,
                )
            }
        };
        let wname = names.fresh(&format!("{base}_g{gi}_w"));
        inits.push(slice_rows(w, offset_c, c, wname.clone())?);
        let mut conv_inputs = vec![xin, wname];
        if let Some(b) = b {
            let bname = names.fresh(&format!("{base}_g{gi}_b"));
            inits.push(slice_rows(b, offset_c, c, bname.clone())?);
            conv_inputs.push(bname);
        }
        let mut t = names.fresh(&format!("{base}_g{gi}_conv"));
        nodes.push(NodeProto {
            input: conv_inputs,
            output: vec![t.clone()],
            name: names.fresh(&format!("{base}_g{gi}_Conv")),
            ..conv.clone()
        });
        for (j, m) in body.iter().enumerate() {
            let out = names.fresh(&format!("{base}_g{gi}_{j}"));
            nodes.push(NodeProto {
                input: vec![t],
                output: vec![out.clone()],
                name: names.fresh(&format!("{base}_g{gi}_{}", m.op_type)),
                ..m.clone()
            });
            t = out;
        }
        if gi < last {
            let flat = names.fresh(&format!("{base}_g{gi}_flat"));
            nodes.push(axis_op(
                "Flatten",
                names.fresh(&format!("{base}_g{gi}_Flatten")),
                vec![t],
                flat.clone(),
                0,
            ));
            let mut parts = match &carry {
                Some(z) => vec![z.clone()],
                None => {
                    let fx = names.fresh(&format!("{base}_x_flat"));
                    nodes.push(axis_op(
                        "Flatten",
                        names.fresh(&format!("{base}_x_Flatten")),
                        vec![x.clone()],
                        fx.clone(),
                        0,
                    ));
                    vec![fx]
                }
            };
            parts.push(flat);
            let start = x_len + placed.iter().map(|p| p.1).sum::<usize>();
            placed.push((start, c * per_channel, c));
            let z = names.fresh(&format!("{base}_carry{gi}"));
            nodes.push(axis_op(
                "Concat",
                names.fresh(&format!("{base}_carry{gi}_Concat")),
                parts,
                z.clone(),
                1,
            ));
            carry = Some(z);
        } else {
            let mut parts = Vec::new();
            if let Some(z) = &carry {
                for (pi, &(from, len, ch)) in placed.iter().enumerate() {
                    parts.push(unpack(
                        z,
                        from,
                        from + len,
                        shape_of(ch),
                        &format!("p{pi}"),
                        &mut nodes,
                        &mut inits,
                        names,
                    ));
                }
            }
            parts.push(t);
            nodes.push(axis_op(
                "Concat",
                names.fresh(&format!("{base}_Concat")),
                parts,
                chain.output.clone(),
                1,
            ));
        }
        offset_c += c;
    }
    Ok((nodes, inits))
}

/// The model in `bytes` (imported as `graph`) with every chain ([`channel_chains`]) split
/// into `groups` groups of output channels (fewer for a chain with fewer channels), as
/// serialized `ModelProto` bytes; the bytes unchanged when `groups <= 1` or the model has
/// no chain. See the module docs for the rewrite and why it computes the same outputs.
pub fn split_channels(
    bytes: &[u8],
    source_name: &str,
    graph: &Graph,
    groups: usize,
) -> Result<Vec<u8>, ImportError> {
    let mut model = proto::decode(bytes, source_name)?;
    let chains = chains_of(&model, graph);
    if groups <= 1 || chains.is_empty() {
        return Ok(bytes.to_vec());
    }
    let Some(g) = model.graph.as_mut() else {
        return Ok(bytes.to_vec());
    };
    let mut names = Names {
        taken: g
            .node
            .iter()
            .flat_map(|n| n.input.iter().chain(&n.output).chain([&n.name]))
            .chain(g.initializer.iter().map(|t| &t.name))
            .chain(g.input.iter().chain(&g.output).map(|v| &v.name))
            .cloned()
            .collect(),
    };
    let mut node = Vec::with_capacity(g.node.len());
    let mut inits = Vec::new();
    let mut next = 0;
    for chain in &chains {
        node.extend(g.node[next..chain.conv].iter().cloned());
        let sizes = group_sizes(chain.channels, groups);
        let (n, i) = rewrite_chain(g, graph, chain, &sizes, &mut names)?;
        node.extend(n);
        inits.extend(i);
        next = chain.end;
    }
    node.extend(g.node[next..].iter().cloned());
    g.node = node;
    g.initializer.extend(inits);
    // Shapes of the rewritten intermediates are re-inferred on import.
    let kept: HashSet<String> = g.node.iter().flat_map(|n| n.output.clone()).collect();
    g.value_info.retain(|v| kept.contains(&v.name));
    protobuf::Message::write_to_bytes(&model).map_err(|e| ImportError::SplitEncode {
        model: source_name.to_string(),
        start: 0,
        end: 0,
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::group_sizes;

    #[test]
    fn groups_are_balanced_and_cover_every_channel() {
        assert_eq!(group_sizes(6, 4), vec![2, 2, 1, 1]);
        assert_eq!(group_sizes(16, 3), vec![6, 5, 5]);
        assert_eq!(group_sizes(3, 8), vec![1, 1, 1]);
        assert_eq!(group_sizes(5, 1), vec![5]);
    }
}
