//! The contracts fail closed (issue 17): a split entry refuses parts without the pinned code,
//! non-canonical proof scalars are rejected, the wrapper's model commitment is the one
//! compiled into the verifier, and malformed `verifyProof` calls return false. Included by
//! `tests/evm_verifier.rs` (uses its prepared models).

use std::sync::OnceLock;

use solidity::calldata::{
    decode_bool, fr_to_word, keccak256, raw_calldata, selector, verify_proof_calldata,
    verify_proof_calldata_words,
};
use solidity::local::LocalEvm;
use solidity::{Address, Bundle, ConstructorArg};
use verifier::halo2::Fr;
use verifier::TranscriptKind;

use super::evm_common::{changed, flipped, tools, Prepared};
use super::{add_words, model, one_word};

/// Runtime code that returns its calldata (a "part" that hands the memory back unchanged).
const ECHO: &[u8] = &[0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x36, 0x60, 0x00, 0xf3];
/// Runtime code that returns one zero word, whatever it is asked.
const ZERO_WORD: &[u8] = &[0x60, 0x20, 0x60, 0x00, 0xf3];
/// An address without code.
const CODELESS: Address = [0x5a; 20];

/// Creation code that deploys `runtime` (under 256 bytes) as is.
fn creation(runtime: &[u8]) -> Vec<u8> {
    let mut c = vec![
        0x60,
        runtime.len() as u8,
        0x80,
        0x60,
        0x0b,
        0x60,
        0x00,
        0x39,
        0x60,
        0x00,
        0xf3,
    ];
    c.extend_from_slice(runtime);
    c
}

fn address_word(a: &Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

fn word(v: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&v.to_be_bytes());
    w
}

/// Creation code of `bundle`'s contract `name` with `args` appended.
fn creation_with(bundle: &Bundle, name: &str, args: &[[u8; 32]]) -> Vec<u8> {
    let c = bundle.contracts.iter().find(|c| c.name == name).unwrap();
    let mut code = c.compiled.as_ref().unwrap().deploy.clone();
    for a in args {
        code.extend_from_slice(a);
    }
    code
}

/// Deploys `bundle`; returns the addresses by name.
fn deploy(evm: &mut LocalEvm, bundle: &Bundle) -> Vec<(String, Address)> {
    evm.deploy_bundle(bundle)
        .unwrap()
        .into_iter()
        .map(|(n, a, _)| (n, a))
        .collect()
}

fn address_of(deployed: &[(String, Address)], name: &str) -> Address {
    deployed.iter().find(|(n, _)| n == name).unwrap().1
}

/// Whether the raw entry `entry` accepts (returns rather than reverts).
fn entry_accepts(evm: &mut LocalEvm, entry: Address, instances: &[Fr], proof: &[u8]) -> bool {
    evm.call(entry, raw_calldata(instances, proof))
        .unwrap()
        .success
}

/// `verifyProof` on a ZkinferVerifier: `Some(verdict)`, or `None` if it reverted.
fn verify(evm: &mut LocalEvm, at: Address, data: Vec<u8>) -> Option<bool> {
    let out = evm.call(at, data).unwrap();
    out.success.then(|| decode_bool(&out.output).unwrap())
}

/// A 4-byte query (`modelCommitment()` …): the 32-byte answer, or `None` if it reverted.
fn query(evm: &mut LocalEvm, at: Address, signature: &str) -> Option<Vec<u8>> {
    let out = evm.call(at, selector(signature).to_vec()).unwrap();
    out.success.then_some(out.output)
}

/// digits_mlp16's verifier split into three contracts with a compiler: the entry pins both
/// parts' code hashes as constants.
fn split3() -> &'static Bundle {
    static B: OnceLock<Bundle> = OnceLock::new();
    B.get_or_init(|| {
        let m = model("digits_mlp16");
        Bundle::assemble(&m.generated, m.key.digest(), 3, Some(&tools().solc)).unwrap()
    })
}

/// The honest proof and two forged ones: a changed output, a flipped proof byte.
fn forged(m: &Prepared) -> [(Vec<Fr>, Vec<u8>); 2] {
    [
        (changed(&m.instances), m.proof.clone()),
        (m.instances.clone(), flipped(&m.proof)),
    ]
}

