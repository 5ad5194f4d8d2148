//! Input, samples and expected-output files: both input formats and the error cases.
#![allow(clippy::unwrap_used)]

use onnx_import::input_file::{
    parse_inputs, parse_samples, read_outputs, read_tensor_map, InputError,
};
use onnx_import::ir::{Graph, Node, Op, Value, ValueKind};

/// Inputs `a` [2, 2] and `b` [3], output `out` = Identity(a).
fn graph() -> Graph {
    let value = |name: &str, shape: &[usize], kind| Value {
        name: name.into(),
        shape: shape.to_vec(),
        kind,
    };
    Graph {
        values: vec![
            value("a", &[2, 2], ValueKind::Input),
            value("b", &[3], ValueKind::Input),
            value("out", &[2, 2], ValueKind::Intermediate),
        ],
        nodes: vec![Node {
            name: "id".into(),
            op: Op::Identity,
            inputs: vec![0],
            outputs: vec![2],
        }],
        inputs: vec![0, 1],
        outputs: vec![2],
        opset: 17,
        input_info: Default::default(),
    }
}

const NAMED: &str = r#"{"inputs": {
    "b": {"shape": [3], "data": [5, 6, 7]},
    "a": {"shape": [2, 2], "data": [1.5, -2, 3e-1, 4]}}}"#;

#[test]
fn named_format_matches_by_name() {
    let t = parse_inputs(NAMED, &graph()).unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].shape, vec![2, 2]);
    // Values are rounded to float32 and widened.
    assert_eq!(t[0].data, vec![1.5, -2.0, f64::from(0.3f32), 4.0]);
    assert_eq!(t[1].data, vec![5.0, 6.0, 7.0]);
    // `shape` may be omitted.
    let t = parse_inputs(
        r#"{"inputs": {"a": {"data": [1,2,3,4]}, "b": {"data": [1,2,3]}}}"#,
        &graph(),
    );
    assert_eq!(t.unwrap()[0].shape, vec![2, 2]);
}

