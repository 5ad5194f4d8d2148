//! `paramCommitment(bytes proof)` on a small circuit of its own: four advice columns
//! `a, b, c, d` with the gate `q·(a·b + c − d) = 0` and `d` of the last row public; `b, c`
//! (columns 1 and 2) are committed, i.e. left unblinded by the prover.
//!
//! For each shape of the generated contracts (the single inlined contract, the wrapper in
//! front of the unsplit verifier, the wrapper in front of a split one) deployed in revm:
//! `verifyProof` accepts the proof, `paramCommitment(proof)` is
//! `commitment_digest(advice_commitments(proof, Keccak, 4, [1, 2]))`, which is also the digest
//! of the columns' native commitments; a byte changed inside the committed slice changes the
//! digest and fails `verifyProof`; malformed calls and short proofs give 0 without a revert;
//! a proof with an invalid G1 point (off the curve, or a coordinate `≥ p`) gives false
//! without a revert, for less gas than the valid proof's 1.5 times.
//! Needs solc 0.8.19 (`.ci/install-evm-tools.sh`, or `ZKINFER_SOLC`).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::time::Instant;

use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use halo2_base::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, Advice, Circuit, Column, ConstraintSystem, Error, Instance,
    ProvingKey, Selector,
};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::halo2_proofs::transcript::TranscriptWriterBuffer;
use prover::committed::{column_commitment, UnblindingRng};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use snark_verifier_sdk::snark_verifier::loader::native::NativeLoader;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::{
    ChallengeEvm, EvmTranscript,
};
use solidity::bundle::Address;
use solidity::calldata::{
    decode_bool, keccak256, param_commitment_calldata, selector, verify_proof_calldata,
};
use solidity::local::LocalEvm;
use solidity::param_commitment::PARAM_RANGE_SIGNATURE;
use solidity::{
    generate_verifier, generate_verifier_with, Bundle, CommittedColumns, GeneratedVerifier, Solc,
    VerifierOptions, WRAPPER_CONTRACT,
};
use verifier::committed::{advice_commitments, commitment_digest, point_xy_be};
use verifier::{verify_halo2_proof, TranscriptKind};

/// 64 rows, 6 of them blinding rows.
const K: u32 = 6;
const ROWS: usize = 10;
const NUM_ADVICE: usize = 4;
/// Columns `b` and `c`.
const COMMITTED: [usize; 2] = [1, 2];

#[derive(Clone, Debug)]
struct MacConfig {
    advice: [Column<Advice>; NUM_ADVICE],
    q: Selector,
    out: Column<Instance>,
}

/// `rows[i] = [a, b, c, a·b + c]`; `b, c` play the model's weights.
#[derive(Clone, Debug, Default)]
struct MacCircuit {
    rows: Vec<[Fr; NUM_ADVICE]>,
}

impl Circuit<Fr> for MacCircuit {
    type Config = MacConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> MacConfig {
        let advice = [(); NUM_ADVICE].map(|()| meta.advice_column());
        let q = meta.selector();
        let out = meta.instance_column();
        meta.enable_equality(advice[3]);
        meta.enable_equality(out);
        meta.create_gate("mac", |m| {
            let q = m.query_selector(q);
            let [a, b, c, d] = advice.map(|col| m.query_advice(col, Rotation::cur()));
            // q·(a·b + c − d) = 0
            vec![q * (a * b + c - d)]
        });
        MacConfig { advice, q, out }
    }

    fn synthesize(&self, config: MacConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let last = layouter.assign_region(
            || "mac",
            |mut region| {
                let mut last = None;
                for (i, row) in self.rows.iter().enumerate() {
                    config.q.enable(&mut region, i)?;
                    for (col, v) in config.advice.iter().zip(row) {
                        let cell = region.assign_advice(*col, i, Value::known(*v));
                        last = Some(cell.cell());
                    }
                }
                Ok(last)
            },
        )?;
        if let Some(cell) = last {
            // d of the last row = instance[0]
            layouter.constrain_instance(cell, config.out, 0);
        }
        Ok(())
    }
}

fn circuit() -> MacCircuit {
    let rows = (0..ROWS as u64)
        .map(|i| {
            let (a, b, c) = (Fr::from(i + 1), Fr::from(7 * i + 3), Fr::from(5 * i + 11));
            [a, b, c, a * b + c]
        })
        .collect();
    MacCircuit { rows }
}

