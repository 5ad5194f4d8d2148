//! SRS files: snarkjs `.ptau` (genuine fixtures and files written here), halo2 parameter
//! files (raw and compressed), trimming, and rejection of damaged or forged files.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::{Path, PathBuf};

use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, Fq2, Fr, G1Affine, G2Affine, G1, G2};
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_base::halo2_proofs::halo2curves::group::Curve;
use halo2_base::halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::SerdeFormat;
use prover::srs::{
    inspect_srs, load_srs, local_srs, save_srs, PointDefect, PtauDefect, SrsCheck, SrsFormat,
    SrsInfo, SrsPart,
};
use prover::{ProverError, Srs};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The file's bytes as halo2 writes them: equal bytes, equal parameters.
fn raw(params: &Srs) -> Vec<u8> {
    let mut bytes = Vec::new();
    params
        .write_custom(&mut bytes, SerdeFormat::RawBytes)
        .unwrap();
    bytes
}

// ---- A `.ptau` writer following snarkjs's layout (see src/srs/ptau.rs) -----------------

/// BN254's base-field modulus q, as snarkjs writes it in section 1 (little-endian).
fn q_le() -> Vec<u8> {
    let mut q =
        hex::decode("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47").unwrap();
    q.reverse();
    q
}

/// snarkjs's primitive 2^p-th root of unity: 5^((r − 1)/2^28), squared 28 − p times.
fn snarkjs_omega(p: u32) -> Fr {
    let t = [
        0x9b97_0914_3e1f_593f,
        0x1815_85d2_833e_8487,
        0x131a_029b_8504_5b68,
        0x3_0644_e72e,
    ];
    let mut w = Fr::from(5).pow_vartime(t);
    for _ in p..28 {
        w = w.square();
    }
    w
}

struct Ptau {
    bytes: Vec<u8>,
    /// Byte offset of each section's data, by type.
    at: Vec<(u32, usize)>,
}

impl Ptau {
    /// A ptau file of 2^power powers of the secret `s`, with snarkjs's Lagrange section 12
    /// if `lagrange`.
    fn new(power: u32, s: Fr, lagrange: bool) -> Ptau {
        let n = 1usize << power;
        let mut header = 32u32.to_le_bytes().to_vec();
        header.extend(q_le());
        header.extend(power.to_le_bytes());
        header.extend(power.to_le_bytes());
        let scalars = |count: usize| {
            let mut x = Fr::ONE;
            (0..count)
                .map(move |_| {
                    let out = x;
                    x *= s;
                    out
                })
                .collect::<Vec<_>>()
        };
        let tau_g1: Vec<u8> = scalars(2 * n - 1)
            .iter()
            .flat_map(|x| (G1::generator() * x).to_affine().to_raw_bytes())
            .collect();
        let tau_g2: Vec<u8> = scalars(n)
            .iter()
            .flat_map(|x| (G2::generator() * x).to_affine().to_raw_bytes())
            .collect();
        let mut sections: Vec<(u32, Vec<u8>)> = vec![(1, header), (2, tau_g1), (3, tau_g2)];
        if lagrange {
            let mut l = Vec::new();
            for p in 0..=power {
                // ℓ_i(s) = x_i·(s^N − 1)/(N·(s − x_i)) for x_i = ω_s^i, N = 2^p.
                let big_n = 1u64 << p;
                let w = snarkjs_omega(p);
                let c = (s.pow_vartime([big_n]) - Fr::ONE) * Fr::from(big_n).invert().unwrap();
                let mut x = Fr::ONE;
                for _ in 0..big_n {
                    let scalar = c * x * (s - x).invert().unwrap();
                    l.extend((G1::generator() * scalar).to_affine().to_raw_bytes());
                    x *= w;
                }
            }
            // The power + 1 block is never read; snarkjs fills it from padded powers.
            l.extend(vec![0u8; 2 * n * 64]);
            sections.push((12, l));
        }
        let mut bytes = b"ptau".to_vec();
        bytes.extend(1u32.to_le_bytes());
        bytes.extend((sections.len() as u32).to_le_bytes());
        let mut at = Vec::new();
        for (kind, data) in sections {
            bytes.extend(kind.to_le_bytes());
            bytes.extend((data.len() as u64).to_le_bytes());
            at.push((kind, bytes.len()));
            bytes.extend(data);
        }
        Ptau { bytes, at }
    }

