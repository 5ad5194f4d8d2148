//! EVM verification of real proofs for `digits_mlp16` and `cnn_chain`: each model's
//! verifier is generated and compiled once (solc-js 0.8.19), then deployed to anvil
//! (127.0.0.1, free port) and to an in-process revm. A valid proof is accepted; a flipped
//! proof byte, a changed instance, a non-canonical instance and wrong lengths are rejected;
//! gas and code sizes are measured and printed as a table. `fail_closed` checks what
//! attackers try: wrong split parts, `s + r` proof scalars, a claimed model commitment,
//! malformed calls.
//!
//! Needs the tools of `.ci/install-evm-tools.sh`; without them the tests fail saying so.
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;
#[path = "evm_common/fail_closed.rs"]
mod fail_closed;

use std::sync::OnceLock;
use std::time::Instant;

use evm_common::{changed, flipped, prepare, tools, Anvil, Prepared, ANVIL_KEY};
use solidity::calldata::{
    decode_bool, fr_to_word, raw_calldata, verify_proof_calldata, verify_proof_calldata_words,
};
use solidity::local::LocalEvm;
use solidity::tx::Signer;
use solidity::EIP170_LIMIT;
use verifier::halo2::Fr;

static DIGITS: OnceLock<Prepared> = OnceLock::new();
static CNN: OnceLock<Prepared> = OnceLock::new();
static SIGMOID: OnceLock<Prepared> = OnceLock::new();

fn model(name: &str) -> &'static Prepared {
    let cell = match name {
        "digits_mlp16" => &DIGITS,
        "cnn_chain" => &CNN,
        "op_sigmoid" => &SIGMOID,
        _ => unreachable!(),
    };
    cell.get_or_init(|| {
        let p = prepare(name, &tools().solc);
        println!("{}", p.timings);
        p
    })
}

fn anvil(name: &str) {
    let tools = tools();
    let m = model(name);
    let t = Instant::now();
    let node = Anvil::start(&tools.anvil);
    let rpc = node.rpc();
    let signer = Signer::from_hex(ANVIL_KEY).unwrap();
    let deployed = rpc.deploy_bundle(&m.bundle, &signer).unwrap();
    for d in &deployed {
        let code = rpc.code(&d.address).unwrap();
        assert!(
            !code.is_empty() && code.len() <= EIP170_LIMIT,
            "{}: {} bytes",
            d.name,
            code.len()
        );
    }
    let wrapper = deployed.last().unwrap().address;
    let call = |proof: &[u8], instances: &[Fr]| {
        decode_bool(
            &rpc.call(&wrapper, &verify_proof_calldata(proof, instances))
                .unwrap(),
        )
        .unwrap()
    };
    assert!(
        call(&m.proof, &m.instances),
        "{name}: valid proof rejected on anvil"
    );
    assert!(
        !call(&flipped(&m.proof), &m.instances),
        "{name}: flipped proof byte accepted"
    );
    assert!(
        !call(&m.proof, &changed(&m.instances)),
        "{name}: changed instance accepted"
    );
    let gas = rpc
        .estimate_gas(
            None,
            Some(&wrapper),
            &verify_proof_calldata(&m.proof, &m.instances),
        )
        .unwrap();
    // Behind a wrapper, the generated verifier itself reverts on a bad proof.
    if deployed.len() >= 2 {
        let entry = deployed[deployed.len() - 2].address;
        assert!(rpc
            .call(&entry, &raw_calldata(&m.instances, &m.proof))
            .is_ok());
        assert!(rpc
            .call(&entry, &raw_calldata(&m.instances, &flipped(&m.proof)))
            .is_err());
    }
    println!(
        "{name} on anvil: {} contracts deployed, verifyProof gas (eth_estimateGas) {gas}, {:.2?}",
        deployed.len(),
        t.elapsed()
    );
}

#[test]
fn anvil_digits_mlp16() {
    anvil("digits_mlp16");
}

#[test]
fn anvil_cnn_chain() {
    anvil("cnn_chain");
}

/// A model with a function table: the gas layout then has one lookup argument (the table
/// `(tag, x, y, z)`), which the generated verifier must check like any other.
#[test]
fn anvil_op_sigmoid() {
    anvil("op_sigmoid");
}