fn solc() -> Solc {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/solc");
    let path = if local.is_file() {
        local
    } else {
        std::env::var_os("ZKINFER_SOLC")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                panic!(
                    "solc 0.8.19 not found: run .ci/install-evm-tools.sh, or point \
                     ZKINFER_SOLC at a solc 0.8.19"
                )
            })
    };
    Solc { path }
}

/// A Keccak-transcript SHPLONK proof with `COMMITTED` unblinded, checked natively.
fn prove(params: &ParamsKZG<Bn256>, pk: &ProvingKey<G1Affine>, c: &MacCircuit) -> Vec<u8> {
    let instances = [c.rows[ROWS - 1][3]];
    let inst: &[&[Fr]] = &[&instances];
    let rng =
        UnblindingRng::for_verifying_key(ChaCha20Rng::from_seed([9; 32]), pk.get_vk(), &COMMITTED)
            .unwrap();
    let mut w = EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::init(Vec::new());
    create_proof::<
        KZGCommitmentScheme<Bn256>,
        ProverSHPLONK<'_, Bn256>,
        ChallengeEvm<G1Affine>,
        _,
        _,
        _,
    >(params, pk, std::slice::from_ref(c), &[inst], rng, &mut w)
    .unwrap();
    let proof = w.finalize();
    verify_halo2_proof(
        params,
        pk.get_vk(),
        TranscriptKind::Keccak,
        &proof,
        &instances,
    )
    .unwrap();
    proof
}

fn call(evm: &mut LocalEvm, to: Address, data: Vec<u8>) -> Vec<u8> {
    let out = evm.call(to, data).unwrap();
    assert!(out.success, "reverted: {out:?}");
    out.output
}

fn verifies(evm: &mut LocalEvm, to: Address, proof: &[u8], instances: &[Fr]) -> bool {
    decode_bool(&call(evm, to, verify_proof_calldata(proof, instances))).unwrap()
}

fn digest(evm: &mut LocalEvm, to: Address, proof: &[u8]) -> [u8; 32] {
    raw_digest(evm, to, param_commitment_calldata(proof))
}

fn raw_digest(evm: &mut LocalEvm, to: Address, data: Vec<u8>) -> [u8; 32] {
    call(evm, to, data).try_into().unwrap()
}