    fn section(&self, kind: u32) -> usize {
        self.at.iter().find(|s| s.0 == kind).unwrap().1
    }

    /// Overwrites G1 point `i` of section `kind`.
    fn set_g1(&mut self, kind: u32, i: usize, bytes: &[u8]) {
        let at = self.section(kind) + 64 * i;
        self.bytes[at..at + 64].copy_from_slice(bytes);
    }

    /// Overwrites tauG2 point `i`.
    fn set_g2(&mut self, i: usize, bytes: &[u8]) {
        let at = self.section(3) + 128 * i;
        self.bytes[at..at + 128].copy_from_slice(bytes);
    }

    fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.bytes).unwrap();
        path
    }
}

/// The secret `Srs::setup(k, ChaCha20Rng::from_seed(seed))` draws.
fn secret(seed: u8) -> Fr {
    Fr::random(ChaCha20Rng::from_seed([seed; 32]))
}

fn setup(k: u32, seed: u8) -> Srs {
    Srs::setup(k, ChaCha20Rng::from_seed([seed; 32]))
}

/// Bytes of a point on the curve that is not [s^i]G1 for the secret.
fn other_g1(scalar: u64) -> Vec<u8> {
    (G1::generator() * Fr::from(scalar))
        .to_affine()
        .to_raw_bytes()
}

/// Bytes of (x, y + 1) for a point (x, y): coordinates in range, off the curve.
fn off_curve_g1(p: G1Affine) -> Vec<u8> {
    let q = G1Affine {
        x: p.x,
        y: p.y + Fq::ONE,
    };
    assert!(!bool::from(q.is_on_curve()));
    q.to_raw_bytes()
}

/// A point on the G2 curve outside the prime-order subgroup.
fn g2_outside_subgroup() -> G2Affine {
    let gen = G2Affine::generator();
    let b = gen.y.square() - gen.x.square() * gen.x;
    let p = (1u64..)
        .find_map(|i| {
            let x = Fq2 {
                c0: Fq::from(i),
                c1: Fq::ONE,
            };
            Option::<Fq2>::from((x.square() * x + b).sqrt()).map(|y| G2Affine { x, y })
        })
        .unwrap();
    assert!(bool::from(p.is_on_curve()));
    assert!(!bool::from(G2::from(p).is_torsion_free()));
    p
}

// ---- Genuine snarkjs files ---------------------------------------------------------------

#[test]
fn genuine_snarkjs_files_load_trimmed_and_agree() {
    let contributed = fixture("pot6_0001.ptau");
    let prepared = fixture("pot6_final.ptau");
    for path in [&contributed, &prepared] {
        assert_eq!(
            inspect_srs(path).unwrap(),
            SrsInfo {
                format: SrsFormat::Ptau,
                k: 6
            }
        );
    }
    for k in [4, 5, 6] {
        // Both pass every check (generators, subgroup, pairing check of the powers).
        let a = load_srs(&contributed, k).unwrap();
        let b = load_srs(&prepared, k).unwrap();
        assert_eq!(a.k(), k);
        assert_eq!(a.get_g().len(), 1 << k);
        assert_eq!(a.get_g()[0], G1Affine::generator());
        assert_eq!(a.g2(), G2Affine::generator());
        assert!(!prover::srs::is_local_srs(&a));
        // The prepared file's Lagrange section (snarkjs's domain, reordered, checked) gives
        // the same points as computing them from the powers.
        assert_eq!(raw(&a), raw(&b), "k = {k}");
    }
    assert!(matches!(
        load_srs(&prepared, 7),
        Err(ProverError::SrsTooSmall {
            available: 6,
            needed: 7,
            ..
        })
    ));
}

