//! A verifier with 800 public instances (LeNet-5 has 794) and a lookup, on a circuit of its
//! own: advice `a` (copied to the instances), `b = a²` by a gate, `b` looked up in a fixed
//! table `0..256`.
//!
//! * Every contract of the bundle [`Bundle::new`] makes compiles with stock solc 0.8.19
//!   (optimizer off), is under the EIP-170 limit (revm enforces it at deployment) and
//!   verifies; a changed instance or proof byte gives false.
//! * The same verifier cut into 12 contracts (11 parts behind the entry) compiles too.
//!   Before the part addresses moved from Solidity locals to memory, seven or more parts put
//!   the entry over solc's 16-slot stack reach ("Stack too deep", as on LeNet-5's
//!   verifier), so this is the test that fails if that comes back.
//! * `ZkinferVerifier`'s NatSpec names the model, the instance layout and the gas;
//!   rewritten with the measured gas ([`Bundle::set_natspec`]) and compiled again, the
//!   contract costs exactly the same gas.
//!
//! Needs solc 0.8.19 (`.ci/install-evm-tools.sh`, or `ZKINFER_SOLC`).
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;
use std::time::Instant;

use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, Advice, Circuit, Column, ConstraintSystem, Error, Fixed,
    Instance, Selector,
};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::halo2_proofs::transcript::TranscriptWriterBuffer;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use snark_verifier_sdk::snark_verifier::loader::native::NativeLoader;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::{
    ChallengeEvm, EvmTranscript,
};
use solidity::calldata::{decode_bool, verify_proof_calldata};
use solidity::local::LocalEvm;
use solidity::{
    generate_verifier_with, Bundle, NatSpec, Solc, VerifierOptions, EIP170_LIMIT, WRAPPER_CONTRACT,
};
use verifier::{verify_halo2_proof, TranscriptKind};

/// 1024 rows: 800 public ones and the 256-row table fit.
const K: u32 = 10;
const N: usize = 800;
const TABLE: u64 = 256;

#[derive(Clone, Debug)]
struct WideConfig {
    a: Column<Advice>,
    b: Column<Advice>,
    t: Column<Fixed>,
    q: Selector,
    out: Column<Instance>,
}

#[derive(Clone, Debug, Default)]
struct WideCircuit {
    a: Vec<Fr>,
}

impl Circuit<Fr> for WideCircuit {
    type Config = WideConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> WideConfig {
        let (a, b) = (meta.advice_column(), meta.advice_column());
        let t = meta.fixed_column();
        let q = meta.selector();
        let out = meta.instance_column();
        meta.enable_equality(a);
        meta.enable_equality(out);
        meta.create_gate("square", |m| {
            let q = m.query_selector(q);
            let a = m.query_advice(a, Rotation::cur());
            let b = m.query_advice(b, Rotation::cur());
            vec![q * (a.clone() * a - b)]
        });
        meta.lookup_any("b in table", |m| {
            vec![(
                m.query_advice(b, Rotation::cur()),
                m.query_fixed(t, Rotation::cur()),
            )]
        });
        WideConfig { a, b, t, q, out }
    }

