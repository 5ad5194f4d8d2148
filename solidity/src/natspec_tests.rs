//! Unit tests of `natspec.rs`.
#![allow(clippy::unwrap_used)]
use super::*;

fn facts(shape: Shape) -> Facts {
    Facts {
        vk_digest: [0xab; 32],
        num_instances: 794,
        proof_len: 1728,
        committed: None,
        shape,
    }
}

fn labelled() -> NatSpec {
    NatSpec {
        model: "lenet5".into(),
        instances: vec![
            (0..784, "public input \"input\" [1, 1, 28, 28]".into()),
            (784..794, "public output \"output\" [1, 10]".into()),
        ],
        predicted_gas: Some(1_234_567),
        measured_gas: Some((1_200_001, "revm, proof.json".into())),
    }
}

/// Every line is a `///` comment; tags only at the start of a line, each of the four once.
fn assert_valid_natspec(doc: &str) {
    let mut tags = Vec::new();
    for line in doc.lines() {
        let text = line
            .strip_prefix("/// ")
            .unwrap_or_else(|| panic!("{line:?}"));
        assert!(line.len() <= 4 + WIDTH + MAX_TEXT, "{line}");
        let at: Vec<usize> = text.match_indices('@').map(|(i, _)| i).collect();
        match at.as_slice() {
            [] => {}
            [0] => tags.push(text.split(' ').next().unwrap().to_string()),
            _ => panic!("an @ inside the text: {line}"),
        }
    }
    assert_eq!(tags, ["@title", "@author", "@notice", "@dev"]);
}

#[test]
fn the_contract_doc_states_the_checks_the_failures_the_layout_and_the_gas() {
    let doc = labelled().contract_doc(&facts(Shape::Single));
    assert_valid_natspec(&doc);
    let flat = doc.replace("\n/// ", " ");
    assert!(
        doc.starts_with("/// @title zkinfer verifier of lenet5\n"),
        "{doc}"
    );
    for want in [
        "KZG commitments, SHPLONK multi-opening, BN254",
        &format!("vk.bin sha256 0x{}", hex::encode([0xab; 32])),
        "returns false, never reverting, for a wrong proof, wrong or changed instances",
        "not the canonical ABI encoding",
        "a proof that is not exactly 1728 bytes, a number of instances other than 794",
        "not below r",
        "not on the curve",
        "reverts only when it runs out of gas",
        "instances[0..784] public input \"input\" [1, 1, 28, 28]; instances[784..794] public \
         output \"output\" [1, 10].",
        "1,200,001 measured (revm, proof.json); 1,234,567 predicted by zkinfer's cost model",
        "pairing check",
        "y^2 = x^3 + 3",
        "numInstances = 794",
        "reads the ABI-encoded arguments in place",
    ] {
        assert!(flat.contains(want), "{want:?} missing from\n{doc}");
    }
    assert!(!flat.contains("paramCommitment"));
    // The wrapper shapes say what they call.
    let wrapper = labelled().contract_doc(&facts(Shape::Wrapper { parts: 3 }));
    assert_valid_natspec(&wrapper);
    assert!(wrapper
        .replace("\n/// ", " ")
        .contains("which runs Halo2VerifierPart1..3 (whose code hashes it pins)"));
    // Committed columns: paramCommitment is described.
    let committed = Facts {
        committed: Some(CommittedColumns { first: 1, count: 2 }),
        ..facts(Shape::Single)
    };
    let flat = labelled().contract_doc(&committed).replace("\n/// ", " ");
    assert!(flat.contains(
        "keccak256(proof[64:192]), the commitments of the committed parameter columns 1..3"
    ));
}