/// Every check on one deployed shape of `bundle`.
fn check_shape(bundle: &Bundle, proof: &[u8], instances: &[Fr], expected: [u8; 32]) {
    let mut evm = LocalEvm::new();
    let deployed = evm.deploy_bundle(bundle).unwrap();
    let (name, to, _) = deployed.last().unwrap();
    assert_eq!(name, WRAPPER_CONTRACT);
    let to = *to;
    let shape = format!("{} contract(s)", deployed.len());

    let ok = evm
        .call(to, verify_proof_calldata(proof, instances))
        .unwrap();
    assert_eq!(decode_bool(&ok.output), Some(true), "{shape}");
    // The same calldata size with an unknown selector: what the call costs before running.
    let mut other = param_commitment_calldata(proof);
    other[..4].copy_from_slice(&selector("numInstances()"));
    println!(
        "{shape}: proof {} bytes, verifyProof gas {}",
        proof.len(),
        ok.gas_used
    );
    let out = evm.call(to, param_commitment_calldata(proof)).unwrap();
    assert!(out.success);
    assert_eq!(
        <[u8; 32]>::try_from(out.output).unwrap(),
        expected,
        "{shape}"
    );
    let base = evm.call(to, other).unwrap();
    assert!(base.success);
    println!(
        "{shape}: paramCommitment gas {} (a getter with the same calldata size: {})",
        out.gas_used, base.gas_used
    );

    // Column 2's commitment replaced by its negation (still a curve point): another
    // digest, and verifyProof false.
    let range = CommittedColumns { first: 1, count: 2 }.proof_range();
    let mut negated = proof.to_vec();
    let point = advice_commitments(proof, TranscriptKind::Keccak, NUM_ADVICE, &[2]).unwrap()[0];
    negated[range.end - 64..range.end].copy_from_slice(&point_xy_be(&-point));
    let d = digest(&mut evm, to, &negated);
    assert_ne!(d, expected, "{shape}");
    assert_eq!(d, keccak256(&negated[range.clone()]));
    assert!(!verifies(&mut evm, to, &negated, instances), "{shape}");
    // One byte changed inside the slice (y of column 2, now off the curve): another digest,
    // and verifyProof returns false, without a revert and without burning the gas (no
    // precompile runs once a point failed validation).
    let mut tampered = proof.to_vec();
    tampered[range.end - 1] ^= 1;
    let d = digest(&mut evm, to, &tampered);
    assert_ne!(d, expected, "{shape}");
    assert_eq!(d, keccak256(&tampered[range.clone()]));
    rejected_cheaply(&mut evm, to, &tampered, instances, ok.gas_used, &shape);
    bad_points_are_rejected_cheaply(&mut evm, to, proof, instances, ok.gas_used, &shape);
    // Column 3 (outside the slice) negated: the same digest (only the slice counts), proof
    // rejected.
    let mut outside = proof.to_vec();
    let point = advice_commitments(proof, TranscriptKind::Keccak, NUM_ADVICE, &[3]).unwrap()[0];
    outside[range.end..range.end + 64].copy_from_slice(&point_xy_be(&-point));
    assert_eq!(digest(&mut evm, to, &outside), expected);
    assert!(!verifies(&mut evm, to, &outside, instances), "{shape}");

    // Proofs of exactly the slice's end, or longer: the digest; one byte short: 0.
    assert_eq!(digest(&mut evm, to, &proof[..range.end]), expected);
    assert_eq!(digest(&mut evm, to, &proof[..range.end - 1]), [0; 32]);
    assert_eq!(digest(&mut evm, to, &[]), [0; 32]);
    let mut longer = proof.to_vec();
    longer.push(7);
    assert_eq!(digest(&mut evm, to, &longer), expected);

    // Malformed calls: 0, never a revert.
    let good = param_commitment_calldata(proof);
    let sel = selector("paramCommitment(bytes)").to_vec();
    let mut wrong_offset = good.clone();
    wrong_offset[4 + 31] = 0x40;
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0; 32]);
    let mut truncated = good.clone();
    truncated.pop();
    let mut huge_len = good.clone();
    huge_len[4 + 32..4 + 64].copy_from_slice(&[0xff; 32]);
    for (what, data) in [
        ("selector only", sel.clone()),
        ("wrong offset", wrong_offset),
        ("trailing word", trailing),
        ("truncated", truncated),
        ("length 2^256 - 1", huge_len),
    ] {
        assert_eq!(raw_digest(&mut evm, to, data), [0; 32], "{shape}: {what}");
    }
    // The other queries still answer.
    let n = call(&mut evm, to, selector("numInstances()").to_vec());
    assert_eq!(n[31], 1);
}

/// `verifyProof(proof)` returns false (no revert) for less than 1.5 times `honest_gas`, also
/// when given only `honest_gas` (what the valid proof used).
fn rejected_cheaply(
    evm: &mut LocalEvm,
    to: Address,
    proof: &[u8],
    instances: &[Fr],
    honest_gas: u64,
    what: &str,
) {
    let data = verify_proof_calldata(proof, instances);
    // EIP-7623 (Prague): a transaction pays at least 21,000 + 10 per calldata token (a zero
    // byte is one token, another byte four).
    let floor = 21_000
        + 10 * data
            .iter()
            .map(|&b| if b == 0 { 1 } else { 4 })
            .sum::<u64>();
    let out = evm.call(to, data.clone()).unwrap();
    assert!(out.success, "{what}: reverted: {out:?}");
    assert_eq!(decode_bool(&out.output), Some(false), "{what}");
    assert!(
        out.gas_used * 2 < honest_gas * 3,
        "{what}: gas {} vs {honest_gas} for the valid proof",
        out.gas_used
    );
    let limited = evm.call_with_gas(to, data, honest_gas).unwrap();
    assert!(
        limited.success,
        "{what}: reverted with {honest_gas} gas: {limited:?}"
    );
    assert_eq!(decode_bool(&limited.output), Some(false), "{what}");
    println!(
        "{what}: false, gas {} (calldata floor {floor}; valid proof: {honest_gas})",
        out.gas_used
    );
}

