//! Per-op circuit checks, shared by the `circuits/tests/ops_*.rs` files (`mod op_harness;`).
//!
//! [`op_graph`] wraps one IR op into a one-node graph (runtime inputs and constants);
//! [`check_op`] then checks, on random inputs:
//! - **completeness**: MockProver is satisfied and the circuit's output integers equal the
//!   fixed-point evaluator's (`NativeBackend`), bit for bit, in both layouts (`speed`, with
//!   lookup range checks and packed dot products, and `gas`, with bit decompositions);
//! - **accuracy**: the dequantized fixed-point outputs are within `max_rel_l2` of the float
//!   evaluator;
//! - **soundness**: changing any sampled advice cell of the op's region, any packed
//!   dot-product term or result, a sampled table lookup's input or outputs, an input or
//!   output placeholder row, or a public output makes MockProver fail.
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::{eval_fixed, quantize_inputs};
use circuits::halo2::{build, plan_for, Layout, ModelCircuit};
use circuits::ops::CellTensor;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Assigned;
use onnx_import::eval::{eval_graph, eval_op};
use onnx_import::ir::{DType, Graph, InputInfo, Node, Op, Tensor, Value, ValueKind};
use rand::{Rng, SeedableRng};

/// One input of the op under test.
#[derive(Clone, Debug)]
pub enum In {
    /// A runtime input of this shape (random values at check time).
    Runtime(Vec<usize>),
    /// A model constant.
    Const(Tensor),
    /// A runtime int64 input of this shape (index-valued: random integers drawn from
    /// [`Check::int_range`] at check time, all zero for the shape probe).
    Ints(Vec<usize>),
}

/// A constant tensor (panics on a shape/data mismatch: test inputs only).
pub fn t(shape: &[usize], data: Vec<f64>) -> Tensor {
    Tensor::new(shape.to_vec(), data).expect("shape matches data")
}

/// A one-node graph applying `op` to `inputs`; the output shape comes from the float
/// evaluator (so a wrong shape rule fails here, loudly).
pub fn op_graph(op: Op, inputs: Vec<In>) -> Graph {
    let mut values = Vec::new();
    let mut graph_inputs = Vec::new();
    let mut node_inputs = Vec::new();
    let mut probe = Vec::new();
    let mut dtypes = Vec::new();
    for (i, inp) in inputs.into_iter().enumerate() {
        let (shape, kind) = match inp {
            In::Runtime(shape) => {
                let n = shape.iter().product();
                probe.push(t(&shape, (0..n).map(|j| 0.25 + j as f64 * 0.01).collect()));
                graph_inputs.push(values.len());
                dtypes.push(DType::Float);
                (shape, ValueKind::Input)
            }
            In::Ints(shape) => {
                let n = shape.iter().product();
                probe.push(t(&shape, vec![0.0; n]));
                graph_inputs.push(values.len());
                dtypes.push(DType::Int64);
                (shape, ValueKind::Input)
            }
            In::Const(c) => {
                probe.push(c.clone());
                (c.shape.clone(), ValueKind::Constant(c))
            }
        };
        node_inputs.push(values.len());
        values.push(Value {
            name: format!("in{i}"),
            shape,
            kind,
        });
    }
    let refs: Vec<&Tensor> = probe.iter().collect();
    let out = eval_op(&op, &refs).unwrap_or_else(|e| panic!("{}: {e}", op.name()));
    let out_id = values.len();
    values.push(Value {
        name: "out".into(),
        shape: out.shape,
        kind: ValueKind::Intermediate,
    });
    Graph {
        values,
        nodes: vec![Node {
            name: format!("{}_0", op.name()),
            op,
            inputs: node_inputs,
            outputs: vec![out_id],
        }],
        inputs: graph_inputs,
        outputs: vec![out_id],
        opset: 17,
        input_info: InputInfo {
            dtypes,
            dims: Vec::new(),
        },
    }
}

/// Knobs of [`check_op`].
#[derive(Clone, Debug)]
pub struct Check {
    /// Random inputs tried (the first also calibrates).
    pub samples: usize,
    /// Range of the random input values.
    pub range: (f64, f64),
    /// Largest accepted relative L2 error of fixed point against float.
    pub max_rel_l2: f64,
    /// Seed of the random inputs.
    pub seed: u64,
    /// Round random inputs to this many decimals (`None`: full precision). Integer-valued
    /// inputs (`Some(0)`) exercise ties of rounding ops.
    pub decimals: Option<i32>,
    /// Inclusive range of the random integers of integer-typed inputs ([`In::Ints`]).
    pub int_range: (i64, i64),
    /// The layouts each sample is proved (MockProver) and tampered in.
    pub layouts: &'static [Layout],
}

