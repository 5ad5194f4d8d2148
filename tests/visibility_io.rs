//! Hashed and private inputs and outputs with real proofs: what the artifact shows, what
//! `verify` checks, and that a private input appears nowhere in `proof.json` or the
//! instances.
#![allow(clippy::unwrap_used, missing_docs)]

mod visibility_common;

use circuits::fixed::quantize_inputs;
use circuits::hash::{fr_from_hex, fr_to_hex, hash_values};
use circuits::visibility::{activation_hash_bits, ParamVisibility, Visibility};
use verifier::{instance_to_hex, VerifyError};
use visibility_common::*;
use zkinfer::{prove, Error, Expected, ProofArtifact};

fn expecting(inputs: Vec<onnx_import::ir::Tensor>, commitment: Option<String>) -> Expected {
    Expected {
        commitment,
        inputs: Some(inputs),
    }
}

/// Hashed input (`digits_mlp16`, public outputs, fixed weights): the artifact shows only the
/// hash, `verify --input` recomputes it, and another input gives another hash.
#[test]
fn hashed_input() {
    let name = "digits_mlp16";
    let (dir, c) = ready(
        name,
        vis(
            Visibility::Hashed,
            Visibility::Public,
            ParamVisibility::Fixed,
        ),
    );
    let dir = dir.path();
    let s = &c.settings;
    let x = inputs(name, &c.graph);
    let a = prove(dir, &x).unwrap();
    assert!(a.inputs.is_empty() && !a.outputs.is_empty());
    let h = a.hashes.input.clone().unwrap();
    // The instances: the outputs, then the input hash.
    assert_eq!(a.instances.len(), s.outputs[0].len() + 1);
    let q: Vec<i128> = quantize_inputs(&c.graph, &s.quant, &x)
        .unwrap()
        .into_iter()
        .flat_map(|t| t.data)
        .collect();
    let native = fr_to_hex(&hash_values(&q, activation_hash_bits(s.quant.bits)));
    assert_eq!(h, native);
    assert_eq!(
        a.instances.last().unwrap(),
        &instance_to_hex(&fr_from_hex(&h).unwrap())
    );
    let v = verify(dir, &a).unwrap();
    assert_eq!(v.hashes.input.as_deref(), Some(h.as_str()));
    let commitment = v.commitment.unwrap().value;
    let v = zkinfer::verify_expecting(
        dir,
        &a,
        &ALLOW,
        &expecting(x.clone(), Some(commitment.clone())),
    )
    .unwrap();
    assert!(v.inputs_checked);

    // One input element changed: another hash; verifying it against the original input
    // (with the original commitment) fails, naming both hashes.
    let mut y = x.clone();
    let j = y[0].data.iter().position(|v| *v == 0.0).unwrap();
    y[0].data[j] = 0.5;
    let b = prove(dir, &y).unwrap();
    let hb = b.hashes.input.clone().unwrap();
    assert_ne!(hb, h);
    verify(dir, &b).unwrap();
    let err = zkinfer::verify_expecting(dir, &b, &ALLOW, &expecting(x.clone(), Some(commitment)))
        .unwrap_err();
    assert!(matches!(err, Error::InputHashMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&hb) && msg.contains(&h), "{msg}");

    // The hash instance of one proof put into the other: the proof fails.
    let mut forged = b.clone();
    let last = forged.instances.len() - 1;
    forged.instances[last] = a.instances[last].clone();
    forged.hashes.input = Some(h.clone());
    assert!(matches!(
        verify(dir, &forged),
        Err(Error::Verify(
            VerifyError::Rejected | VerifyError::BadProof(_)
        ))
    ));
    // A readable input added to an artifact whose inputs are hashed is refused.
    let mut shows = a.clone();
    shows.inputs.insert("input".into(), x[0].clone());
    assert!(matches!(verify(dir, &shows), Err(Error::Artifact { .. })));
    let mut no_hash = a.clone();
    no_hash.hashes.input = None;
    assert!(matches!(verify(dir, &no_hash), Err(Error::Artifact { .. })));
}