/// `a + b` of 32-byte big-endian words (no overflow for the values used here).
fn add_be(a: &[u8], b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// A canonical big-endian base field element.
fn fq(be: &[u8]) -> Fq {
    let mut le: [u8; 32] = be.try_into().unwrap();
    le.reverse();
    Fq::from_bytes(&le).unwrap()
}

/// The BN254 base field modulus `p`, big-endian hex.
const P: &str = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

/// Invalid G1 points in place of the first advice commitment (column 0) and of the proof's
/// last point: `(1, 3)` (off the curve) and the valid point with `x + p` or `y + p` (on the
/// curve mod p, but not canonical; the precompiles refuse it). Each gives false, cheaply.
fn bad_points_are_rejected_cheaply(
    evm: &mut LocalEvm,
    to: Address,
    proof: &[u8],
    instances: &[Fr],
    honest_gas: u64,
    shape: &str,
) {
    let p = hex::decode(P).unwrap();
    let mut one_three = [0u8; 64];
    one_three[31] = 1;
    one_three[63] = 3;
    let first = CommittedColumns { first: 0, count: 1 }.proof_range();
    let last = proof.len() - 64..proof.len();
    for (at, range) in [("column 0", first), ("the last point", last)] {
        let (x, y) = proof[range.clone()].split_at(32);
        assert!(
            bool::from(G1Affine::from_xy(fq(x), fq(y)).is_some()),
            "{at}"
        );
        let x_plus_p = [add_be(x, &p).as_slice(), y].concat();
        let y_plus_p = [x, add_be(y, &p).as_slice()].concat();
        for (what, point) in [
            ("(1, 3)", one_three.to_vec()),
            ("x + p", x_plus_p),
            ("y + p", y_plus_p),
        ] {
            let mut bad = proof.to_vec();
            bad[range.clone()].copy_from_slice(&point);
            let what = format!("{shape}: {what} as {at}");
            rejected_cheaply(evm, to, &bad, instances, honest_gas, &what);
        }
    }
    // The valid proof still verifies after all that.
    assert!(verifies(evm, to, proof, instances), "{shape}");
}

#[test]
fn param_commitment_is_the_committed_columns_digest_in_every_shape() {
    let t = Instant::now();
    let params = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::from_seed([7; 32]));
    let c = circuit();
    let vk = keygen_vk(&params, &c).unwrap();
    let pk = keygen_pk(&params, vk, &c).unwrap();
    let proof = prove(&params, &pk, &c);
    let instances = [c.rows[ROWS - 1][3]];
    let vk = pk.get_vk();

    // What a verifier reads from the proof, and what the owner computes from the weights.
    let points =
        advice_commitments(&proof, TranscriptKind::Keccak, NUM_ADVICE, &COMMITTED).unwrap();
    let expected = commitment_digest(&points);
    let natives: Vec<G1Affine> = COMMITTED
        .iter()
        .map(|&col| {
            let values: Vec<Fr> = c.rows.iter().map(|r| r[col]).collect();
            column_commitment(&params, vk, &values).unwrap()
        })
        .collect();
    assert_eq!(commitment_digest(&natives), expected);

    let committed = CommittedColumns::from_indices(&COMMITTED).unwrap();
    let opts = VerifierOptions {
        committed,
        ..Default::default()
    };
    let generated: GeneratedVerifier = generate_verifier_with(&params, vk, 1, &opts).unwrap();
    assert_eq!(generated.proof_len, proof.len());
    // Every precompile call runs only while the proof still passes.
    let calls = generated.source.matches("staticcall(").count();
    let guarded = "if success { success := and(eq(staticcall(gas(), ";
    assert_eq!(generated.source.matches(guarded).count(), calls);
    println!("{calls} precompile calls, each guarded");
    assert_eq!(committed.unwrap().digest(&proof), expected);
    println!("setup + prove + generate: {:.2?}", t.elapsed());

    let solc = solc();
    let digest = [0x5a; 32];
    // The single contract.
    let t = Instant::now();
    let single = Bundle::new(&generated, digest, Some(&solc)).unwrap();
    assert!(single.is_single_contract());
    check_shape(&single, &proof, &instances, expected);
    // Its ABI lists paramCommitment.
    let dir = tempfile::tempdir().unwrap();
    single.write(dir.path()).unwrap();
    assert_abi(dir.path(), solidity::INLINE_ABI);
    assert_eq!(Bundle::read(dir.path()).unwrap().committed, committed);
    println!("single contract: {:.2?}", t.elapsed());
    // The wrapper in front of the whole verifier, and of a split one.
    for parts in [1, 2] {
        let t = Instant::now();
        let wrapped = Bundle::assemble(&generated, digest, parts, Some(&solc)).unwrap();
        assert_eq!(wrapped.contracts.len(), parts + 1);
        check_shape(&wrapped, &proof, &instances, expected);
        let dir = tempfile::tempdir().unwrap();
        wrapped.write(dir.path()).unwrap();
        assert_abi(dir.path(), solidity::WRAPPER_ABI);
        let entry = &wrapped.contracts[parts - 1];
        let range = call_range(&wrapped, &entry.name);
        assert_eq!(range, (64, 128));
        println!("wrapper, {parts} part(s): {:.2?}", t.elapsed());
    }
}

