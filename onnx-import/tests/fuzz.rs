//! Arbitrary bytes never panic the importer or the inspector.
#![allow(clippy::unwrap_used, missing_docs)]

use onnx_import::{import_bytes, inspect_bytes};
use proptest::prelude::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = import_bytes(&bytes, "random");
        let _ = inspect_bytes(&bytes, "random");
    }

    #[test]
    fn mutated_fixture_never_panics(
        name in prop::sample::select(vec!["digits_conv", "cnn_chain", "op_slice", "op_reshape", "op_constant"]),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = std::fs::read(format!("{FIXTURES}/{name}/network.onnx")).unwrap();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = import_bytes(&bytes, name);
        let _ = inspect_bytes(&bytes, name);
    }
}
