//! Unblinded ("committed") advice columns on a small circuit of its own: three advice
//! columns `a, b, c` with the gate `q·(a·b − c) = 0` and `c` of the last row public.
//!
//! Pins the draw order `prover::committed::UnblindingRng` relies on: with the wrapper, the
//! chosen columns' commitments in real SHPLONK proofs (both transcripts) equal
//! `column_commitment` of their values, and every other column is still blinded.
#![allow(clippy::unwrap_used)]

use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_base::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, Advice, Circuit, Column, ConstraintSystem, Error, Instance,
    ProvingKey, SecondPhase, Selector,
};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::halo2_proofs::transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer};
use prover::committed::{column_commitment, usable_rows, UnblindingRng};
use prover::ProverError;
use rand::rngs::OsRng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};
use verifier::committed::{advice_commitments, commitment_digest, point_len};
use verifier::poseidon::{PoseidonChallenge, PoseidonTranscript};
use verifier::{verify_halo2_proof, TranscriptKind, VerifyError};

/// The circuit's k: 64 rows, 6 of them blinding rows.
const K: u32 = 6;
/// Rows holding values.
const ROWS: usize = 10;
/// Advice columns.
const NUM_ADVICE: usize = 3;

#[derive(Clone, Debug)]
struct MulConfig {
    advice: [Column<Advice>; NUM_ADVICE],
    q: Selector,
    out: Column<Instance>,
}

/// `rows[i] = [a, b, a·b]`; `b` plays the model's weights.
#[derive(Clone, Debug, Default)]
struct MulCircuit {
    rows: Vec<[Fr; NUM_ADVICE]>,
}

impl Circuit<Fr> for MulCircuit {
    type Config = MulConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        self.clone()
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> MulConfig {
        let advice = [
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
        ];
        let q = meta.selector();
        let out = meta.instance_column();
        meta.enable_equality(advice[2]);
        meta.enable_equality(out);
        meta.create_gate("mul", |m| {
            let q = m.query_selector(q);
            let [a, b, c] = advice.map(|col| m.query_advice(col, Rotation::cur()));
            // q·(a·b − c) = 0
            vec![q * (a * b - c)]
        });
        MulConfig { advice, q, out }
    }

    fn synthesize(&self, config: MulConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        let last = layouter.assign_region(
            || "mul",
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
            // c of the last row = instance[0]
            layouter.constrain_instance(cell, config.out, 0);
        }
        Ok(())
    }
}

/// `a = i + 1`, `b = 7(i + 1) + 3` (or `b = 0` when `zero_b`), `c = a·b`.
fn circuit(zero_b: bool) -> MulCircuit {
    let rows = (0..ROWS as u64)
        .map(|i| {
            let a = Fr::from(i + 1);
            let b = if zero_b {
                Fr::zero()
            } else {
                Fr::from(7 * (i + 1) + 3)
            };
            [a, b, a * b]
        })
        .collect();
    MulCircuit { rows }
}

fn column(c: &MulCircuit, col: usize) -> Vec<Fr> {
    c.rows.iter().map(|r| r[col]).collect()
}

struct Setup {
    params: ParamsKZG<Bn256>,
    pk: ProvingKey<G1Affine>,
}

fn setup() -> Setup {
    let params = ParamsKZG::<Bn256>::setup(K, ChaCha20Rng::from_seed([7; 32]));
    let c = circuit(false);
    let vk = keygen_vk(&params, &c).unwrap();
    let pk = keygen_pk(&params, vk, &c).unwrap();
    Setup { params, pk }
}

/// A SHPLONK proof of `c` with `rng`, which is checked to verify.
fn prove(s: &Setup, c: &MulCircuit, rng: impl RngCore, t: TranscriptKind) -> Vec<u8> {
    let instances = [c.rows[ROWS - 1][2]];
    let circuits = [c.clone()];
    let inst: &[&[Fr]] = &[&instances];
    let proof = match t {
        TranscriptKind::Blake2b => {
            let mut w = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
            create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
                &s.params,
                &s.pk,
                &circuits,
                &[inst],
                rng,
                &mut w,
            )
            .unwrap();
            w.finalize()
        }
        TranscriptKind::Keccak => {
            let mut w = EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::init(Vec::new());
            create_proof::<
                KZGCommitmentScheme<Bn256>,
                ProverSHPLONK<'_, Bn256>,
                ChallengeEvm<G1Affine>,
                _,
                _,
                _,
            >(&s.params, &s.pk, &circuits, &[inst], rng, &mut w)
            .unwrap();
            w.finalize()
        }
        TranscriptKind::Poseidon => {
            let mut w = PoseidonTranscript::<Vec<u8>>::init(Vec::new());
            create_proof::<
                KZGCommitmentScheme<Bn256>,
                ProverSHPLONK<'_, Bn256>,
                PoseidonChallenge,
                _,
                _,
                _,
            >(&s.params, &s.pk, &circuits, &[inst], rng, &mut w)
            .unwrap();
            w.finalize()
        }
    };
    verify_halo2_proof(&s.params, s.pk.get_vk(), t, &proof, &instances).unwrap();
    proof
}