#[test]
fn split_entry_refuses_parts_without_the_pinned_code() {
    let m = model("digits_mlp16");
    let b = split3();
    let names: Vec<&str> = b.contracts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Halo2VerifierPart1",
            "Halo2VerifierPart2",
            "Halo2Verifier",
            "ZkinferVerifier"
        ]
    );
    assert_eq!(
        b.contracts[2].constructor,
        [
            ConstructorArg::Address("Halo2VerifierPart1".into()),
            ConstructorArg::Address("Halo2VerifierPart2".into())
        ],
        "the code hashes are constants of the entry's source"
    );
    for part in &b.contracts[..2] {
        let hash = hex::encode(keccak256(&part.compiled.as_ref().unwrap().runtime));
        assert!(
            b.contracts[2].source.contains(&hash),
            "{} not pinned",
            part.name
        );
    }
    let mut evm = LocalEvm::new();
    let d = deploy(&mut evm, b);
    let (p1, p2) = (address_of(&d, names[0]), address_of(&d, names[1]));
    let (entry, wrapper) = (address_of(&d, names[2]), address_of(&d, names[3]));
    // The honest deployment accepts the honest proof and nothing else.
    assert!(entry_accepts(&mut evm, entry, &m.instances, &m.proof));
    let honest = verify_proof_calldata(&m.proof, &m.instances);
    assert_eq!(verify(&mut evm, wrapper, honest), Some(true));
    for (instances, proof) in forged(m) {
        assert!(!entry_accepts(&mut evm, entry, &instances, &proof));
        let data = verify_proof_calldata(&proof, &instances);
        assert_eq!(verify(&mut evm, wrapper, data), Some(false));
    }
    // Any other part refuses the deployment (before, a codeless part let every proof pass).
    let (echo, _) = evm.deploy(creation(ECHO)).unwrap();
    let (zero, _) = evm.deploy(creation(ZERO_WORD)).unwrap();
    for (what, parts) in [
        ("a codeless part 2", [p1, CODELESS]),
        ("a codeless part 1", [CODELESS, p2]),
        ("the parts swapped", [p2, p1]),
        ("part 2 returning its calldata", [p1, echo]),
        ("part 2 returning one zero word", [p1, zero]),
        ("the entry as part 1", [entry, p2]),
    ] {
        let code = creation_with(b, names[2], &parts.map(|a| address_word(&a)));
        assert!(evm.deploy(code).is_err(), "entry deployed with {what}");
    }
}

/// Without a compiler the entry takes its parts' code hashes as constructor arguments
/// (`{"codehash": …}`), resolved from the compiled parts at deployment.
#[test]
fn split_entry_with_code_hash_arguments() {
    let m = model("digits_mlp16");
    let mut b = Bundle::assemble(&m.generated, m.key.digest(), 2, None).unwrap();
    assert!(!b.is_compiled());
    assert_eq!(
        b.contracts[1].constructor,
        [
            ConstructorArg::Address("Halo2VerifierPart1".into()),
            ConstructorArg::Codehash("Halo2VerifierPart1".into())
        ]
    );
    b.compile(&tools().solc).unwrap();
    let mut evm = LocalEvm::new();
    let d = deploy(&mut evm, &b);
    let (p1, entry) = (
        address_of(&d, "Halo2VerifierPart1"),
        address_of(&d, "Halo2Verifier"),
    );
    assert!(entry_accepts(&mut evm, entry, &m.instances, &m.proof));
    for (instances, proof) in forged(m) {
        assert!(!entry_accepts(&mut evm, entry, &instances, &proof));
    }
    let p1_hash = keccak256(&b.contracts[0].compiled.as_ref().unwrap().runtime);
    let (echo, _) = evm.deploy(creation(ECHO)).unwrap();
    let (zero, _) = evm.deploy(creation(ZERO_WORD)).unwrap();
    // Refused at deployment: no code (whatever hash is claimed), or not the claimed code.
    for (what, part, hash) in [
        (
            "a codeless part, hash of empty code",
            CODELESS,
            keccak256(&[]),
        ),
        ("a codeless part, zero hash", CODELESS, [0; 32]),
        ("the echo contract with part 1's hash", echo, p1_hash),
        ("part 1 with the echo's hash", p1, keccak256(ECHO)),
    ] {
        let code = creation_with(&b, "Halo2Verifier", &[address_word(&part), hash]);
        assert!(evm.deploy(code).is_err(), "entry deployed with {what}");
    }
    // A part whose hash its deployer vouched for still has to hand back exactly the memory.
    let code = creation_with(
        &b,
        "Halo2Verifier",
        &[address_word(&zero), keccak256(ZERO_WORD)],
    );
    let (bad, _) = evm.deploy(code).unwrap();
    assert!(!entry_accepts(&mut evm, bad, &m.instances, &m.proof));
    for (instances, proof) in forged(m) {
        assert!(!entry_accepts(&mut evm, bad, &instances, &proof));
    }
}

