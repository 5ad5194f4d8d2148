//! Proof bytes and instances → `VerifierKey::verify` on the fixture's real key (k = 8, 64
//! instances), with either transcript. Must never panic, and must accept nothing but the
//! fixture's own proofs: an accepted proof or instance list that differs from the fixture's
//! is a forgery or a second encoding of a proof (both findings).
//!
//! Input: one mode byte. Bit 0: transcript (0 Blake2b, 1 Keccak). Bit 1 set: a count byte
//! `n` follows, then `n` instances of 32 bytes each (little-endian, as in `proof.json`);
//! bit 1 clear: the fixture's instances. The rest is the proof.
#![no_main]

use libfuzzer_sys::fuzz_target;
use verifier::halo2::Fr;
use verifier::TranscriptKind;
use zkinfer_fuzz::{fixture_key, fixture_proof};

/// Reads `n` instances of 32 bytes from the front of `data`; `None` if one is not a
/// canonical field element or the bytes run out.
fn take_instances(data: &[u8]) -> Option<(Vec<Fr>, &[u8])> {
    let (&n, mut rest) = data.split_first()?;
    let mut out = Vec::with_capacity(n.into());
    for i in 0..usize::from(n) {
        let (item, tail) = rest.split_first_chunk::<32>()?;
        out.push(verifier::instance_from_hex(&hex::encode(item), i).ok()?);
        rest = tail;
    }
    Some((out, rest))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let transcript = if mode & 1 == 0 {
        TranscriptKind::Blake2b
    } else {
        TranscriptKind::Keccak
    };
    let real = fixture_proof(transcript);
    let (instances, proof) = if mode & 2 == 0 {
        (real.instances.clone(), rest)
    } else {
        match take_instances(rest) {
            Some(parts) => parts,
            None => return,
        }
    };
    if fixture_key().verify(transcript, proof, &instances).is_ok() {
        assert!(
            instances == real.instances,
            "forgery: a {transcript} proof accepted for other instances"
        );
        assert!(
            proof == real.proof.as_slice(),
            "malleability: a second {transcript} proof encoding accepted"
        );
    }
});
