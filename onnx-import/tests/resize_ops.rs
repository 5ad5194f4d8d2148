//! Importer tests of the spatial resampling and rearrangement ops (Resize, Upsample,
//! DepthToSpace, SpaceToDepth): attributes and their defaults per opset, output shapes, values
//! against hand-computed expectations, and errors.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::shape::*;
use common::*;
use onnx_import::ir::{CoordMode, DepthToSpaceMode, Graph, NearestMode, Op, ResizeMode};

// ---- DepthToSpace, SpaceToDepth ----

#[test]
fn depth_to_space_modes_and_space_to_depth_round_trip() {
    let d2s = |mode: Option<&str>, opset| {
        let attrs = std::iter::once(a_int("blocksize", 2))
            .chain(mode.map(|m| a_str("mode", m)))
            .collect();
        one_out("DepthToSpace", &[1, 4, 1, 1], &[], vec![], attrs, opset)
    };
    let g = d2s(None, 9).unwrap();
    assert_eq!(
        g.nodes[0].op,
        Op::DepthToSpace {
            blocksize: 2,
            mode: DepthToSpaceMode::Dcr
        }
    );
    assert_eq!(run(&g), (vec![1, 1, 2, 2], vec![0.0, 1.0, 2.0, 3.0]));
    // With 8 channels DCR and CRD differ: DCR reads channel (bh·2 + bw)·2 + c.
    let g = one_out(
        "DepthToSpace",
        &[1, 8, 1, 1],
        &[],
        vec![],
        vec![a_int("blocksize", 2)],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0, 2.0, 4.0, 6.0, 1.0, 3.0, 5.0, 7.0]);
    let g = one_out(
        "DepthToSpace",
        &[1, 8, 1, 1],
        &[],
        vec![],
        vec![a_int("blocksize", 2), a_str("mode", "CRD")],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, (0..8).map(f64::from).collect::<Vec<_>>());
    assert!(err_text(d2s(Some("CRD"), 10)).contains("CRD"));
    let g = one_out(
        "SpaceToDepth",
        &[1, 1, 2, 4],
        &[],
        vec![],
        vec![a_int("blocksize", 2)],
        13,
    )
    .unwrap();
    assert_eq!(g.shape(g.outputs[0]), &[1, 4, 1, 2]);
    // Channel (bh·2 + bw): [x[0,0], x[0,2]], [x[0,1], x[0,3]], [x[1,0], x[1,2]], ...
    assert_eq!(run(&g).1, vec![0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]);
    let e = err_text(one_out(
        "SpaceToDepth",
        &[1, 1, 3, 4],
        &[],
        vec![],
        vec![a_int("blocksize", 2)],
        13,
    ));
    assert!(e.contains("not divisible"), "{e}");
    let e = err_text(one_out(
        "DepthToSpace",
        &[1, 4, 1, 1],
        &[],
        vec![],
        vec![],
        13,
    ));
    assert!(e.contains("blocksize is required"), "{e}");
}

// ---- Resize / Upsample ----