#[test]
fn ezkl_format_is_positional() {
    let t = parse_inputs(r#"{"input_data": [[1, 2, 3, 4], [5, 6, 7]]}"#, &graph()).unwrap();
    assert_eq!(t[0].shape, vec![2, 2]);
    assert_eq!(t[0].data, vec![1.0, 2.0, 3.0, 4.0]);
    assert_eq!(t[1].shape, vec![3]);
    let err = parse_inputs(r#"{"input_data": [[1, 2, 3], [5, 6, 7]]}"#, &graph()).unwrap_err();
    assert!(
        matches!(&err, InputError::Length { tensor, got: 3, .. } if tensor == "a"),
        "{err}"
    );
    let err = parse_inputs(r#"{"input_data": [[1, 2, 3, 4]]}"#, &graph()).unwrap_err();
    assert!(matches!(
        err,
        InputError::InputCount {
            expected: 2,
            got: 1,
            ..
        }
    ));
    assert!(err.to_string().contains("a, b"), "{err}");
}

#[test]
fn named_format_errors_name_the_input() {
    let g = graph();
    let err = parse_inputs(
        r#"{"inputs": {"a": {"shape": [2, 2], "data": [1,2,3,4]}}}"#,
        &g,
    )
    .unwrap_err();
    match &err {
        InputError::MissingInput { name, expected } => {
            assert_eq!(name, "b");
            assert_eq!(expected, &["a".to_string(), "b".to_string()]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().contains("'b'") && err.to_string().contains("a, b"),
        "{err}"
    );
    let extra =
        r#"{"inputs": {"a": {"data": [1,2,3,4]}, "b": {"data": [1,2,3]}, "c": {"data": []}}}"#;
    let err = parse_inputs(extra, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::UnknownInput { name, .. } if name == "c"),
        "{err}"
    );
    let shape = r#"{"inputs": {"a": {"shape": [4], "data": [1,2,3,4]}, "b": {"data": [1,2,3]}}}"#;
    let err = parse_inputs(shape, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::Shape { tensor, expected, got } if tensor == "a" && expected == &[2, 2] && got == &[4]),
        "{err}"
    );
    let len = r#"{"inputs": {"a": {"shape": [2, 2], "data": [1,2,3]}, "b": {"data": [1,2,3]}}}"#;
    let err = parse_inputs(len, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::Length { tensor, got: 3, .. } if tensor == "a"),
        "{err}"
    );
    let ty = r#"{"inputs": {"a": {"data": [1,"2",3,4]}, "b": {"data": [1,2,3]}}}"#;
    let err = parse_inputs(ty, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::Type { tensor, field, .. } if tensor == "a" && field == "data[1]"),
        "{err}"
    );
    let ty = r#"{"inputs": {"a": {"data": [1,2,3,4]}, "b": {"data": [1,null,3]}}}"#;
    assert!(matches!(parse_inputs(ty, &g), Err(InputError::Type { .. })));
    let ty = r#"{"inputs": {"a": {"shape": [2, -2], "data": [1,2,3,4]}, "b": {"data": [1,2,3]}}}"#;
    assert!(matches!(parse_inputs(ty, &g), Err(InputError::Type { .. })));
}

#[test]
fn non_finite_and_malformed_files_are_errors() {
    let g = graph();
    // Finite as f64 but infinite as float32.
    let big = r#"{"input_data": [[1, 2, 1e300, 4], [5, 6, 7]]}"#;
    let err = parse_inputs(big, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::NonFinite { tensor, index: 2, .. } if tensor == "a"),
        "{err}"
    );
    // JSON has no NaN literal.
    assert!(matches!(
        parse_inputs(r#"{"input_data": [[NaN]]}"#, &g),
        Err(InputError::Json(_))
    ));
    assert!(matches!(
        parse_inputs("[1, 2]", &g),
        Err(InputError::Format { .. })
    ));
    assert!(matches!(
        parse_inputs(r#"{"foo": 1}"#, &g),
        Err(InputError::Format { .. })
    ));
    let both = r#"{"inputs": {}, "input_data": []}"#;
    assert!(matches!(
        parse_inputs(both, &g),
        Err(InputError::Format { .. })
    ));
    assert!(matches!(
        parse_inputs(r#"{"input_data": [1, 2]}"#, &g),
        Err(InputError::Type { .. })
    ));
}

#[test]
fn samples_in_every_layout() {
    let g = graph();
    // A single input file is one sample.
    assert_eq!(parse_samples(NAMED, &g).unwrap().len(), 1);
    // EZKL lists holding k = 2 samples each.
    let s = parse_samples(r#"{"input_data": [[1,2,3,4,5,6,7,8], [1,2,3,4,5,6]]}"#, &g).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[1][0].data, vec![5.0, 6.0, 7.0, 8.0]);
    assert_eq!(s[1][1].data, vec![4.0, 5.0, 6.0]);
    let err = parse_samples(r#"{"input_data": [[1,2,3,4,5,6,7,8], [1,2,3]]}"#, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::SampleCounts { counts, .. } if counts == &[2, 1]),
        "{err}"
    );
    let err = parse_samples(r#"{"input_data": [[1,2,3,4,5], [1,2,3]]}"#, &g).unwrap_err();
    assert!(
        matches!(&err, InputError::Length { tensor, got: 5, .. } if tensor == "a"),
        "{err}"
    );
    // A "samples" array mixing layouts.
    let mixed = r#"{"samples": [
        {"inputs": {"a": {"data": [1,2,3,4]}, "b": {"data": [1,2,3]}}},
        {"input_data": [[0,0,0,0], [0,0,0]]},
        {"a": {"shape": [2,2], "data": [9,9,9,9]}, "b": {"shape": [3], "data": [9,9,9]}}
    ]}"#;
    let s = parse_samples(mixed, &g).unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[2][0].data, vec![9.0; 4]);
    // Errors say which sample.
    let bad =
        r#"{"samples": [{"input_data": [[0,0,0,0], [0,0,0]]}, {"input_data": [[0], [0,0,0]]}]}"#;
    let err = parse_samples(bad, &g).unwrap_err();
    assert!(matches!(err, InputError::Sample { index: 1, .. }), "{err}");
    assert!(matches!(
        parse_samples(r#"{"samples": []}"#, &g),
        Err(InputError::NoSamples)
    ));
    // A meta.json-like file.
    let meta = r#"{"name": "x", "test_samples": [
        {"inputs": {"a": {"shape": [2,2], "data": [1,2,3,4]}, "b": {"shape": [3], "data": [1,2,3]}},
         "label": 1, "predicted": 1, "outputs": {}}
    ]}"#;
    assert_eq!(parse_samples(meta, &g).unwrap().len(), 1);
}

#[test]
fn expected_outputs() {
    let json = r#"{"outputs": {"out": {"shape": [2, 2], "data": [1, 2, 3, 4]}}}"#;
    let outs = read_outputs(json).unwrap();
    assert_eq!(outs["out"].shape, vec![2, 2]);
    assert_eq!(outs["out"].data, vec![1.0, 2.0, 3.0, 4.0]);
    // Shape is mandatory here, and must match the data.
    assert!(read_outputs(r#"{"outputs": {"out": {"data": [1]}}}"#).is_err());
    let err = read_outputs(r#"{"outputs": {"out": {"shape": [2], "data": [1]}}}"#).unwrap_err();
    assert!(
        matches!(&err, InputError::Length { tensor, .. } if tensor == "out"),
        "{err}"
    );
    assert!(read_tensor_map(&serde_json::json!([])).is_err());
}

#[test]
fn fixture_input_files_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/op_add");
    let text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
    let outs = read_outputs(&text).unwrap();
    assert_eq!(outs["output"].shape, vec![2, 3, 4]);
}