fn unblinding<R: RngCore>(s: &Setup, inner: R, cols: &[usize]) -> UnblindingRng<R> {
    UnblindingRng::for_verifying_key(inner, s.pk.get_vk(), cols).unwrap()
}

fn commitments(proof: &[u8], t: TranscriptKind) -> Vec<G1Affine> {
    advice_commitments(proof, t, NUM_ADVICE, &[0, 1, 2]).unwrap()
}

fn native(s: &Setup, c: &MulCircuit, col: usize) -> G1Affine {
    column_commitment(&s.params, s.pk.get_vk(), &column(c, col)).unwrap()
}

#[test]
fn unblinded_columns_commit_to_their_values_in_both_transcripts() {
    let s = setup();
    let c = circuit(false);
    let natives: Vec<_> = (0..NUM_ADVICE).map(|col| native(&s, &c, col)).collect();
    for &t in TranscriptKind::ALL {
        // Every subset of the columns: exactly the chosen ones match their native commitment.
        for mask in 0u8..(1 << NUM_ADVICE) {
            let cols: Vec<usize> = (0..NUM_ADVICE).filter(|i| mask >> i & 1 == 1).collect();
            let mut rng = unblinding(&s, ChaCha20Rng::from_seed([mask; 32]), &cols);
            let proof = prove(&s, &c, &mut rng, t);
            assert!(rng.past_blinding_rows());
            let got = commitments(&proof, t);
            for col in 0..NUM_ADVICE {
                assert_eq!(
                    got[col] == natives[col],
                    cols.contains(&col),
                    "{t} {cols:?} {col}"
                );
            }
        }
        // Column 1, as a verifier would check it, and its digest.
        let proof = prove(
            &s,
            &c,
            unblinding(&s, ChaCha20Rng::from_seed([1; 32]), &[1]),
            t,
        );
        let got = advice_commitments(&proof, t, NUM_ADVICE, &[1]).unwrap();
        assert_eq!(got, vec![natives[1]]);
        assert_eq!(commitment_digest(&got), commitment_digest(&natives[1..2]));
    }
}

#[test]
fn other_seeds_change_only_the_blinded_columns() {
    let s = setup();
    let c = circuit(false);
    for &t in TranscriptKind::ALL {
        let one = commitments(
            &prove(
                &s,
                &c,
                unblinding(&s, ChaCha20Rng::from_seed([3; 32]), &[1]),
                t,
            ),
            t,
        );
        let two = commitments(&prove(&s, &c, unblinding(&s, OsRng, &[1]), t), t);
        assert_eq!(one[1], two[1], "{t}");
        assert_ne!(one[0], two[0], "{t}");
        assert_ne!(one[2], two[2], "{t}");
    }
}

#[test]
fn without_the_wrapper_every_column_is_blinded() {
    let s = setup();
    let c = circuit(false);
    for &t in TranscriptKind::ALL {
        let seed = [5; 32];
        let plain = commitments(&prove(&s, &c, ChaCha20Rng::from_seed(seed), t), t);
        let wrapped = commitments(
            &prove(
                &s,
                &c,
                unblinding(&s, ChaCha20Rng::from_seed(seed), &[1]),
                t,
            ),
            t,
        );
        for (col, commitment) in plain.iter().enumerate() {
            assert_ne!(*commitment, native(&s, &c, col), "{t} {col}");
        }
        // Same seed: the wrapper changes column 1's blinding rows and nothing else.
        assert_ne!(plain[1], wrapped[1]);
        assert_eq!(plain[0], wrapped[0]);
        assert_eq!(plain[2], wrapped[2]);
    }
}

#[test]
fn an_all_zero_unblinded_column_commits_to_the_identity() {
    let s = setup();
    let c = circuit(true);
    let zero = native(&s, &c, 1);
    assert_eq!(zero, G1Affine::identity());
    for &t in TranscriptKind::ALL {
        let proof = prove(
            &s,
            &c,
            unblinding(&s, ChaCha20Rng::from_seed([9; 32]), &[1]),
            t,
        );
        assert_eq!(commitments(&proof, t)[1], zero, "{t}");
        // Blake2b writes the identity as 0…0 0x80, Keccak as (0, 0).
        let at = point_len(t);
        let expected: Vec<u8> = match t {
            TranscriptKind::Blake2b | TranscriptKind::Poseidon => {
                [vec![0; 31], vec![0x80]].concat()
            }
            TranscriptKind::Keccak => vec![0; 64],
        };
        assert_eq!(proof[at..2 * at], expected[..], "{t}");
    }
    assert_eq!(
        commitment_digest(&[zero]),
        commitment_digest(&[G1Affine::identity()])
    );
}