impl Default for Check {
    fn default() -> Self {
        Self {
            samples: 3,
            range: (-2.0, 2.0),
            max_rel_l2: 1e-2,
            seed: 7,
            decimals: Some(3),
            int_range: (0, 1),
            layouts: &[Layout::Speed, Layout::Gas],
        }
    }
}

/// What [`check_op`] verified.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Largest relative L2 error seen (fixed point against float).
    pub rel_l2: f64,
    /// Tampered witnesses that MockProver rejected.
    pub tampered: usize,
}

/// Random inputs for `graph` (runtime inputs only, in graph order): floats per
/// [`Check::range`] / [`Check::decimals`], integers per [`Check::int_range`] for integer-typed
/// inputs.
pub fn random_inputs(graph: &Graph, c: &Check, seed: u64) -> Vec<Tensor> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    graph
        .inputs
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            let shape = graph.values[id].shape.clone();
            let n: usize = shape.iter().product();
            if !graph.input_dtype(i).is_float() {
                let (lo, hi) = c.int_range;
                return t(
                    &shape,
                    (0..n).map(|_| rng.gen_range(lo..=hi) as f64).collect(),
                );
            }
            let data = (0..n)
                .map(|_| {
                    let v: f64 = rng.gen_range(c.range.0..=c.range.1);
                    match c.decimals {
                        Some(d) => {
                            let m = 10f64.powi(d);
                            (v * m).round() / m
                        }
                        None => v,
                    }
                })
                .collect();
            t(&shape, data)
        })
        .collect()
}

fn rel_l2(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    let den: f64 = b.iter().map(|y| y * y).sum();
    if den > 0.0 {
        (num / den).sqrt()
    } else {
        num.sqrt()
    }
}

/// Runs every check on `graph` (see the module docs) and returns what was verified.
pub fn check_op(graph: &Graph, c: &Check) -> Checked {
    let name = graph.nodes[0].name.clone();
    let samples: Vec<Vec<Tensor>> = (0..c.samples.max(1))
        .map(|s| random_inputs(graph, c, c.seed + s as u64))
        .collect();
    let cal = calibrate(graph, &samples, &CalibrationOptions::default())
        .unwrap_or_else(|e| panic!("{name}: calibration: {e}"));
    let params = cal.params;
    let mut worst = 0f64;
    let mut tampered = 0;
    for &layout in c.layouts {
        let shape = plan_for(graph, &params, layout).unwrap_or_else(|e| panic!("{name}: {e}"));
        let k = shape.k;
        let mut last = None;
        for (i, input) in samples.iter().enumerate() {
            let native =
                eval_fixed(graph, &params, input).unwrap_or_else(|e| panic!("{name}: {e}"));
            let float = eval_graph(graph, input).unwrap_or_else(|e| panic!("{name}: {e}"));
            for (fx, fl) in native.outputs_float.iter().zip(&float) {
                let e = rel_l2(&fx.data, &fl.data);
                worst = worst.max(e);
                assert!(
                    e <= c.max_rel_l2,
                    "{name}: fixed point is off by rel-L2 {e:.3e} on sample {i} (scale {}): \
                     fixed {:?} float {:?}",
                    params.input_scale,
                    fx.data,
                    fl.data
                );
            }
            let q: Vec<CellTensor<i128>> = quantize_inputs(graph, &params, input).unwrap();
            let built = build(CircuitBuilderStage::Mock, graph, &params, &shape, Some(&q))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                built.outputs, native.outputs,
                "{name}: circuit != evaluator ({layout:?})"
            );
            let prover = MockProver::run(k, &built.circuit, vec![built.instances.clone()])
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Err(errs) = prover.verify() {
                panic!(
                    "{name}: MockProver unsatisfied ({layout:?}, sample {i}): {:?}",
                    &errs[..errs.len().min(3)]
                );
            }
            last = Some(built);
        }
        tampered += tamper(&name, k, &last.expect("one sample"));
    }
    Checked {
        rel_l2: worst,
        tampered,
    }
}