#[test]
fn tampered_genuine_snarkjs_file_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(fixture("pot6_0001.ptau")).unwrap();
    // tauG1 data starts at byte 80 (after the file header and section 1); point 3 becomes a
    // copy of point 4: a valid curve point, the wrong power.
    let (p3, p4) = (80 + 3 * 64, 80 + 4 * 64);
    let copy = bytes[p4..p4 + 64].to_vec();
    bytes[p3..p3 + 64].copy_from_slice(&copy);
    let path = dir.path().join("tampered.ptau");
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        load_srs(&path, 4),
        Err(ProverError::SrsInconsistent {
            check: SrsCheck::Powers,
            ..
        })
    ));
    // Trimmed below the tampered point, the powers that are read are genuine.
    assert!(load_srs(&path, 1).is_ok());
}

// ---- ptau files written here, from a known secret ----------------------------------------

#[test]
fn written_ptau_equals_setup_from_the_same_secret() {
    let dir = tempfile::tempdir().unwrap();
    let s = secret(7);
    let plain = Ptau::new(7, s, false).write(dir.path(), "plain.ptau");
    let prepared = Ptau::new(7, s, true).write(dir.path(), "prepared.ptau");
    for k in [2, 6, 7] {
        let expected = raw(&setup(k, 7));
        assert_eq!(raw(&load_srs(&plain, k).unwrap()), expected, "k = {k}");
        assert_eq!(raw(&load_srs(&prepared, k).unwrap()), expected, "k = {k}");
    }
}

fn ptau_err(ptau: &Ptau, k: u32) -> ProverError {
    let dir = tempfile::tempdir().unwrap();
    load_srs(&ptau.write(dir.path(), "bad.ptau"), k).unwrap_err()
}

#[test]
fn tampered_ptau_points_are_rejected_with_named_errors() {
    let s = secret(9);
    let good = Ptau::new(3, s, true);
    let point = |e: ProverError| match e {
        ProverError::SrsPoint {
            part,
            index,
            defect,
            ..
        } => (part, index, defect),
        e => panic!("expected a point error, got {e}"),
    };

    // A power replaced by another valid point.
    let mut p = Ptau::new(3, s, false);
    p.set_g1(2, 5, &other_g1(12345));
    let e = ptau_err(&p, 3);
    assert!(
        matches!(
            e,
            ProverError::SrsInconsistent {
                check: SrsCheck::Powers,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("pairing check"), "{e}");

    // A power off the curve.
    let mut p = Ptau::new(3, s, false);
    let g1 = (G1::generator() * s).to_affine();
    p.set_g1(2, 1, &off_curve_g1(g1));
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::G1Power, 1, PointDefect::NotOnCurve)
    );

    // A coordinate not below the modulus.
    let mut p = Ptau::new(3, s, false);
    p.set_g1(2, 6, &[0xff; 64]);
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::G1Power, 6, PointDefect::CoordinateNotReduced)
    );

    // The point at infinity as a power.
    let mut p = Ptau::new(3, s, false);
    p.set_g1(2, 2, &[0; 64]);
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::G1Power, 2, PointDefect::Identity)
    );

    // g_0 not the generator.
    let mut p = Ptau::new(3, s, false);
    p.set_g1(2, 0, &other_g1(2));
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::G1Power, 0, PointDefect::NotGenerator)
    );

    // [s]G2 outside the subgroup, off the curve; G2 not the generator.
    let mut p = Ptau::new(3, s, false);
    p.set_g2(1, &g2_outside_subgroup().to_raw_bytes());
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::SG2, 1, PointDefect::NotInSubgroup)
    );
    let mut p = Ptau::new(3, s, false);
    let mut off = (G2::generator() * s).to_affine();
    off.y += Fq2::ONE;
    p.set_g2(1, &off.to_raw_bytes());
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::SG2, 1, PointDefect::NotOnCurve)
    );
    let mut p = Ptau::new(3, s, false);
    p.set_g2(0, &(G2::generator() * s).to_affine().to_raw_bytes());
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::G2, 0, PointDefect::NotGenerator)
    );

    // [s]G2 for another secret: every point valid, the pairing check fails.
    let mut p = Ptau::new(3, s, false);
    p.set_g2(
        1,
        &(G2::generator() * (s + Fr::ONE)).to_affine().to_raw_bytes(),
    );
    assert!(matches!(
        ptau_err(&p, 3),
        ProverError::SrsInconsistent {
            check: SrsCheck::Powers,
            ..
        }
    ));

    // A Lagrange point of the k = 3 block changed; another point off the curve.
    let block = (1 << 3) - 1;
    let mut p = Ptau::new(3, s, true);
    p.set_g1(12, block + 2, &other_g1(777));
    assert!(matches!(
        ptau_err(&p, 3),
        ProverError::SrsInconsistent {
            check: SrsCheck::Lagrange,
            ..
        }
    ));
    let mut p = Ptau::new(3, s, true);
    p.set_g1(12, block, &off_curve_g1(G1Affine::generator()));
    assert_eq!(
        point(ptau_err(&p, 3)),
        (SrsPart::Lagrange, 0, PointDefect::NotOnCurve)
    );
    // The untouched file loads.
    let dir = tempfile::tempdir().unwrap();
    assert!(load_srs(&good.write(dir.path(), "good.ptau"), 3).is_ok());
}

