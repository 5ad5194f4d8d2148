//! Unit tests of [`crate::registry`] and [`crate::registry_abi`]: ABI round trips, the
//! committed ABI against the calldata and decoders, malformed input.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::registry_abi::{
    address_word, decode_id_list, encode_call, layout_words, u64_word, Arg, Reader,
};

/// Canonical signature of an ABI entry (tuples spelled out).
fn signature(e: &Value) -> String {
    fn ty(p: &Value) -> String {
        let t = p["type"].as_str().unwrap();
        match t.strip_prefix("tuple") {
            Some(suffix) => {
                let c: Vec<String> = p["components"].as_array().unwrap().iter().map(ty).collect();
                format!("({}){suffix}", c.join(","))
            }
            None => t.to_string(),
        }
    }
    let inputs: Vec<String> = e["inputs"].as_array().unwrap().iter().map(ty).collect();
    format!("{}({})", e["name"].as_str().unwrap(), inputs.join(","))
}

fn sigs(kind: &str) -> Vec<String> {
    let mut out: Vec<String> = [
        registry_artifact().unwrap(),
        inference_log_artifact().unwrap(),
    ]
    .iter()
    .flat_map(|a| a.abi.as_array().unwrap().clone())
    .filter(|e| e["type"] == kind)
    .map(|e| signature(&e))
    .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn artifacts_match_the_calldata_and_decoders() {
    let reg = registry_artifact().unwrap();
    assert_eq!(reg.contract_name, REGISTRY_CONTRACT);
    assert_eq!(reg.solc, REGISTRY_SOLC_VERSION);
    assert!(!registry_creation_code().unwrap().is_empty());
    assert!(parse_artifact("{}").is_err() && parse_artifact("[").is_err());
    let functions = sigs("function");
    for sig in [
        REGISTER_SIGNATURE,
        SUBMIT_SIGNATURE,
        "deprecate(uint256)",
        "model(uint256)",
        "modelIdOf(bytes32)",
        "modelCount()",
        "inferenceLog()",
        "entry(uint256)",
        "entryCount()",
        "entriesByModel(uint256)",
        "entriesByInput(bytes32)",
        "isVerified(uint256,bytes32,bytes32)",
        "hashesOf(uint256,uint256[])",
        "registry()",
    ] {
        assert!(
            functions.contains(&sig.to_string()),
            "{sig} not in {functions:?}"
        );
    }
    let mut events = vec![
        ModelRegistered::SIGNATURE,
        ModelDeprecated::SIGNATURE,
        InferenceVerified::SIGNATURE,
    ];
    events.sort();
    assert_eq!(sigs("event"), events);
    // Every error in the ABIs decodes (with zero fields: ids 0, addresses 0).
    let errors = sigs("error");
    assert_eq!(errors.len(), 14, "{errors:?}");
    for sig in errors {
        let n = sig.matches(',').count() + usize::from(!sig.ends_with("()"));
        let data = encode_call(&sig, &vec![Arg::Word([0; 32]); n]);
        let e = decode_revert(&data).unwrap_or_else(|| panic!("{sig} not decoded"));
        assert!(!e.to_string().is_empty());
        assert_eq!(
            decode_revert(&data[..data.len() - 1]),
            None,
            "{sig} truncated"
        );
    }
}

#[test]
fn revert_messages_and_malformed_reverts() {
    let data = encode_call(
        "NotBoundToModel(uint256,bytes32,bytes32)",
        &[
            Arg::Word(u64_word(3)),
            Arg::Word([0xaa; 32]),
            Arg::Word([0xbb; 32]),
        ],
    );
    let e = decode_revert(&data).unwrap();
    assert_eq!(
        e,
        RegistryRevert::NotBoundToModel {
            model_id: 3,
            registered: [0xaa; 32],
            proven: [0xbb; 32]
        }
    );
    let msg = e.to_string();
    assert!(msg.starts_with(&format!(
        "the proof is bound to parameters 0x{}",
        "bb".repeat(32)
    )));
    assert!(
        msg.contains(&format!("model 3 is registered with 0x{}", "aa".repeat(32))),
        "{msg}"
    );
    assert!(msg.contains("other weights"), "{msg}");
    let big = encode_call(
        "WrongInstanceCount(uint256,uint256)",
        &[Arg::Word([0xff; 32]), Arg::Word(u64_word(2))],
    );
    assert_eq!(
        decode_revert(&big),
        Some(RegistryRevert::WrongInstanceCount {
            expected: u64::MAX,
            got: 2
        })
    );
    let bad_addr = encode_call("NoVerifierCode(address)", &[Arg::Word([0xff; 32])]);
    assert_eq!(decode_revert(&bad_addr), None);
    for junk in [&[][..], &[1, 2, 3], &[0x08, 0xc3, 0x79, 0xa0, 0, 0]] {
        assert_eq!(decode_revert(junk), None);
    }
    assert!(matches!(
        revert_error("submit", &data),
        SolidityError::RegistryReverted { call: "submit", .. }
    ));
    assert!(revert_error("submit", &[])
        .to_string()
        .contains("out of gas"));
}

#[test]
fn layout_validation_and_hashes() {
    let l = OnchainLayout {
        num_instances: 12,
        input_start: 10,
        input_count: 1,
        output_start: 0,
        output_count: 10,
        param_index: 11,
    };
    assert_eq!(l.validate(OnchainKind::Hashed), Ok(()));
    assert!(
        l.validate(OnchainKind::Fixed).is_err(),
        "param index must be 0 unless hashed"
    );
    let bad = [
        OnchainLayout {
            param_index: 12,
            ..l
        },
        OnchainLayout {
            param_index: 10,
            ..l
        },
        OnchainLayout {
            param_index: 3,
            ..l
        },
        OnchainLayout {
            input_start: 9,
            input_count: 2,
            ..l
        },
        OnchainLayout {
            output_count: 11,
            ..l
        },
        OnchainLayout {
            input_start: u32::MAX,
            ..l
        },
    ];
    for b in bad {
        assert_eq!(
            b.validate(OnchainKind::Hashed),
            Err(RegistryRevert::BadLayout),
            "{b:?}"
        );
    }
    let private = OnchainLayout {
        num_instances: 1,
        param_index: 0,
        ..Default::default()
    };
    assert_eq!(private.validate(OnchainKind::Fixed), Ok(()));
    let inst: Vec<Word> = (0..12).map(u64_word).collect();
    let (i, o) = hashes_of(&l, &inst).unwrap();
    assert_eq!(i, keccak256(&inst[10]));
    assert_eq!(o, keccak256(&inst[..10].concat()));
    assert!(hashes_of(&l, &inst[..11]).is_err());
    assert!(hashes_of(
        &OnchainLayout {
            output_count: 13,
            ..l
        },
        &inst
    )
    .is_err());
    let (e, _) = hashes_of(&private, &inst[..1]).unwrap();
    assert_eq!(
        hex::encode(e),
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    );
    let le = format!("0x01{}", "00".repeat(31));
    assert_eq!(words_from_le_hex(&[le]).unwrap(), vec![u64_word(1)]);
    assert!(words_from_le_hex(&["00"]).is_err() && words_from_le_hex(&["zz"]).is_err());
    assert_eq!(
        OnchainKind::parse("committed"),
        Some(OnchainKind::Committed)
    );
    assert_eq!(OnchainKind::parse("private"), None);
    assert_eq!(OnchainKind::from_u8(3), None);
}

/// `abi.encode` of a dynamic tuple return: offset 0x20, head, tail.
fn tuple_return(head: &[Word], tail: &[u8]) -> Vec<u8> {
    let mut out = u64_word(0x20).to_vec();
    head.iter().for_each(|w| out.extend_from_slice(w));
    out.extend_from_slice(tail);
    out
}

#[test]
fn model_entry_and_event_round_trips() {
    let layout = OnchainLayout {
        num_instances: 12,
        input_start: 10,
        input_count: 1,
        output_start: 0,
        output_count: 10,
        param_index: 11,
    };
    let uri = "data:application/json,{\"name\":\"m\"}";
    let mut head = vec![
        [7; 32],
        u64_word(1),
        address_word(&[1; 20]),
        address_word(&[2; 20]),
        u64_word(1),
        u64_word(42),
    ];
    head.extend(layout_words(&layout));
    head.push(u64_word(13 * 32));
    let mut tail = u64_word(uri.len() as u64).to_vec();
    tail.extend_from_slice(uri.as_bytes());
    tail.resize(32 + uri.len().div_ceil(32) * 32, 0);
    let out = tuple_return(&head, &tail);
    let m = decode_model(&out).unwrap();
    assert_eq!(
        (m.kind, m.verifier, m.owner, m.deprecated),
        (OnchainKind::Hashed, [1; 20], [2; 20], true)
    );
    assert_eq!(
        (m.registered_block, m.layout, m.metadata_uri.as_str()),
        (42, layout, uri)
    );
    // Cut anywhere before the string's last byte (its zero padding is not required).
    for n in 0..out.len() - (tail.len() - 32 - uri.len()) {
        assert!(decode_model(&out[..n]).is_err(), "{n}");
    }
    let mut bad_kind = out.clone();
    bad_kind[32 + 63] = 3;
    assert!(decode_model(&bad_kind).is_err());

    let outs = [u64_word(5), [0x30; 32]];
    let head = [
        u64_word(1),
        [3; 32],
        [4; 32],
        u64_word(6 * 32),
        address_word(&[9; 20]),
        u64_word(8),
    ];
    let mut tail = u64_word(2).to_vec();
    outs.iter().for_each(|w| tail.extend_from_slice(w));
    let out = tuple_return(&head, &tail);
    let e = decode_entry(&out).unwrap();
    assert_eq!(
        (
            e.model_id,
            e.input_hash,
            e.output_hash,
            e.outputs.as_slice()
        ),
        (1, [3; 32], [4; 32], &outs[..])
    );
    assert_eq!((e.submitter, e.block_number), ([9; 20], 8));
    assert!(decode_entry(&out[..out.len() - 1]).is_err());

    // InferenceVerified: data = (outputHash, outputs, submitter, blockNumber).
    let topics = [
        event_topic(InferenceVerified::SIGNATURE),
        u64_word(2),
        u64_word(1),
        [3; 32],
    ];
    let data = &encode_call(
        "x()",
        &[
            Arg::Word([4; 32]),
            Arg::Words(&outs),
            Arg::Word(address_word(&[9; 20])),
            Arg::Word(u64_word(8)),
        ],
    )[4..];
    let ev = InferenceVerified::decode(&topics, data).unwrap();
    assert_eq!(
        (
            ev.entry_id,
            ev.entry.model_id,
            ev.entry.outputs.len(),
            ev.entry.block_number
        ),
        (2, 1, 2, 8)
    );
    assert!(InferenceVerified::decode(&topics[..3], data).is_none());
    assert!(InferenceVerified::decode(&topics, &data[..data.len() - 1]).is_none());
    assert!(
        ModelRegistered::decode(&topics, data).is_none(),
        "other event"
    );
    let topics = [
        event_topic(ModelRegistered::SIGNATURE),
        u64_word(1),
        [7; 32],
        address_word(&[2; 20]),
    ];
    let data = &encode_call(
        "x()",
        &[
            Arg::Word(address_word(&[1; 20])),
            Arg::Word(u64_word(2)),
            Arg::Bytes(uri.as_bytes()),
        ],
    )[4..];
    let ev = ModelRegistered::decode(&topics, data).unwrap();
    assert_eq!(
        (ev.model_id, ev.kind, ev.owner, ev.metadata_uri.as_str()),
        (1, OnchainKind::Committed, [2; 20], uri)
    );
    let topics = [
        event_topic(ModelDeprecated::SIGNATURE),
        u64_word(1),
        address_word(&[2; 20]),
    ];
    assert_eq!(
        ModelDeprecated::decode(&topics, &[]),
        Some(ModelDeprecated {
            model_id: 1,
            owner: [2; 20]
        })
    );
    assert!(ModelDeprecated::decode(&topics, &[0]).is_none());
}

#[test]
fn calldata_layouts() {
    let l = OnchainLayout {
        num_instances: 2,
        output_start: 1,
        output_count: 1,
        ..Default::default()
    };
    let data = register_calldata(&[1; 32], OnchainKind::Fixed, &[5; 20], &l, "ab");
    // selector, 3 words, 6 layout words, string offset, length, one padded word.
    assert_eq!(data.len(), 4 + 32 * 10 + 64);
    assert_eq!(
        Reader::new(&data[4..], "t").uint(9 * 32, 64).unwrap(),
        10 * 32
    );
    assert_eq!(&data[4 + 11 * 32..4 + 11 * 32 + 2], b"ab");
    let data = submit_calldata(1, &[0xaa; 33], &[u64_word(1), u64_word(2)]);
    let r = Reader::new(&data[4..], "t");
    assert_eq!(r.bytes(32, 0).unwrap(), &[0xaa; 33]);
    assert_eq!(r.words(64, 0).unwrap(), vec![u64_word(1), u64_word(2)]);
    assert_eq!(r.uint(32, 64).unwrap(), 0x60, "canonical offsets");
    assert_eq!(
        model_count_calldata(),
        crate::calldata::selector("modelCount()").to_vec()
    );
}

#[test]
fn encode_layout_and_reader_bounds() {
    let data = encode_call(
        "f(uint256,bytes,uint256[])",
        &[
            Arg::Word(u64_word(7)),
            Arg::Bytes(&[0xaa; 33]),
            Arg::Words(&[u64_word(1), u64_word(2)]),
        ],
    );
    assert_eq!(data.len(), 4 + 96 + 32 + 64 + 32 + 64);
    let r = Reader::new(&data[4..], "t");
    assert_eq!(r.uint(0, 64).unwrap(), 7);
    assert_eq!(r.bytes(32, 0).unwrap(), &[0xaa; 33]);
    assert_eq!(r.words(64, 0).unwrap(), vec![u64_word(1), u64_word(2)]);
    // Truncations and garbage never panic.
    for n in 0..data.len() {
        let r = Reader::new(&data[4..4 + n.min(data.len() - 4)], "t");
        let _ = (r.bytes(32, 0), r.words(64, 0), r.string(32, 0), r.layout(0));
    }
    let mut huge = [0xffu8; 32 * 8];
    huge[..24].fill(0);
    let r = Reader::new(&huge, "t");
    assert!(r.words(0, 0).is_err() && r.bytes(0, usize::MAX).is_err());
    assert!(r.uint(0, 32).is_err() && r.boolean(0).is_err());
    assert!(Reader::new(&[0xff; 32], "t").address(0).is_err());
    assert!(r.kind(0).is_err() && r.word(usize::MAX).is_err());
}

#[test]
fn return_decoders_reject_malformed() {
    assert_eq!(decode_u64(&u64_word(5)).unwrap(), 5);
    assert!(decode_u64(&[0u8; 31]).is_err());
    assert!(decode_u64(&[0xff; 32]).is_err());
    assert!(decode_bool(&u64_word(2)).is_err());
    assert_eq!(decode_address(&address_word(&[9; 20])).unwrap(), [9; 20]);
    assert!(decode_address(&[0xff; 32]).is_err());
    assert!(decode_hashes(&[0; 63]).is_err());
    let mut list = u64_word(0x20).to_vec();
    list.extend_from_slice(&u64_word(2));
    list.extend_from_slice(&u64_word(3));
    assert!(decode_id_list(&list).is_err(), "one id missing");
    list.extend_from_slice(&u64_word(4));
    assert_eq!(decode_id_list(&list).unwrap(), vec![3, 4]);
    for n in 0..200 {
        let junk: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
        let _ = (
            decode_model(&junk),
            decode_entry(&junk),
            decode_id_list(&junk),
        );
    }
}