/// Soundness: every tampered witness must be rejected (sampled advice cells of each node's
/// region, packed dot-product terms and results, sampled table lookups, the input and
/// output placeholder rows, a public output). Returns how many were tried. `mock_fixtures.rs` runs it on whole models.
pub fn tamper(name: &str, k: u32, built: &circuits::halo2::BuiltCircuit) -> usize {
    let instances = built.instances.clone();
    let rejects = |b: &ModelCircuit| {
        MockProver::run(k, b, vec![instances.clone()])
            .unwrap()
            .verify()
            .is_err()
    };
    let mut n = 0;
    // Every cell of small regions; 48 evenly spaced ones (first and last included) of
    // larger ones.
    for (start, end) in built.node_regions.iter().copied().filter(|(s, e)| e > s) {
        let len = end - start;
        let picks: Vec<usize> = if len <= 48 {
            (start..end).collect()
        } else {
            (0..48).map(|i| start + i * (len - 1) / 47).collect()
        };
        for cell in picks {
            let mut b = built.circuit.deep_clone();
            let ctx = &mut b.builder.core_mut().phase_manager[0].threads[0];
            let old = ctx.advice[cell].evaluate();
            ctx.advice[cell] = Assigned::Trivial(old + Fr::one());
            assert!(
                rejects(&b),
                "{name}: changing advice cell {cell} (region {start}..{end}) went unnoticed"
            );
            n += 1;
        }
    }
    // Packed dot products: first and last activation of the first, middle and last
    // product (changed consistently, so only the copy constraint can object) and results.
    for (start, end) in built.node_dots.iter().copied().filter(|(s, e)| e > s) {
        for d in [start, (start + end) / 2, end - 1] {
            let rec = built.circuit.dots.dots[d].clone();
            for t in [rec.start, rec.start + rec.len - 1] {
                let mut b = built.circuit.deep_clone();
                b.dots.xs[t] += Fr::one();
                let w = b.dots.ws[t];
                b.dots.dots[d].value += w;
                assert!(rejects(&b), "{name}: packed term {t} of product {d}");
                n += 1;
            }
            let mut b = built.circuit.deep_clone();
            b.dots.dots[d].value += Fr::one();
            assert!(rejects(&b), "{name}: result of packed product {d}");
            n += 1;
        }
    }
    // Table lookups, 16 evenly spaced ones (first and last included): y and z (the lookup
    // argument and the copies out object), x alone, and x, y, z moved together to another
    // row of the same table (only the copy constraint on x can object).
    let lookups = built.circuit.lookups.records.len();
    let picks: Vec<usize> = if lookups <= 16 {
        (0..lookups).collect()
    } else {
        (0..16).map(|i| i * (lookups - 1) / 15).collect()
    };
    for j in picks {
        for which in 0..4 {
            let mut b = built.circuit.deep_clone();
            let rec = &mut b.lookups.records[j];
            match which {
                0 => rec.x += Fr::one(),
                1 => rec.y += Fr::one(),
                2 => rec.z += Fr::one(),
                _ => match built.circuit.lookups.other_row(j) {
                    Some((x, y, z)) => (rec.x, rec.y, rec.z) = (x, y, z),
                    None => continue,
                },
            }
            let what = ["x", "y", "z", "x, y and z (another row)"][which];
            assert!(
                rejects(&b),
                "{name}: changing {what} of table lookup {j} went unnoticed"
            );
            n += 1;
        }
    }
    // Input and output placeholder rows (pure wiring ops have no region of their own).
    for cell in [0, built.circuit.public_rows - 1] {
        let mut b = built.circuit.deep_clone();
        let ctx = &mut b.builder.core_mut().phase_manager[0].threads[0];
        let old = ctx.advice[cell].evaluate();
        ctx.advice[cell] = Assigned::Trivial(old + Fr::one());
        assert!(rejects(&b), "{name}: public row {cell}");
        n += 1;
    }
    // A wrong public output.
    let mut bad = instances.clone();
    let last = bad.len() - 1;
    bad[last] += Fr::one();
    assert!(
        MockProver::run(k, &built.circuit, vec![bad])
            .unwrap()
            .verify()
            .is_err(),
        "{name}: a wrong public output was accepted"
    );
    n + 1
}
