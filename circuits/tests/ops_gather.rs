//! Per-op circuit checks of Gather with runtime indices (`Op::GatherDynamic`, see
//! `circuits/src/ops/shape.rs`): completeness, accuracy and tampering through `op_harness`
//! on random integer indices (negatives included), and soundness against indices that are
//! not an integer in range: natively an error naming the index, in the circuit a witness
//! forced with such an index leaves MockProver unsatisfied.
#![allow(clippy::unwrap_used, missing_docs)]

mod op_harness;

use circuits::calibrate::{calibrate, CalibrationOptions};
use circuits::fixed::eval_fixed;
use circuits::halo2::field::i128_to_fe;
use circuits::halo2::Halo2Backend;
use circuits::ops::{eval_node, CellTensor, Operand};
use circuits::quant::QuantParams;
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use onnx_import::ir::{Graph, Op, Tensor};
use op_harness::{check_op, op_graph, t, Check, In};

/// A constant `[5, 3]` embedding table with distinct entries.
fn table() -> Tensor {
    t(&[5, 3], (0..15).map(|v| (v as f64 - 7.0) * 0.37).collect())
}

fn ints(c: (i64, i64)) -> Check {
    Check {
        samples: 2,
        int_range: c,
        ..Check::default()
    }
}

#[test]
fn embedding_constant_table_runtime_ids() {
    // nn.Embedding: ids [2, 3] into a [5, 3] table -> [2, 3, 3]; ids in [-5, 4] exercise the
    // negative wrap.
    let g = op_graph(
        Op::GatherDynamic { axis: 0 },
        vec![In::Const(table()), In::Ints(vec![2, 3])],
    );
    assert_eq!(g.values[g.outputs[0]].shape, vec![2, 3, 3]);
    let c = check_op(&g, &ints((-5, 4)));
    // Selection is exact: the output is the quantized table entry.
    assert!(c.rel_l2 < 1e-2 && c.tampered > 10, "{c:?}");
}

#[test]
fn gather_runtime_data_inner_axis_and_scalar_index() {
    // Runtime data [2, 4] gathered along axis 1 at ids [3] -> [2, 3].
    let g = op_graph(
        Op::GatherDynamic { axis: 1 },
        vec![In::Runtime(vec![2, 4]), In::Ints(vec![3])],
    );
    let c = check_op(&g, &ints((-4, 3)));
    assert!(c.tampered > 10, "{c:?}");
    // A scalar index drops the axis: [3, 2] at a scalar id -> [2].
    let g = op_graph(
        Op::GatherDynamic { axis: 0 },
        vec![In::Runtime(vec![3, 2]), In::Ints(vec![])],
    );
    assert_eq!(g.values[g.outputs[0]].shape, vec![2]);
    check_op(&g, &ints((0, 2)));
}

/// The embedding graph with ids `[2]`, calibrated on valid ids.
fn calibrated() -> (Graph, QuantParams) {
    let g = op_graph(
        Op::GatherDynamic { axis: 0 },
        vec![In::Const(table()), In::Ints(vec![2])],
    );
    let samples = vec![
        vec![t(&[2], vec![4.0, -5.0])],
        vec![t(&[2], vec![0.0, 2.0])],
    ];
    let cal = calibrate(&g, &samples, &CalibrationOptions::default()).unwrap();
    (g, cal.params)
}

#[test]
fn invalid_indices_are_rejected_natively_and_unsatisfiable_in_the_circuit() {
    let (g, params) = calibrated();
    // Valid ids select rows 1 and 3 (-2 wraps to 3), exactly as quantized.
    let run = eval_fixed(&g, &params, &[t(&[2], vec![1.0, -2.0])]).unwrap();
    let want: Vec<f64> = [3, 4, 5, 9, 10, 11]
        .iter()
        .map(|&i| table().data[i])
        .collect();
    for (got, want) in run.outputs_float[0].data.iter().zip(&want) {
        assert!((got - want).abs() < 1e-2, "{got} vs {want}");
    }
    // 5 and -6 are out of [-5, 5); 0.5 and 2.25 are not integers (inputs are quantized at
    // the activation scale, so a fractional index is a cell between two j·2^s).
    for bad in [5.0, -6.0, 0.5, 2.25] {
        let input = vec![t(&[2], vec![1.0, bad])];
        let e = eval_fixed(&g, &params, &input).unwrap_err().to_string();
        assert!(
            e.contains("index element 1 is not an integer in [-5, 5)") && e.contains("Gather_0"),
            "{bad}: {e}"
        );
        // The circuit: `build` refuses the witness (it evaluates natively first), so lay the
        // node out directly on a circuit backend with the bad index loaded as a witness.
        for lookups in [true, false] {
            assert!(
                forced(&g, &params, &[1.0, -2.0], lookups),
                "valid ids are accepted"
            );
            assert!(
                !forced(&g, &params, &[1.0, bad], lookups),
                "index {bad} was accepted by the circuit (lookups: {lookups})"
            );
        }
    }
}

/// Lays out the Gather node of `g` on a circuit backend with the ids `ids` (at the activation
/// scale, unchecked) as witnesses and returns whether MockProver is satisfied.
fn forced(g: &Graph, params: &QuantParams, ids: &[f64], lookups: bool) -> bool {
    const K: u32 = 12;
    let mut builder =
        BaseCircuitBuilder::<Fr>::from_stage(CircuitBuilderStage::Mock).use_k(K as usize);
    builder.set_lookup_bits(K as usize - 1);
    builder.set_instance_columns(1);
    let range = builder.range_chip();
    {
        let ctx = builder.main(0);
        let one = f64::from(1u32 << params.input_scale);
        let cells = ids
            .iter()
            .map(|v| ctx.load_witness(i128_to_fe((v * one).round() as i128)))
            .collect();
        let mut hb = Halo2Backend::new(ctx, &range, params.bits);
        if !lookups {
            hb = hb.without_lookups();
        }
        let idx = CellTensor {
            shape: vec![ids.len()],
            data: cells,
        };
        let table = g.constant(g.nodes[0].inputs[0]).unwrap();
        eval_node(
            &mut hb,
            params,
            &g.nodes[0],
            0,
            &[Operand::Const(table), Operand::Cells(&idx)],
        )
        .unwrap();
    }
    builder.calculate_params(Some(20));
    MockProver::run(K, &builder, vec![vec![]])
        .unwrap()
        .verify()
        .is_ok()
}