#[test]
fn non_canonical_proof_scalars_are_rejected() {
    for name in ["digits_mlp16", "cnn_chain"] {
        let m = model(name);
        let mut evm = LocalEvm::new();
        let d = deploy(&mut evm, &m.bundle);
        let wrapper = d.last().unwrap().1;
        let n = 32 * m.instances.len();
        let offsets = m.generated.scalar_offsets();
        assert_eq!(
            offsets[..m.instances.len()],
            (0..m.instances.len()).map(|i| 32 * i).collect::<Vec<_>>()
        );
        let scalars: Vec<usize> = offsets.iter().filter(|o| **o >= n).map(|o| o - n).collect();
        assert!(scalars.len() > 2, "{name}: {} proof scalars", scalars.len());
        let honest = verify_proof_calldata(&m.proof, &m.instances);
        assert_eq!(verify(&mut evm, wrapper, honest), Some(true));
        let r_minus_1 = fr_to_word(&-Fr::one());
        for at in [
            scalars[0],
            scalars[scalars.len() / 2],
            scalars[scalars.len() - 1],
        ] {
            // s + r: the same scalar mod r, and still below 2^256.
            let s: [u8; 32] = m.proof[at..at + 32].try_into().unwrap();
            let (x, c1) = add_words(&s, &r_minus_1);
            let (x, c2) = add_words(&x, &one_word());
            assert!(!c1 && !c2);
            let mut bad = m.proof.clone();
            bad[at..at + 32].copy_from_slice(&x);
            assert!(
                m.key
                    .verify(TranscriptKind::Keccak, &bad, &m.instances)
                    .is_err(),
                "{name}: the native verifier accepts s + r at proof byte {at}"
            );
            let data = verify_proof_calldata(&bad, &m.instances);
            assert_eq!(
                verify(&mut evm, wrapper, data),
                Some(false),
                "{name}: s + r at proof byte {at}"
            );
        }
        // Behind the wrapper, the generated verifier itself rejects a non-canonical instance.
        if let Some(entry) = d
            .iter()
            .find(|(n, _)| n == "Halo2Verifier")
            .map(|(_, a)| *a)
        {
            let mut words: Vec<[u8; 32]> = m.instances.iter().map(fr_to_word).collect();
            let (x, _) = add_words(&words[0], &r_minus_1);
            words[0] = add_words(&x, &one_word()).0;
            let mut raw: Vec<u8> = words.concat();
            raw.extend_from_slice(&m.proof);
            assert!(!evm.call(entry, raw).unwrap().success, "{name}: x + r");
        }
    }
}