#[test]
fn damaged_ptau_structure_is_rejected_without_panicking() {
    let good = Ptau::new(3, secret(3), true);
    let dir = tempfile::tempdir().unwrap();
    let defect = |bytes: &[u8]| {
        let path = dir.path().join("x.ptau");
        std::fs::write(&path, bytes).unwrap();
        match load_srs(&path, 2) {
            Err(ProverError::SrsPtau { defect, .. }) => defect,
            other => panic!("expected a ptau error, got {other:?}"),
        }
    };
    // Truncated at every interesting length: inside the file header, a section header,
    // a section's data, the last byte.
    assert_eq!(defect(&good.bytes[..5]), PtauDefect::TooShort);
    assert_eq!(defect(&good.bytes[..11]), PtauDefect::TooShort);
    assert_eq!(
        defect(&good.bytes[..20]),
        PtauDefect::SectionTable {
            declared: 4,
            found: 0
        }
    );
    assert!(matches!(
        defect(&good.bytes[..100]),
        PtauDefect::SectionPastEnd { section: 2, .. }
    ));
    let last = good.bytes.len() - 1;
    assert_eq!(
        defect(&good.bytes[..last]),
        PtauDefect::SectionPastEnd {
            section: 12,
            end: last as u64 + 1,
            file_len: last as u64
        }
    );
    let mut longer = good.bytes.clone();
    longer.push(0);
    assert!(matches!(defect(&longer), PtauDefect::TrailingBytes { .. }));

    let mut version = good.bytes.clone();
    version[4] = 2;
    assert_eq!(defect(&version), PtauDefect::Version(2));

    let mut curve = good.bytes.clone();
    curve[24 + 4] ^= 1; // q, in section 1
    assert_eq!(defect(&curve), PtauDefect::NotBn254);

    // Section 2 renamed to 9: tauG1 is missing.
    let mut missing = good.bytes.clone();
    let entry = good.section(2) - 12;
    missing[entry] = 9;
    assert_eq!(defect(&missing), PtauDefect::MissingSection(2));
    // Section 3 renamed to 2: tauG1 twice.
    let mut twice = good.bytes.clone();
    let entry = good.section(3) - 12;
    twice[entry] = 2;
    assert_eq!(defect(&twice), PtauDefect::DuplicateSection(2));

    // The header claims power 4 for a power-3 file.
    let mut power = good.bytes.clone();
    power[24 + 36] = 4;
    assert!(matches!(
        defect(&power),
        PtauDefect::SectionSize { section: 2, .. }
    ));
}