#[test]
fn advice_commitments_rejects_short_and_garbage_bytes() {
    let s = setup();
    let c = circuit(false);
    let mut garbage_rng = ChaCha20Rng::from_seed([11; 32]);
    for &t in TranscriptKind::ALL {
        let proof = prove(
            &s,
            &c,
            unblinding(&s, ChaCha20Rng::from_seed([2; 32]), &[1]),
            t,
        );
        let needed = NUM_ADVICE * point_len(t);
        for len in 0..needed {
            assert!(
                matches!(
                    advice_commitments(&proof[..len], t, NUM_ADVICE, &[1]),
                    Err(VerifyError::AdviceCommitmentsTruncated { found, .. }) if found == len
                ),
                "{t} {len}"
            );
        }
        // Exactly the commitments is enough.
        assert!(advice_commitments(&proof[..needed], t, NUM_ADVICE, &[1]).is_ok());
        assert!(matches!(
            advice_commitments(&proof, t, NUM_ADVICE, &[3]),
            Err(VerifyError::CommittedColumn {
                column: 3,
                num_advice: 3
            })
        ));
        assert!(matches!(
            advice_commitments(&proof, t, usize::MAX, &[0]),
            Err(VerifyError::AdviceCommitmentsTruncated { .. })
        ));
        // All-ones bytes: coordinates above the modulus.
        let ones = vec![0xff; needed];
        assert!(matches!(
            advice_commitments(&ones, t, NUM_ADVICE, &[1]),
            Err(VerifyError::BadAdviceCommitment { column: 0, .. })
        ));
        // Every single-byte change of column 1's point: never a panic, never the same point.
        let honest = commitments(&proof, t)[1];
        let at = point_len(t);
        for i in at..2 * at {
            for bit in 0..8 {
                let mut bad = proof.clone();
                bad[i] ^= 1 << bit;
                match advice_commitments(&bad, t, NUM_ADVICE, &[1]) {
                    Ok(p) => assert_ne!(p[0], honest, "{t} byte {i} bit {bit}"),
                    Err(VerifyError::BadAdviceCommitment { column: 1, .. }) => {}
                    Err(e) => panic!("{t} byte {i} bit {bit}: {e}"),
                }
            }
        }
        // Random bytes of random lengths.
        for _ in 0..2000 {
            let len = (garbage_rng.next_u32() as usize) % (needed + 40);
            let mut bytes = vec![0u8; len];
            garbage_rng.fill_bytes(&mut bytes);
            let _ = advice_commitments(&bytes, t, NUM_ADVICE, &[0, 1, 2]);
        }
    }
}

#[test]
fn bad_arguments_are_named_errors() {
    let s = setup();
    let vk = s.pk.get_vk();
    let c = circuit(false);
    assert!(matches!(
        UnblindingRng::for_verifying_key(OsRng, vk, &[3]),
        Err(ProverError::UnblindedColumn {
            column: 3,
            num_advice: 3
        })
    ));
    let usable = usable_rows(vk);
    assert_eq!(usable, (1 << K) - (vk.cs().blinding_factors() + 1));
    let mut long = column(&c, 1);
    long.resize(usable, Fr::one());
    assert!(column_commitment(&s.params, vk, &long).is_ok());
    long.push(Fr::one());
    assert!(matches!(
        column_commitment(&s.params, vk, &long),
        Err(ProverError::CommittedColumnTooLong { len, usable_rows }) if len == usable + 1 && usable_rows == usable
    ));
    let bigger = ParamsKZG::<Bn256>::setup(K + 1, ChaCha20Rng::from_seed([7; 32]));
    assert!(matches!(
        column_commitment(&bigger, vk, &column(&c, 1)),
        Err(ProverError::CommittedK {
            params_k: 7,
            circuit_k: 6
        })
    ));
    // A two-phase constraint system is refused.
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = cs.advice_column();
    let _ = cs.advice_column_in(SecondPhase);
    assert!(matches!(
        UnblindingRng::for_constraint_system(OsRng, &cs, &[0]),
        Err(ProverError::MultiPhaseCommitted {
            phase: 1,
            phases: 2
        })
    ));
}