/// Gas and sizes of one model in revm.
struct Row {
    name: String,
    k: u32,
    instances: usize,
    proof: usize,
    sizes: Vec<(String, usize)>,
    gas: u64,
    unsplit_gas: Option<u64>,
    unsplit_size: usize,
}

fn revm(name: &str) -> Row {
    let t = Instant::now();
    let m = model(name);
    let mut evm = LocalEvm::new();
    let deployed = evm.deploy_bundle(&m.bundle).unwrap();
    let wrapper = deployed.last().unwrap().1;
    let mut call = |data: Vec<u8>| {
        let out = evm.call(wrapper, data).unwrap();
        assert!(out.success, "{name}: verifyProof reverted");
        (decode_bool(&out.output).unwrap(), out.gas_used)
    };
    let (ok, gas) = call(verify_proof_calldata(&m.proof, &m.instances));
    assert!(ok, "{name}: valid proof rejected in revm");
    assert!(
        !call(verify_proof_calldata(&flipped(&m.proof), &m.instances)).0,
        "{name}: flipped byte"
    );
    assert!(
        !call(verify_proof_calldata(&m.proof, &changed(&m.instances))).0,
        "{name}: changed instance"
    );
    // x + r encodes the same scalar as x: the wrapper rejects the non-canonical form.
    let mut words: Vec<[u8; 32]> = m.instances.iter().map(fr_to_word).collect();
    let r = fr_to_word(&-Fr::one()); // r - 1
    let (x, carry) = add_words(&words[0], &r);
    assert!(!carry);
    let (x, carry) = add_words(&x, &one_word());
    assert!(!carry);
    words[0] = x;
    assert!(
        !call(verify_proof_calldata_words(&m.proof, &words)).0,
        "{name}: x + r accepted"
    );
    let mut longer = m.proof.clone();
    longer.push(0);
    assert!(
        !call(verify_proof_calldata(&longer, &m.instances)).0,
        "{name}: trailing byte"
    );
    assert!(
        !call(verify_proof_calldata(&m.proof, &m.instances[1..])).0,
        "{name}: instance missing"
    );
    // Valid but non-canonical ABI encodings: 32 trailing bytes, and the instances placed
    // before the proof. Both shapes accept the canonical encoding only (see
    // fail_closed::malformed_verify_proof_calls_return_false for more).
    let canonical = verify_proof_calldata(&m.proof, &m.instances);
    let mut trailing = canonical.clone();
    trailing.extend_from_slice(&[0u8; 32]);
    assert!(!call(trailing).0, "{name}: trailing calldata");
    assert!(
        !call(reordered_calldata(&canonical, m.proof.len())).0,
        "{name}: instances before the proof"
    );
    // Too little gas for the verifier: the wrapper reverts instead of answering false.
    let low = evm
        .call_with_gas(
            wrapper,
            verify_proof_calldata(&m.proof, &m.instances),
            // Above the calldata floor (EIP-7623), below what verification needs.
            gas * 3 / 4,
        )
        .unwrap();
    assert!(
        !low.success,
        "{name}: out of gas must revert, not return false"
    );

    // The unsplit generated contract (snark-verifier's code with canonical scalar reads)
    // behind the wrapper, run on a chain without the EIP-170 limit: what splitting costs.
    let unsplit =
        solidity::Bundle::assemble(&m.generated, m.key.digest(), 1, Some(&tools().solc)).unwrap();
    let unsplit_size = unsplit.contracts[0]
        .compiled
        .as_ref()
        .unwrap()
        .runtime
        .len();
    let mut big = LocalEvm::without_code_size_limit();
    let unsplit_gas = big.deploy_bundle(&unsplit).ok().and_then(|d| {
        let out = big
            .call(
                d.last().unwrap().1,
                verify_proof_calldata(&m.proof, &m.instances),
            )
            .ok()?;
        (decode_bool(&out.output) == Some(true)).then_some(out.gas_used)
    });
    assert!(
        unsplit_gas.is_some(),
        "{name}: the unsplit verifier rejects the proof"
    );
    // One contract (the generated code inside ZkinferVerifier) whenever it fits with room
    // for the argument checks.
    if unsplit_size + 1024 <= EIP170_LIMIT {
        assert_eq!(
            m.bundle.contracts.len(),
            1,
            "{name}: not a single contract although it fits"
        );
    }
    println!("{name} in revm: {:.2?}", t.elapsed());
    Row {
        name: name.into(),
        k: m.key.k(),
        instances: m.instances.len(),
        proof: m.proof.len(),
        sizes: m.bundle.runtime_sizes().into_iter().collect(),
        gas,
        unsplit_gas,
        unsplit_size,
    }
}