// ---- halo2 parameter files ---------------------------------------------------------------

#[test]
fn halo2_files_raw_and_compressed_load_trimmed_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (params, _, _) = local_srs(5, dir.path()).unwrap();
    let raw_path = dir.path().join("raw.srs");
    save_srs(&params, &raw_path).unwrap();
    let mut compressed = Vec::new();
    params
        .write_custom(&mut compressed, SerdeFormat::Processed)
        .unwrap();
    let compressed_path = dir.path().join("compressed.srs");
    std::fs::write(&compressed_path, &compressed).unwrap();
    assert_eq!(
        inspect_srs(&compressed_path).unwrap(),
        SrsInfo {
            format: SrsFormat::Halo2Compressed,
            k: 5
        }
    );
    for k in [3, 4, 5] {
        // Same k: Lagrange points read and checked; smaller k: recomputed.
        let expected = raw(&local_srs(k, dir.path()).unwrap().0);
        assert_eq!(raw(&load_srs(&raw_path, k).unwrap()), expected, "k = {k}");
        assert_eq!(
            raw(&load_srs(&compressed_path, k).unwrap()),
            expected,
            "k = {k}"
        );
    }
    assert!(matches!(
        load_srs(&raw_path, 6),
        Err(ProverError::SrsTooSmall { .. })
    ));
}

#[test]
fn tampered_halo2_files_are_rejected_with_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let params = setup(4, 11);
    let good = raw(&params);
    let n = 16;
    let load = |bytes: &[u8]| {
        let path = dir.path().join("x.srs");
        std::fs::write(&path, bytes).unwrap();
        load_srs(&path, 4)
    };
    assert!(load(&good).is_ok());

    // A power replaced by another valid point.
    let mut b = good.clone();
    b[4 + 64 * 7..4 + 64 * 8].copy_from_slice(&other_g1(99));
    assert!(matches!(
        load(&b),
        Err(ProverError::SrsInconsistent {
            check: SrsCheck::Powers,
            ..
        })
    ));
    // A Lagrange point replaced by another valid point, or off the curve.
    let mut b = good.clone();
    let l3 = 4 + 64 * (n + 3);
    b[l3..l3 + 64].copy_from_slice(&other_g1(5));
    assert!(matches!(
        load(&b),
        Err(ProverError::SrsInconsistent {
            check: SrsCheck::Lagrange,
            ..
        })
    ));
    let mut b = good.clone();
    let l = G1Affine::from_raw_bytes(&good[l3..l3 + 64]).unwrap();
    b[l3..l3 + 64].copy_from_slice(&off_curve_g1(l));
    assert!(matches!(
        load(&b),
        Err(ProverError::SrsPoint {
            part: SrsPart::Lagrange,
            index: 3,
            defect: PointDefect::NotOnCurve,
            ..
        })
    ));
    // [s]G2 outside the subgroup.
    let mut b = good.clone();
    let s_g2 = 4 + 128 * n + 128;
    b[s_g2..s_g2 + 128].copy_from_slice(&g2_outside_subgroup().to_raw_bytes());
    assert!(matches!(
        load(&b),
        Err(ProverError::SrsPoint {
            part: SrsPart::SG2,
            defect: PointDefect::NotInSubgroup,
            ..
        })
    ));
    // Truncated or extended: the length disagrees with the header.
    for bad in [
        &good[..good.len() - 1],
        &good[..100],
        &[&good[..], &[0]].concat()[..],
    ] {
        assert!(
            matches!(load(bad), Err(ProverError::SrsHalo2Length { k: 4, .. })),
            "{} bytes",
            bad.len()
        );
    }
    // Too short for any header; a header k beyond any SRS.
    assert!(matches!(load(&good[..3]), Err(ProverError::Srs { .. })));
    let mut b = good.clone();
    b[..4].copy_from_slice(&29u32.to_le_bytes());
    assert!(matches!(load(&b), Err(ProverError::Srs { .. })));
}