#[test]
fn the_default_still_says_what_it_checks_and_how_many_instances() {
    let doc = NatSpec::default().contract_doc(&facts(Shape::Wrapper { parts: 0 }));
    assert_valid_natspec(&doc);
    let flat = doc.replace("\n/// ", " ");
    for want in [
        "/// @title zkinfer verifier of a zkinfer model",
        "instances[0..794]: the proof's public instances",
        "Gas of one verifyProof transaction (21,000 and calldata included): not measured",
        "calls Halo2Verifier with abi.encodePacked(instances, proof);",
        "returns false, never reverting",
    ] {
        assert!(flat.contains(want), "{want:?} missing from\n{doc}");
    }
    // Gaps between labels are named; one index reads as one.
    let gaps = NatSpec {
        instances: vec![(2..3, "hash".into())],
        predicted_gas: Some(300_000),
        ..Default::default()
    };
    let flat = gaps
        .contract_doc(&Facts {
            num_instances: 5,
            ..facts(Shape::Single)
        })
        .replace("\n/// ", " ");
    assert!(
        flat.contains("instances[0..2] unlabelled; instances[2] hash; instances[3..5] unlabelled.")
    );
    assert!(flat.contains("300,000 predicted by zkinfer's cost model (not measured)."));
}

#[test]
fn caller_text_cannot_break_out_of_the_comment() {
    let evil = NatSpec {
        model: "m\n}\ncontract X { @dev x".into(),
        instances: vec![(0..1, "a\r\n@notice b\u{202e}c\tok".into())],
        ..Default::default()
    };
    let doc = evil.contract_doc(&Facts {
        num_instances: 1,
        ..facts(Shape::Single)
    });
    assert_valid_natspec(&doc);
    assert!(doc.contains("m } contract X { ?dev x"), "{doc}");
    assert!(doc
        .replace("\n/// ", " ")
        .contains("instances[0] a ?notice b?c ok."));
    assert_eq!(clean(&"x".repeat(500)).len(), MAX_TEXT);
    assert_eq!(clean("  a  \n b "), "a b");
}

#[test]
fn labels_must_be_ascending_ranges_inside_the_instances() {
    let spec = |instances: Vec<(Range<usize>, String)>| NatSpec {
        instances,
        ..Default::default()
    };
    assert!(spec(vec![(0..2, "a".into()), (2..4, "b".into())])
        .check(4)
        .is_ok());
    for bad in [
        vec![(0..5, "past the end".into())],
        vec![(1..1, "empty".into())],
        vec![(0..2, "a".into()), (1..3, "overlapping".into())],
        vec![(2..3, "a".into()), (0..1, "descending".into())],
    ] {
        assert!(spec(bad.clone()).check(4).is_err(), "{bad:?}");
    }
}

#[test]
fn replaces_only_the_doc_right_before_the_contract() {
    let src = "pragma x;\n\n/// @notice other\ninterface I {}\n\n/// old\n/// @notice old\ncontract ZkinferVerifier {\n    /// keep\n}\n";
    let out = replace_contract_doc(src, "ZkinferVerifier", "/// @notice new\n").unwrap();
    assert_eq!(
        out,
        "pragma x;\n\n/// @notice other\ninterface I {}\n\n/// @notice new\ncontract ZkinferVerifier {\n    /// keep\n}\n"
    );
    assert!(replace_contract_doc(src, "Other", "x").is_none());
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1000), "1,000");
    assert_eq!(thousands(289_210), "289,210");
    // The wrapper templates keep their code and take the new doc.
    for committed in [false, true] {
        let natspec = labelled();
        let src = wrapper_source(committed, &natspec, &facts(Shape::Wrapper { parts: 0 })).unwrap();
        assert!(src.contains("/// @title zkinfer verifier of lenet5\n"));
        assert!(!src.contains("/// @title zkinfer proof verifier"));
        let template = if committed {
            WRAPPER_COMMITTED_SOURCE
        } else {
            WRAPPER_SOURCE
        };
        let code = |s: &str| s[s.find("contract ZkinferVerifier {").unwrap()..].to_string();
        assert_eq!(code(&src), code(template));
    }
}