fn resize_attrs(g: &Graph) -> onnx_import::ir::ResizeAttrs {
    match &g.nodes[0].op {
        Op::Resize(a) => a.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn resize_nearest_layouts_per_opset() {
    // Opset 10: (X, scales); asymmetric + floor.
    let g = one_out(
        "Resize",
        &[1, 1, 1, 2],
        &["s"],
        vec![init_f32("s", &[4], &[1.0, 1.0, 1.0, 2.0])],
        vec![],
        10,
    )
    .unwrap();
    let a = resize_attrs(&g);
    assert_eq!(a.coord, CoordMode::Asymmetric);
    assert_eq!(a.mode, ResizeMode::Nearest(NearestMode::Floor));
    assert_eq!(run(&g), (vec![1, 1, 1, 4], vec![0.0, 0.0, 1.0, 1.0]));
    // Opset 13: (X, roi, scales, sizes) with sizes; defaults half_pixel + round_prefer_floor.
    let g = one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["", "", "sz"],
        vec![init_i64("sz", &[4], &[1, 1, 1, 3])],
        vec![],
        13,
    )
    .unwrap();
    let a = resize_attrs(&g);
    assert_eq!(a.coord, CoordMode::HalfPixel);
    // x = (y + 0.5)·4/3 - 0.5 = 0.17, 1.5, 2.83 → 0, 1 (tie down), 3.
    assert_eq!(run(&g).1, vec![0.0, 1.0, 3.0]);
    // Opset 11: empty roi and scales tensors, align_corners, round_prefer_ceil.
    let g = one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["roi", "sc", "sz"],
        vec![
            init_f32("roi", &[0], &[]),
            init_f32("sc", &[0], &[]),
            init_i64("sz", &[4], &[1, 1, 1, 3]),
        ],
        vec![
            a_str("coordinate_transformation_mode", "align_corners"),
            a_str("nearest_mode", "round_prefer_ceil"),
        ],
        11,
    )
    .unwrap();
    // x = 0, 1.5, 3 → 0, 2, 3.
    assert_eq!(run(&g).1, vec![0.0, 2.0, 3.0]);
    let e = err_text(one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["", "sc"],
        vec![init_f32("sc", &[4], &[1.0, 1.0, 1.0, 2.0])],
        vec![a_str("mode", "cubic")],
        13,
    ));
    assert!(e.contains("cubic"), "{e}");
    let e = err_text(one_out(
        "Resize",
        &[1, 1, 1, 4],
        &["", "sc"],
        vec![init_f32("sc", &[4], &[1.0, 1.0, 1.0, 2.0])],
        vec![a_str(
            "coordinate_transformation_mode",
            "tf_crop_and_resize",
        )],
        13,
    ));
    assert!(e.contains("tf_crop_and_resize"), "{e}");
}

#[test]
fn resize_linear_and_opset18_axes() {
    // 1-D linear, half_pixel, ×2: x = -0.25, 0.25, 0.75, 1.25 (edge-clamped).
    let g = one_out(
        "Resize",
        &[1, 2],
        &["", "sc"],
        vec![init_f32("sc", &[2], &[1.0, 2.0])],
        vec![a_str("mode", "linear")],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0, 0.25, 0.75, 1.0]);
    // pytorch_half_pixel with an output of length 1 reads x = -0.5 → element 0.
    let g = one_out(
        "Resize",
        &[1, 3],
        &["", "", "sz"],
        vec![init_i64("sz", &[2], &[1, 1])],
        vec![
            a_str("mode", "linear"),
            a_str("coordinate_transformation_mode", "pytorch_half_pixel"),
        ],
        13,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0]);
    // Opset 18: scales for the listed axes only.
    let g = one_out(
        "Resize",
        &[1, 1, 2, 2],
        &["", "sc"],
        vec![init_f32("sc", &[2], &[2.0, 1.0])],
        vec![
            a_ints("axes", &[2, 3]),
            a_str("coordinate_transformation_mode", "asymmetric"),
        ],
        18,
    )
    .unwrap();
    assert_eq!(
        run(&g),
        (
            vec![1, 1, 4, 2],
            vec![0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 2.0, 3.0]
        )
    );
}

#[test]
fn upsample_attribute_and_input_forms() {
    let g = one_out(
        "Upsample",
        &[1, 1, 2],
        &[],
        vec![],
        vec![a_floats("scales", &[1.0, 1.0, 2.0])],
        7,
    )
    .unwrap();
    assert_eq!(run(&g).1, vec![0.0, 0.0, 1.0, 1.0]);
    let g = one_out(
        "Upsample",
        &[1, 2],
        &["s"],
        vec![init_f32("s", &[2], &[1.0, 2.0])],
        vec![a_str("mode", "linear")],
        9,
    )
    .unwrap();
    // Asymmetric linear: x = 0, 0.5, 1, 1.5 (clamped).
    assert_eq!(run(&g).1, vec![0.0, 0.5, 1.0, 1.0]);
    // Upsample does not exist from opset 10.
    let e = err_text(one_out(
        "Upsample",
        &[1, 2],
        &["s"],
        vec![init_f32("s", &[2], &[1.0, 2.0])],
        vec![],
        10,
    ));
    assert!(e.contains("Upsample"), "{e}");
}