#[test]
fn model_commitment_is_the_verifiers() {
    let digest = |m: &Prepared| m.key.digest().to_vec();
    // The single contract: a constant of the verifying code itself.
    let m = model("digits_mlp16");
    let mut evm = LocalEvm::new();
    let single = deploy(&mut evm, &m.bundle).last().unwrap().1;
    assert_eq!(
        query(&mut evm, single, "modelCommitment()"),
        Some(digest(m))
    );
    // Behind the wrapper: read from the generated verifier, which answers 4-byte queries.
    for (m, b) in [
        (model("cnn_chain"), &model("cnn_chain").bundle),
        (m, split3()),
    ] {
        let d = deploy(&mut evm, b);
        let (entry, wrapper) = (address_of(&d, "Halo2Verifier"), d.last().unwrap().1);
        let (n, p) = (m.instances.len() as u128, m.proof.len() as u128);
        for at in [entry, wrapper] {
            assert_eq!(query(&mut evm, at, "modelCommitment()"), Some(digest(m)));
            assert_eq!(
                query(&mut evm, at, "numInstances()"),
                Some(word(n).to_vec())
            );
            assert_eq!(query(&mut evm, at, "proofLength()"), Some(word(p).to_vec()));
        }
        assert_eq!(query(&mut evm, entry, "verifier()"), None);
        // A deployment cannot claim another commitment: the old constructor arguments
        // (verifier, numInstances, proofLength, commitment) are read past and ignored.
        let fake = [0xee; 32];
        let code = creation_with(
            b,
            "ZkinferVerifier",
            &[address_word(&entry), word(n), word(p), fake],
        );
        let (other, _) = evm.deploy(code).unwrap();
        assert_eq!(query(&mut evm, other, "modelCommitment()"), Some(digest(m)));
        // Nor point at something that is not a verifier.
        let (echo, _) = evm.deploy(creation(ECHO)).unwrap();
        let (zero, _) = evm.deploy(creation(ZERO_WORD)).unwrap();
        for target in [CODELESS, echo, zero] {
            let code = creation_with(b, "ZkinferVerifier", &[address_word(&target)]);
            assert!(evm.deploy(code).is_err());
        }
    }
}

/// Malformed encodings of `verifyProof(proof, instances)` for `m`.
fn malformed(m: &Prepared) -> Vec<(&'static str, Vec<u8>)> {
    let canonical = verify_proof_calldata(&m.proof, &m.instances);
    let set = |at: usize, w: [u8; 32]| {
        let mut d = canonical.clone();
        d[at..at + 32].copy_from_slice(&w);
        d
    };
    let p = m.proof.len();
    let mut trailing = canonical.clone();
    trailing.extend_from_slice(&[0; 32]);
    let mut longer = m.proof.clone();
    longer.extend_from_slice(&[0; 32]);
    let words: Vec<[u8; 32]> = m.instances.iter().map(fr_to_word).collect();
    vec![
        ("one byte short", canonical[..canonical.len() - 1].to_vec()),
        ("the head only", canonical[..4 + 64].to_vec()),
        ("the selector only", canonical[..4].to_vec()),
        (
            "proof offset 2^255",
            set(4, {
                let mut w = [0; 32];
                w[0] = 0x80;
                w
            }),
        ),
        (
            "proof offset past the end",
            set(4, word(canonical.len() as u128)),
        ),
        ("instances offset past the end", set(36, word(1 << 64))),
        ("proof length 2^256 - 1", set(68, [0xff; 32])),
        (
            "proof length past the end",
            set(68, word(canonical.len() as u128)),
        ),
        ("instance count 2^64", set(4 + 96 + p, word(1 << 64))),
        (
            "instance count one more than sent",
            set(4 + 96 + p, word(m.instances.len() as u128 + 1)),
        ),
        (
            "one instance missing",
            verify_proof_calldata_words(&m.proof, &words[1..]),
        ),
        (
            "a proof 32 bytes too long",
            verify_proof_calldata_words(&longer, &words),
        ),
        ("32 trailing bytes", trailing),
        (
            "the instances before the proof",
            super::reordered_calldata(&canonical, p),
        ),
    ]
}

#[test]
fn malformed_verify_proof_calls_return_false() {
    for name in ["digits_mlp16", "cnn_chain"] {
        let m = model(name);
        let mut evm = LocalEvm::new();
        let at = deploy(&mut evm, &m.bundle).last().unwrap().1;
        let honest = verify_proof_calldata(&m.proof, &m.instances);
        assert_eq!(
            verify(&mut evm, at, honest),
            Some(true),
            "{name}: honest call"
        );
        for (what, data) in malformed(m) {
            let out = evm.call(at, data).unwrap();
            assert!(out.success, "{name}: {what}: reverted");
            assert_eq!(out.output, [0u8; 32], "{name}: {what}: not false");
        }
        // Not verifyProof at all: reverts like a missing function.
        assert!(!evm.call(at, vec![0xde, 0xad, 0xbe, 0xef]).unwrap().success);
        assert!(!evm.call(at, Vec::new()).unwrap().success);
    }
}
