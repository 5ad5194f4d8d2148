//! The memory planner ([`Layout::Memory`]): its shape never needs more predicted proving
//! memory than the fixed layouts' (it searches a superset of their shapes), it trades rows
//! for columns where that pays, and its circuits prove (MockProver, circuit == evaluator)
//! and reject changed cells, like every other layout's.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;
mod op_harness;

use circuits::halo2::{
    plan_for, plan_memory, plan_with, predicted_prove_peak_bytes, Layout, MEMORY_MAX_ADVICE,
};
use circuits::visibility::{Visibilities, Visibility};
use common::{load, quant};
use onnx_import::ir::{ConvAttrs, Op, Pads, ScalarFn};
use op_harness::{check_op, op_graph, t, Check, In};

#[test]
fn memory_plan_predicts_no_more_memory_than_speed_or_gas() {
    let hashed = Visibilities {
        input: Visibility::Hashed,
        output: Visibility::Hashed,
        ..Visibilities::default()
    };
    let mut fewer_rows = 0;
    for name in ["digits_conv", "digits_mlp16", "op_sigmoid"] {
        let f = load(name).unwrap();
        let q = quant(&f);
        for vis in [Visibilities::default(), hashed] {
            let m = plan_memory(&f.graph, &q, &vis).unwrap();
            assert_eq!(
                format!(
                    "{:?}",
                    plan_with(&f.graph, &q, Layout::Memory, &vis).unwrap()
                ),
                format!("{m:?}"),
                "{name}: plan_with(Memory) is plan_memory"
            );
            let adv: usize = m.config.num_advice_per_phase.iter().sum();
            assert!(adv <= MEMORY_MAX_ADVICE, "{name}: {adv} columns");
            let bytes = predicted_prove_peak_bytes(&m);
            for layout in [Layout::Speed, Layout::Gas] {
                let other = plan_with(&f.graph, &q, layout, &vis).unwrap();
                let theirs = predicted_prove_peak_bytes(&other);
                assert!(
                    bytes <= theirs,
                    "{name} {vis:?}: memory layout k={} predicts {bytes} B, {layout:?} k={} {theirs} B",
                    m.k,
                    other.k
                );
                if layout == Layout::Speed && m.k < other.k {
                    fewer_rows += 1;
                }
            }
        }
    }
    // The point of the layout: somewhere it takes fewer rows than speed's 16-column limit.
    assert!(fewer_rows > 0, "the memory layout never chose fewer rows");
}

#[test]
fn memory_plan_is_deterministic() {
    let f = load("digits_conv").unwrap();
    let q = quant(&f);
    let a = plan_for(&f.graph, &q, Layout::Memory).unwrap();
    let b = plan_for(&f.graph, &q, Layout::Memory).unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

const MEMORY: &[Layout] = &[Layout::Memory];

fn memory_check() -> Check {
    Check {
        samples: 2,
        layouts: MEMORY,
        ..Check::default()
    }
}

#[test]
fn conv_in_the_memory_layout_proves_and_rejects_changed_cells() {
    let w = t(
        &[4, 2, 3, 3],
        (0..72)
            .map(|i| ((i * 37 % 19) as f64 - 9.0) / 10.0)
            .collect(),
    );
    let b = t(&[4], vec![0.1, -0.2, 0.3, 0.05]);
    let attrs = ConvAttrs {
        kernel: vec![3, 3],
        strides: vec![1, 1],
        pads: Pads::uniform(2, 1),
        dilations: vec![1, 1],
        group: 1,
    };
    let g = op_graph(
        Op::Conv(attrs),
        vec![In::Runtime(vec![1, 2, 6, 6]), In::Const(w), In::Const(b)],
    );
    let c = check_op(&g, &memory_check());
    assert!(c.tampered >= 3, "{c:?}");
}

#[test]
fn table_and_range_ops_in_the_memory_layout_prove_and_reject_changed_cells() {
    for op in [Op::Relu, Op::Function(ScalarFn::Sigmoid)] {
        let g = op_graph(op, vec![In::Runtime(vec![3, 40])]);
        let c = check_op(&g, &memory_check());
        assert!(c.tampered >= 3, "{c:?}");
    }
}
