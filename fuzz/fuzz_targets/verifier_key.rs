//! Bytes → `VerifierKey::from_bytes_with(vk.bin, srs-verifier.bin)` (insecure local SRS
//! allowed), which parses both files (and, through it, `verifier::params`' decoder), then
//! the statement stored in the key. A key that parses is parsed again without the opt-in:
//! that must succeed exactly when the key is not marked insecure.
//!
//! Input: one mode byte, then a 4-byte split point (see `zkinfer_fuzz::split_at_prefix`)
//! dividing the rest into two parts.
//! - mode bit 0 clear ("structured"): the parts are the two files' *payloads*; the target
//!   wraps each in its container header (magic, kind, version, length, sha256) and writes
//!   sha256(srs-verifier.bin) into the key, so mutations reach the key and point parsers
//!   instead of stopping at a checksum;
//! - mode bit 0 set ("raw"): the parts are the two files as they are.
//!
//! Any panic (including one `verifier` catches internally: the hook aborts first) or
//! allocation past `-rss_limit_mb` is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use verifier::container::{self, ArtifactKind};
use verifier::{PARAMS_FORMAT_VERSION, VK_FORMAT_VERSION};
use zkinfer_fuzz::{load_key, split_at_prefix};

/// Offset of sha256(srs-verifier.bin) in the key payload (after `num_instances` and the
/// SRS origin byte; `vk.bin` format 3).
const PARAMS_HASH_AT: usize = 5;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((a, b)) = split_at_prefix(rest) else {
        return;
    };
    let (vk, params) = if mode & 1 == 1 {
        (a.to_vec(), b.to_vec())
    } else {
        let params = container::encode(ArtifactKind::VerifierParams, PARAMS_FORMAT_VERSION, b);
        let mut payload = a.to_vec();
        if let Some(slot) = payload.get_mut(PARAMS_HASH_AT..PARAMS_HASH_AT + 32) {
            slot.copy_from_slice(&Sha256::digest(&params));
        }
        let vk = container::encode(ArtifactKind::VerifyingKey, VK_FORMAT_VERSION, &payload);
        (vk, params)
    };
    let Ok(key) = load_key(&vk, &params) else {
        return;
    };
    assert_eq!(key.digest(), verifier::vk_digest(&vk));
    let strict = verifier::VerifierKey::from_bytes(&vk, &params);
    assert_eq!(
        strict.is_ok(),
        !key.is_insecure_srs(),
        "the insecure-SRS refusal disagrees with the key: {strict:?}"
    );
    assert!(
        key.num_instances() < 1usize << key.k(),
        "more instances than rows"
    );
    if let Ok(statement) = zkinfer::Statement::from_key(&key) {
        assert_eq!(statement.num_instances(), key.num_instances());
    }
});