    fn synthesize(&self, c: WideConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let cells = layouter.assign_region(
            || "rows",
            |mut region| {
                for i in 0..TABLE as usize {
                    region.assign_fixed(c.t, i, Fr::from(i as u64));
                }
                let mut cells = Vec::new();
                for (i, a) in self.a.iter().enumerate() {
                    c.q.enable(&mut region, i)?;
                    let cell = region.assign_advice(c.a, i, Value::known(*a));
                    region.assign_advice(c.b, i, Value::known(*a * a));
                    cells.push(cell.cell());
                }
                Ok(cells)
            },
        )?;
        for (i, cell) in cells.into_iter().enumerate() {
            layouter.constrain_instance(cell, c.out, i);
        }
        Ok(())
    }
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

/// The layout a 784-input, 10-output model with hashed parameters would label.
fn natspec() -> NatSpec {
    NatSpec {
        model: "wide800".into(),
        instances: vec![
            (0..784, "public input \"x\" [1, 784]".into()),
            (784..794, "public output \"y\" [1, 10]".into()),
            (799..800, "parameter hash (Poseidon)".into()),
        ],
        predicted_gas: Some(1_000_000),
        measured_gas: None,
    }
}

/// Deploys `bundle` in a fresh revm and returns the `ZkinferVerifier` address.
fn deploy(evm: &mut LocalEvm, bundle: &Bundle) -> solidity::Address {
    let deployed = evm.deploy_bundle(bundle).unwrap();
    let (name, to, _) = deployed.last().unwrap();
    assert_eq!(name, WRAPPER_CONTRACT);
    *to
}

/// `verifyProof`'s answer (a revert fails the test) and the transaction's gas.
fn verify(evm: &mut LocalEvm, to: solidity::Address, proof: &[u8], inst: &[Fr]) -> (bool, u64) {
    let out = evm.call(to, verify_proof_calldata(proof, inst)).unwrap();
    assert!(out.success, "reverted: {out:?}");
    (decode_bool(&out.output).unwrap(), out.gas_used)
}

/// Accepts the proof, rejects a changed instance and a changed proof byte; returns the gas
/// of the accepted call.
fn check(bundle: &Bundle, proof: &[u8], instances: &[Fr], what: &str) -> u64 {
    let sizes = bundle.runtime_sizes();
    assert_eq!(
        sizes.len(),
        bundle.contracts.len(),
        "{what}: not all compiled"
    );
    assert!(
        sizes.values().all(|s| *s <= EIP170_LIMIT),
        "{what}: {sizes:?}"
    );
    let mut evm = LocalEvm::new();
    let to = deploy(&mut evm, bundle);
    let (ok, gas) = verify(&mut evm, to, proof, instances);
    assert!(ok, "{what}: the valid proof was rejected");
    let mut changed = instances.to_vec();
    changed[N / 2] += Fr::one();
    assert!(
        !verify(&mut evm, to, proof, &changed).0,
        "{what}: changed instance"
    );
    let mut flipped = proof.to_vec();
    flipped[proof.len() / 2] ^= 1;
    assert!(
        !verify(&mut evm, to, &flipped, instances).0,
        "{what}: flipped byte"
    );
    println!(
        "{what}: {} contracts, runtime bytes {sizes:?}, verifyProof gas {gas}",
        bundle.contracts.len()
    );
    gas
}

#[test]
fn eight_hundred_instances_compile_with_stock_solc_in_every_split() {
    let t = Instant::now();
    let params = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::from_seed([3; 32]));
    let circuit = WideCircuit {
        a: (0..N as u64).map(|i| Fr::from(i % 16)).collect(),
    };
    let vk = keygen_vk(&params, &circuit).unwrap();
    let pk = keygen_pk(&params, vk, &circuit).unwrap();
    let instances = circuit.a.clone();
    let mut w = EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::init(Vec::new());
    create_proof::<
        KZGCommitmentScheme<Bn256>,
        ProverSHPLONK<'_, Bn256>,
        ChallengeEvm<G1Affine>,
        _,
        _,
        _,
    >(
        &params,
        &pk,
        std::slice::from_ref(&circuit),
        &[&[&instances]],
        ChaCha20Rng::from_seed([4; 32]),
        &mut w,
    )
    .unwrap();
    let proof = w.finalize();
    let vk = pk.get_vk();
    verify_halo2_proof(&params, vk, TranscriptKind::Keccak, &proof, &instances).unwrap();
    let options = VerifierOptions {
        natspec: natspec(),
        ..Default::default()
    };
    let generated = generate_verifier_with(&params, vk, N, &options).unwrap();
    assert_eq!(generated.proof_len, proof.len());
    println!(
        "setup + prove + generate: {:.2?}; {} bytes of Solidity",
        t.elapsed(),
        generated.source.len()
    );
    let solc = solc();
    let digest = [0x42; 32];

    // The bundle create-evm-verifier writes.
    let t = Instant::now();
    let mut bundle = Bundle::new(&generated, digest, Some(&solc)).unwrap();
    let compile_s = t.elapsed();
    let gas = check(&bundle, &proof, &instances, "Bundle::new");
    println!("Bundle::new compiled in {compile_s:.2?}");
    let doc = &bundle.entry().unwrap().source;
    let flat = doc.replace("\n/// ", " ");
    assert!(
        doc.contains("\n/// @title zkinfer verifier of wide800\n"),
        "{doc}"
    );
    for want in [
        "instances[0..784] public input \"x\" [1, 784]; instances[784..794] public output \
         \"y\" [1, 10]; instances[794..799] unlabelled; instances[799] parameter hash \
         (Poseidon).",
        "1,000,000 predicted by zkinfer's cost model (not measured).",
        "a number of instances other than 800",
        &format!("vk.bin sha256 0x{}", hex::encode(digest)),
    ] {
        assert!(flat.contains(want), "{want:?} missing from {doc}");
    }

    // The measured gas in the NatSpec: only ZkinferVerifier is compiled again, and it costs
    // exactly what was measured.
    let before: Vec<_> = bundle
        .contracts
        .iter()
        .map(|c| c.compiled.clone())
        .collect();
    let measured = NatSpec {
        measured_gas: Some((gas, "revm, this test's proof".into())),
        ..natspec()
    };
    let t = Instant::now();
    bundle.set_natspec(&measured, Some(&solc)).unwrap();
    println!(
        "set_natspec recompiled ZkinferVerifier in {:.2?}",
        t.elapsed()
    );
    let last = bundle.contracts.len() - 1;
    for (i, c) in bundle.contracts.iter().enumerate() {
        let same = c.compiled == before[i];
        assert_eq!(same, i != last, "{}", c.name);
    }
    let doc = bundle.entry().unwrap().source.replace("\n/// ", " ");
    let figure = solidity::natspec::thousands(gas);
    assert!(
        doc.contains(&format!(
            "{figure} measured (revm, this test's proof); 1,000,000 predicted"
        )),
        "{doc}"
    );
    assert_eq!(check(&bundle, &proof, &instances, "documented"), gas);

    // Twelve contracts: eleven parts behind the entry.
    let t = Instant::now();
    let many = Bundle::assemble(&generated, digest, 12, Some(&solc)).unwrap();
    let compile_s = t.elapsed();
    assert_eq!(many.contracts.len(), 13);
    let many_gas = check(&many, &proof, &instances, "12 contracts");
    println!(
        "12 contracts compiled in {compile_s:.2?}; {} gas more than Bundle::new's {}",
        many_gas as i64 - gas as i64,
        bundle.contracts.len()
    );
}