/// Every JSON number in `v`.
fn numbers(v: &serde_json::Value, out: &mut Vec<f64>) {
    match v {
        serde_json::Value::Number(n) => out.push(n.as_f64().unwrap()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| numbers(x, out)),
        _ => {}
    }
}

/// Private input, hashed output (the conv fixture `op_conv_pad1`, hashed weights): the
/// input's quantized values appear nowhere in `proof.json` or the instances, as decimal or
/// hex; the output is only a hash, which another input changes.
#[test]
fn private_input_hashed_output() {
    let name = "op_conv_pad1";
    let (dir, c) = ready(
        name,
        vis(
            Visibility::Private,
            Visibility::Hashed,
            ParamVisibility::Hashed,
        ),
    );
    let dir = dir.path();
    let s = &c.settings;
    let x = inputs(name, &c.graph);
    let proved = zkinfer::prove_with_model(
        dir,
        None,
        &x,
        &zkinfer::ProveOptions::default(),
        &prover::no_progress,
    )
    .unwrap();
    let a = proved.artifact;
    // The prover still learns the outputs; the artifact has neither inputs nor outputs.
    assert_eq!(proved.outputs.len(), 1);
    assert!(a.inputs.is_empty() && a.outputs.is_empty());
    assert!(a.hashes.input.is_none());
    let (ho, hp) = (
        a.hashes.output.clone().unwrap(),
        a.hashes.params.clone().unwrap(),
    );
    // Instances: output hash, parameter hash.
    assert_eq!(a.instances.len(), 2);
    let v = verify(dir, &a).unwrap();
    assert_eq!(v.hashes.output.as_deref(), Some(ho.as_str()));
    assert_eq!(v.commitment.unwrap().value, hp);

    let path = dir.join("proof.json");
    a.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = ProofArtifact::load(&path).unwrap();
    assert_eq!(loaded, a);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(json.get("inputs").is_none() && json.get("outputs").is_none());
    let mut nums = Vec::new();
    numbers(&json, &mut nums);
    let q: Vec<i128> = quantize_inputs(&c.graph, &s.quant, &x)
        .unwrap()
        .into_iter()
        .flat_map(|t| t.data)
        .collect();
    let scale = f64::from(s.quant.input_scale).exp2();
    let lower = text.to_lowercase();
    let mut searched = 0;
    for (i, &v) in q.iter().enumerate() {
        // Zero is indistinguishable from padding; every other value is searched for.
        if v == 0 {
            continue;
        }
        searched += 1;
        for n in &nums {
            assert!(
                *n != v as f64 && *n != v as f64 / scale && *n != x[0].data[i],
                "input value {v} appears in proof.json"
            );
        }
        let le = instance_to_hex(&fe(v));
        let be = fr_to_hex(&fe(v));
        assert!(
            !lower.contains(&le) && !lower.contains(&be[2..]),
            "{v} in hex"
        );
        assert!(!a.instances.contains(&le));
    }
    assert!(
        searched > 10,
        "the fixture input has only {searched} non-zero values"
    );

    // Another input: another output hash; the parameter hash stays.
    let mut y = x.clone();
    y[0].data[0] = -y[0].data[0] + 0.125;
    let b = prove(dir, &y).unwrap();
    assert_ne!(b.hashes.output.as_deref(), Some(ho.as_str()));
    assert_eq!(b.hashes.params.as_deref(), Some(hp.as_str()));
    verify(dir, &b).unwrap();
    // B's proof claiming A's output hash fails.
    let mut forged = b.clone();
    forged.instances[0] = a.instances[0].clone();
    forged.hashes.output = Some(ho.clone());
    assert!(matches!(
        verify(dir, &forged),
        Err(Error::Verify(
            VerifyError::Rejected | VerifyError::BadProof(_)
        ))
    ));
    // Private inputs cannot be checked against a given input.
    let err = zkinfer::verify_expecting(dir, &a, &ALLOW, &expecting(x, None)).unwrap_err();
    assert!(err.to_string().contains("private"), "{err}");
}