/// The ABI written into `dir` (from solc's output) is `documented` plus `paramCommitment`.
fn assert_abi(dir: &std::path::Path, documented: &str) {
    let text = std::fs::read_to_string(dir.join("ZkinferVerifier.abi.json")).unwrap();
    let sorted = |v: serde_json::Value| {
        let mut items: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.to_string())
            .collect();
        items.sort();
        items
    };
    let mut want: serde_json::Value = serde_json::from_str(documented).unwrap();
    want.as_array_mut()
        .unwrap()
        .push(serde_json::from_str(solidity::PARAM_COMMITMENT_ABI).unwrap());
    assert_eq!(sorted(serde_json::from_str(&text).unwrap()), sorted(want));
}

/// `paramCommitmentRange()` of the bundle's contract `name`.
fn call_range(bundle: &Bundle, name: &str) -> (u64, u64) {
    let mut evm = LocalEvm::new();
    let deployed = evm.deploy_bundle(bundle).unwrap();
    let (_, to, _) = deployed.iter().find(|(n, _, _)| n == name).unwrap();
    let out = call(&mut evm, *to, selector(PARAM_RANGE_SIGNATURE).to_vec());
    assert_eq!(out.len(), 64);
    let word = |w: &[u8]| u64::from_be_bytes(w[24..32].try_into().unwrap());
    (word(&out[..32]), word(&out[32..]))
}

#[test]
fn without_committed_columns_nothing_changes_and_bad_ranges_are_refused() {
    let params = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::from_seed([7; 32]));
    let c = circuit();
    let vk = keygen_vk(&params, &c).unwrap();
    let plain = generate_verifier(&params, &vk, 1).unwrap();
    assert_eq!(plain.committed, None);
    let none = generate_verifier_with(&params, &vk, 1, &VerifierOptions::default()).unwrap();
    assert_eq!(none, plain);
    let committed = generate_verifier_with(
        &params,
        &vk,
        1,
        &VerifierOptions {
            committed: Some(CommittedColumns { first: 1, count: 2 }),
            ..Default::default()
        },
    )
    .unwrap();
    // The generated code is the same; only the entry contracts differ.
    assert_eq!(committed.source, plain.source);
    let plain_bundle = Bundle::assemble(&plain, [0; 32], 1, None).unwrap();
    let committed_bundle = Bundle::assemble(&committed, [0; 32], 1, None).unwrap();
    // The wrappers are the templates' code under the model's NatSpec.
    let code = |s: &str| s[s.find("contract ZkinferVerifier {").unwrap()..].to_string();
    assert_eq!(
        code(&plain_bundle.contracts[1].source),
        code(solidity::WRAPPER_SOURCE)
    );
    assert_eq!(
        code(&committed_bundle.contracts[1].source),
        code(solidity::WRAPPER_COMMITTED_SOURCE)
    );
    assert!(!plain_bundle.contracts[0]
        .source
        .contains("paramCommitmentRange"));
    // Columns past the advice columns, or none.
    for (first, count) in [(3, 2), (0, 0), (usize::MAX, 2)] {
        let opts = VerifierOptions {
            committed: Some(CommittedColumns { first, count }),
            ..Default::default()
        };
        assert!(
            generate_verifier_with(&params, &vk, 1, &opts).is_err(),
            "{first} {count}"
        );
    }
}
