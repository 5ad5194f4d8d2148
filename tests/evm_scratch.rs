#![allow(clippy::unwrap_used, missing_docs)]
use std::path::PathBuf;
use std::time::Instant;
use zkinfer::*;

#[test]
fn scratch() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for name in ["digits_mlp16", "cnn_chain"] {
        let fx = root.join("tests/fixtures").join(name);
        let dir = root.join("target/evm-scratch").join(name);
        if !dir.join("vk.bin").exists() {
            let samples = Samples::Files(vec![fx.join("input.json")]);
            let c = compile(&fx.join("network.onnx"), &samples, &CompileOptions::default()).unwrap();
            c.save(&dir).unwrap();
            setup(&dir, &SrsSource::Local { cache_dir: root.join("target/test-srs-cache") }).unwrap();
        }
        let c = Compiled::load(&dir).unwrap();
        println!("{name}: k={} instances={} config={:?}", c.settings.circuit.k, c.settings.num_instances, c.settings.circuit.config);
        let inputs = onnx_import::input_file::read_inputs(&fx.join("input.json"), &c.graph).unwrap();
        let t = Instant::now();
        let opts = ProveOptions { transcript: verifier::TranscriptKind::Keccak, ..Default::default() };
        let art = prove_with(&dir, &inputs, &opts, &prover::no_progress).unwrap();
        println!("prove {:?}, proof {} bytes", t.elapsed(), art.proof.len() / 2);
        verify(&dir, &art).unwrap();
        art.save(&dir.join("proof-evm.json")).unwrap();
        let key = VerifierKey::from_bytes(&std::fs::read(dir.join("vk.bin")).unwrap(), &std::fs::read(dir.join("srs-verifier.bin")).unwrap()).unwrap();
        let t = Instant::now();
        let g = solidity::generate_verifier(key.params(), key.halo2_vk(), key.num_instances()).unwrap();
        println!("codegen {:?}, source {} bytes, proof_len {}", t.elapsed(), g.source.len(), g.proof_len);
        std::fs::write(dir.join("Halo2Verifier.sol"), &g.source).unwrap();
        let solc = solidity::solc::Solc { path: root.join(".tools/bin/solc") };
        let t = Instant::now();
        let out = solc.compile(&[("Halo2Verifier.sol", &g.source)]).unwrap();
        let v = &out["Halo2Verifier"];
        println!("solc {:?}: deploy {} runtime {}", t.elapsed(), v.deploy.len(), v.runtime.len());
        std::fs::write(dir.join("Halo2Verifier.bin"), hex::encode(&v.deploy)).unwrap();
    }
}