/// The same arguments as `canonical` (from `verify_proof_calldata`, proof of `proof_len`
/// bytes, a multiple of 32) with the instance array's data placed before the proof's.
fn reordered_calldata(canonical: &[u8], proof_len: usize) -> Vec<u8> {
    let word = |v: usize| {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&(v as u64).to_be_bytes());
        w
    };
    // selector | offset of proof | offset of instances | proof (len, data) | instances (len, data)
    let (proof_part, inst_part) = canonical[4 + 64..].split_at(32 + proof_len);
    let mut out = canonical[..4].to_vec();
    out.extend_from_slice(&word(0x40 + inst_part.len()));
    out.extend_from_slice(&word(0x40));
    out.extend_from_slice(inst_part);
    out.extend_from_slice(proof_part);
    out
}

fn one_word() -> [u8; 32] {
    let mut w = [0u8; 32];
    w[31] = 1;
    w
}

/// Big-endian 256-bit addition with carry out.
fn add_words(a: &[u8; 32], b: &[u8; 32]) -> ([u8; 32], bool) {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    (out, carry != 0)
}

/// Measures both models in revm and prints the gas / size table (the EVM benchmark).
#[test]
fn revm_gas_table() {
    let rows: Vec<Row> = ["digits_mlp16", "cnn_chain"]
        .iter()
        .map(|n| revm(n))
        .collect();
    println!("\n| model | k | instances | proof bytes | verifyProof gas (tx) | unsplit gas | unsplit runtime bytes | contracts (runtime bytes) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for r in &rows {
        let sizes: Vec<String> = r.sizes.iter().map(|(n, s)| format!("{n} {s}")).collect();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.k,
            r.instances,
            r.proof,
            r.gas,
            r.unsplit_gas.map_or("-".into(), |g| g.to_string()),
            r.unsplit_size,
            sizes.join(", ")
        );
        assert!(r.sizes.iter().all(|(_, s)| *s <= EIP170_LIMIT));
    }
}

/// The native verifier accepts Keccak proofs and still checks them.
#[test]
fn native_verifier_accepts_keccak_proofs() {
    let m = model("digits_mlp16");
    // The local SRS these tests set up with is insecure: allowed explicitly.
    let allow = zkinfer::VerifyOptions {
        allow_insecure_srs: true,
    };
    zkinfer::verify_with(&m.dir, &m.artifact, &allow).unwrap();
    let mut wrong = m.artifact.clone();
    wrong.transcript = "blake2b".into();
    assert!(
        zkinfer::verify_with(&m.dir, &wrong, &allow).is_err(),
        "a Keccak proof checked as Blake2b"
    );
    let mut alias = m.artifact.clone();
    alias.transcript = "evm".into();
    zkinfer::verify_with(&m.dir, &alias, &allow).unwrap();
    let mut bad = m.artifact.clone();
    bad.proof = hex::encode(flipped(&m.proof));
    assert!(zkinfer::verify_with(&m.dir, &bad, &allow).is_err());
    let mut trailing = m.artifact.clone();
    trailing.proof.push_str("00");
    assert!(zkinfer::verify_with(&m.dir, &trailing, &allow).is_err());
    // Malformed Keccak proofs are errors, never panics.
    let keccak = verifier::TranscriptKind::Keccak;
    let mut garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        m.proof[..m.proof.len() - 1].to_vec(),
        vec![0xff; m.proof.len()],
        vec![0; m.proof.len()],
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    garbage.push(
        (0..m.proof.len())
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect(),
    );
    for g in &garbage {
        assert!(m.key.verify(keccak, g, &m.instances).is_err());
    }
    m.key.verify(keccak, &m.proof, &m.instances).unwrap();
}
