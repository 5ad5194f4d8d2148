//! On-chain provenance end to end on anvil: `zkinfer register` / `zkinfer submit` against the
//! ModelRegistry and InferenceLog contracts with real proofs, then the TypeScript client's
//! tests (sdk/ts) and the dApp page's headless-Chromium test (examples/provenance-dapp) on
//! the same prepared model. Needs the tools of `.ci/install-evm-tools.sh` and
//! `.ci/install-js.sh`.
#![allow(clippy::unwrap_used, missing_docs)]

mod evm_common;
mod visibility_common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use evm_common::{ok, p, root, text, tools, zkinfer, Anvil, ANVIL_KEY};
use solidity::registry as reg;
use solidity::rpc::{parse_address, receipt_logs, CallResult, RpcClient};
use verifier::instances_from_hex;
use zkinfer::ProofArtifact;

/// digits_mlp16 compiled for the EVM with hashed parameters (one key for every weight set of
/// the architecture): `proof.json` of model A, `proof-b.json` of model B (one weight
/// changed, same key, file b.onnx) and the verifier bundle in `evm/`; and the same model with
/// the default fixed parameters in `fixed/`. Made once per test binary.
struct Prepared {
    hashed: PathBuf,
    fixed: PathBuf,
}

fn prepared() -> &'static Prepared {
    static P: OnceLock<Prepared> = OnceLock::new();
    P.get_or_init(|| {
        let t = tools();
        let solc = p(&t.solc.path).to_string();
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("provenance");
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let fixture = root().join("tests/fixtures/digits_mlp16");
        let (model, input) = (fixture.join("network.onnx"), fixture.join("input.json"));
        let start = Instant::now();
        let make = |name: &str, extra: &[&str]| {
            let dir = base.join(name);
            let mut args = vec!["compile", p(&model), "--calibration", p(&input), "--evm"];
            args.extend_from_slice(extra);
            args.extend_from_slice(&["-o", p(&dir)]);
            ok(&args);
            ok(&["setup", p(&dir)]);
            ok(&[
                "prove",
                p(&dir),
                "--input",
                p(&input),
                "-o",
                p(&dir.join("proof.json")),
            ]);
            ok(&[
                "create-evm-verifier",
                p(&dir),
                "-o",
                p(&dir.join("evm")),
                "--solc",
                &solc,
                "--allow-insecure-srs",
            ]);
            dir
        };
        let hashed = make("hashed", &["--param-visibility", "hashed"]);
        let b = visibility_common::perturbed_model(&model, 0.25, &hashed, "b.onnx");
        ok(&[
            "prove",
            p(&hashed),
            "--model",
            p(&b),
            "--input",
            p(&input),
            "-o",
            p(&hashed.join("proof-b.json")),
        ]);
        let fixed = make("fixed", &[]);
        eprintln!(
            "provenance: prepared two model dirs in {:.1?}",
            start.elapsed()
        );
        Prepared { hashed, fixed }
    })
}

/// A fresh copy of a prepared dir (each test writes deployment.json / registration.json).
fn copy_of(dir: &Path, name: &str) -> PathBuf {
    let to = dir.with_file_name(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    copy_dir(dir, &to);
    to
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The value after `label` on the line that starts with it.
fn field<'a>(out: &'a str, label: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{out}"))
        .split_whitespace()
        .next()
        .unwrap()
}

fn entry_count(rpc: &RpcClient, registry: &str) -> u64 {
    let registry = parse_address(registry).unwrap();
    let log =
        reg::decode_address(&rpc.call(&registry, &reg::inference_log_calldata()).unwrap()).unwrap();
    let out = rpc.call(&log, &reg::entry_count_calldata()).unwrap();
    reg::decode_u64(&out).unwrap()
}

/// A proof.json with one byte of the proof changed.
fn tampered(proof: &Path, to: &Path) {
    let mut art = ProofArtifact::load(proof).unwrap();
    let mut bytes = hex::decode(&art.proof).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    art.proof = hex::encode(bytes);
    art.save(to).unwrap();
}

/// `submit DIR --model-id ID --proof PROOF` (the chain arguments are added by the caller).
fn submit_args<'a>(dir: &'a Path, id: &'a str, proof: &'a Path) -> Vec<&'a str> {
    vec!["submit", p(dir), "--model-id", id, "--proof", p(proof)]
}

fn fails(args: &[&str]) -> String {
    let o = zkinfer(args);
    assert!(
        !o.status.success(),
        "zkinfer {args:?} should fail:\n{}",
        text(&o)
    );
    let t = text(&o);
    assert!(!t.contains("panicked"), "{t}");
    t
}

#[test]
fn register_and_submit_through_the_cli() {
    let pr = prepared();
    let anvil = Anvil::start(&tools().anvil);
    let rpc = anvil.rpc();
    let url = anvil.url.as_str();
    let dir = copy_of(&pr.hashed, "cli-hashed");
    let chain = ["--rpc", url, "--private-key", ANVIL_KEY];
    fn with<'a>(head: &[&'a str], chain: &[&'a str]) -> Vec<&'a str> {
        [head, chain].concat()
    }

    // The insecure local SRS is refused unless acknowledged.
    let t = fails(&with(&["register", p(&dir)], &chain));
    assert!(t.contains("INSECURE"), "{t}");

    let out = ok(&with(
        &["register", p(&dir), "--allow-insecure-srs"],
        &chain,
    ));
    assert_eq!(field(&out, "model id:"), "1", "{out}");
    let registry = field(&out, "registry:").to_string();
    assert!(dir.join("registration.json").is_file());

    // A commitment registers once.
    let t = fails(&with(
        &["register", p(&dir), "--allow-insecure-srs"],
        &chain,
    ));
    assert!(t.contains("already registered"), "{t}");

    // Model A's proof is recorded, with the outputs proof.json shows.
    let out = ok(&with(
        &submit_args(&dir, "1", &dir.join("proof.json")),
        &chain,
    ));
    assert!(out.contains("recorded: entry 1 of model 1"), "{out}");
    let gas: u64 = field(&out, "gas:").parse().unwrap();
    assert!(gas > 300_000, "{out}");
    eprintln!("provenance: submit (digits_mlp16, hashed params) {out}");
    let art = ProofArtifact::load(&dir.join("proof.json")).unwrap();
    let want: Vec<f64> = art.outputs.values().flat_map(|t| t.data.clone()).collect();
    assert!(
        out.contains(&format!("outputs: {want:?}")),
        "{out}\nwant {want:?}"
    );

    // The InferenceVerified event carries the entry.
    let tx = field(&out, "tx:");
    let receipt = rpc
        .request("eth_getTransactionReceipt", serde_json::json!([tx]))
        .unwrap();
    let log = receipt_logs(&receipt)
        .unwrap()
        .into_iter()
        .find_map(|l| reg::InferenceVerified::decode(&l.topics, &l.data))
        .unwrap();
    let words: Vec<[u8; 32]> = instances_from_hex(&art.instances)
        .unwrap()
        .iter()
        .map(solidity::calldata::fr_to_word)
        .collect();
    let layout = zkinfer::provenance::onchain_layout(
        &zkinfer::Settings::read(&dir.join("settings.json")).unwrap(),
    )
    .unwrap();
    let (input_hash, output_hash) = reg::hashes_of(&layout, &words).unwrap();
    assert_eq!((log.entry_id, log.entry.model_id), (1, 1));
    assert_eq!(log.entry.input_hash, input_hash);
    assert_eq!(log.entry.output_hash, output_hash);
    assert_eq!(log.entry.outputs, words[0..10].to_vec());
    assert_eq!(
        log.entry.submitter,
        solidity::tx::Signer::from_hex(ANVIL_KEY).unwrap().address()
    );

    // Model B's proof (other weights, same key) is refused for A's id; nothing stored.
    let t = fails(&with(
        &submit_args(&dir, "1", &dir.join("proof-b.json")),
        &chain,
    ));
    assert!(t.contains("REFUSED") && t.contains("other weights"), "{t}");
    assert_eq!(entry_count(&rpc, &registry), 1);

    // A tampered proof is refused; nothing stored.
    let bad = dir.join("tampered.json");
    tampered(&dir.join("proof.json"), &bad);
    let t = fails(&with(&submit_args(&dir, "1", &bad), &chain));
    assert!(t.contains("REFUSED") && t.contains("rejected"), "{t}");
    assert_eq!(entry_count(&rpc, &registry), 1);

    // Model B registers under its own id with the same verifier, and its proof is recorded.
    let b = dir.join("b.onnx");
    let out = ok(&with(
        &[
            "register",
            p(&dir),
            "--model",
            p(&b),
            "--allow-insecure-srs",
        ],
        &chain,
    ));
    assert_eq!(field(&out, "model id:"), "2", "{out}");
    assert!(
        !out.contains("deployed now"),
        "the verifier and registry are reused:\n{out}"
    );
    let out = ok(&with(
        &submit_args(&dir, "2", &dir.join("proof-b.json")),
        &chain,
    ));
    assert!(out.contains("recorded: entry 2 of model 2"), "{out}");
    // …and A's proof is refused for B's id.
    fails(&with(
        &submit_args(&dir, "2", &dir.join("proof.json")),
        &chain,
    ));

    // Its owner deprecates model 2: the log refuses it from now on, its entry stays.
    let out = ok(&with(&["deprecate", p(&dir), "--model-id", "2"], &chain));
    assert!(out.contains("deprecated: model 2"), "{out}");
    let t = fails(&with(&["deprecate", p(&dir), "--model-id", "2"], &chain));
    assert!(t.contains("already deprecated"), "{t}");
    let t = fails(&with(
        &submit_args(&dir, "2", &dir.join("proof-b.json")),
        &chain,
    ));
    assert!(t.contains("REFUSED") && t.contains("deprecated"), "{t}");
    assert_eq!(entry_count(&rpc, &registry), 2);

    // A default (fixed-weights) model: bound by its verifier's key.
    let fixed = copy_of(&pr.fixed, "cli-fixed");
    let out = ok(&with(
        &[
            "register",
            p(&fixed),
            "--registry",
            &registry,
            "--allow-insecure-srs",
        ],
        &chain,
    ));
    assert_eq!(field(&out, "model id:"), "3", "{out}");
    let out = ok(&with(
        &submit_args(&fixed, "3", &fixed.join("proof.json")),
        &chain,
    ));
    assert!(out.contains("recorded: entry 3 of model 3"), "{out}");
    eprintln!("provenance: submit (digits_mlp16, fixed params) {out}");
    let t = fails(&with(
        &submit_args(&fixed, "3", &dir.join("proof.json")),
        &chain,
    ));
    assert!(t.contains("REFUSED"), "{t}");
    assert_eq!(entry_count(&rpc, &registry), 3);

    // isVerified answers for the recorded statement.
    let registry_a = parse_address(&registry).unwrap();
    let log_a = reg::decode_address(
        &rpc.call(&registry_a, &reg::inference_log_calldata())
            .unwrap(),
    )
    .unwrap();
    let q = reg::is_verified_calldata(1, &input_hash, &output_hash);
    match rpc.try_call(None, &log_a, &q).unwrap() {
        CallResult::Returned(o) => assert_eq!(solidity::calldata::decode_bool(&o), Some(true)),
        CallResult::Reverted(d) => panic!("isVerified reverted: {d:?}"),
    }
}

/// Runs `cmd` in `dir` with the chain and model of the JS tests in its environment.
fn run_js(dir: &Path, cmd: &[&str], anvil: &Anvil, model: &Path) -> String {
    let artifacts = root().join("target/ci-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    assert!(
        dir.join("node_modules").is_dir(),
        "{}/node_modules is missing: run .ci/install-js.sh",
        dir.display()
    );
    // `npm test` in sdk/ts rebuilds sdk/ts/dist, which the page's build imports: one at a time.
    static JS: Mutex<()> = Mutex::new(());
    let _one = JS.lock().unwrap_or_else(|e| e.into_inner());
    let start = Instant::now();
    let o = Command::new(cmd[0])
        .args(&cmd[1..])
        .current_dir(dir)
        .env("ZKINFER_RPC", &anvil.url)
        .env("ZKINFER_PRIVATE_KEY", ANVIL_KEY)
        .env("ZKINFER_MODEL_DIR", model)
        .env("ZKINFER_ARTIFACTS", &artifacts)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let t = text(&o);
    assert!(
        o.status.success(),
        "{cmd:?} in {} failed:\n{t}",
        dir.display()
    );
    eprintln!("provenance: {cmd:?} passed in {:.1?}", start.elapsed());
    t
}

/// A fresh anvil with the prepared hashed model's verifier deployed (`deploy-evm`).
fn chain_with_verifier(name: &str) -> (Anvil, PathBuf) {
    let anvil = Anvil::start(&tools().anvil);
    let dir = copy_of(&prepared().hashed, name);
    ok(&[
        "deploy-evm",
        p(&dir.join("evm")),
        "--rpc",
        &anvil.url,
        "--private-key",
        ANVIL_KEY,
    ]);
    (anvil, dir)
}

#[test]
fn typescript_client_tests_pass_on_anvil() {
    let (anvil, dir) = chain_with_verifier("ts");
    let out = run_js(
        &root().join("sdk/ts"),
        &["npm", "test", "--silent"],
        &anvil,
        &dir,
    );
    eprintln!("{out}");
    assert!(
        !out.contains("# skipped") || out.contains("# skipped 0"),
        "{out}"
    );
}

#[test]
fn dapp_page_works_in_headless_chromium() {
    let (anvil, dir) = chain_with_verifier("dapp");
    let out = run_js(
        &root().join("examples/provenance-dapp"),
        &["node", "e2e/run.mjs"],
        &anvil,
        &dir,
    );
    eprintln!("{out}");
    assert!(root()
        .join("target/ci-artifacts/provenance-dapp.png")
        .is_file());
}

/// The layout and metadata `register` writes are what `sdk/ts` reads: the same settings.json
/// (sdk/ts/test-fixtures, digits_mlp16 with hashed weights) gives the layout its unit test
/// expects and the metadata URI (test-fixtures/metadata-uri.txt) its unit test parses.
#[test]
fn layout_and_metadata_match_the_typescript_client() {
    let s = zkinfer::Settings::read(&root().join("sdk/ts/test-fixtures/settings.json")).unwrap();
    let l = zkinfer::provenance::onchain_layout(&s).unwrap();
    assert_eq!(
        (
            l.num_instances,
            l.input_start,
            l.input_count,
            l.output_start,
            l.output_count,
            l.param_index
        ),
        (12, 10, 1, 0, 10, 11)
    );
    let uri = zkinfer::provenance::metadata_uri(
        &s,
        "digits_mlp16",
        zkinfer::CommitmentKind::Hashed,
        "11473665a0344c41cc266769f850979ec27ee52e04f9c3b6f64403a647119aee",
        true,
    );
    let fixture = root().join("sdk/ts/test-fixtures/metadata-uri.txt");
    assert_eq!(
        uri,
        std::fs::read_to_string(&fixture).unwrap(),
        "{} (which sdk/ts's unit test parses) is no longer what register writes",
        fixture.display()
    );
}

/// What `register` and `submit` refuse before sending anything, each with a named error.
#[test]
fn register_and_submit_refuse_what_they_cannot_bind() {
    let pr = prepared();
    let anvil = Anvil::start(&tools().anvil);
    let chain = ["--rpc", anvil.url.as_str(), "--private-key", ANVIL_KEY];
    let with = |head: &[&str]| -> String {
        let args: Vec<&str> = head.iter().chain(chain.iter()).copied().collect();
        fails(&args)
    };

    // A verifier of another key (the hashed model's) for the fixed model.
    let hashed = copy_of(&pr.hashed, "refuse-hashed");
    let out = ok(&[
        "deploy-evm",
        p(&hashed.join("evm")),
        "--rpc",
        &anvil.url,
        "--private-key",
        ANVIL_KEY,
    ]);
    let other = field(&out, "ZkinferVerifier deployed at").to_string();
    let fixed = copy_of(&pr.fixed, "refuse-fixed");
    let t = with(&[
        "register",
        p(&fixed),
        "--verifier",
        &other,
        "--allow-insecure-srs",
    ]);
    assert!(t.contains("verifies another key"), "{t}");
    assert!(!fixed.join("registration.json").exists());

    // No registry recorded for this chain and none given.
    let t = with(&submit_args(&fixed, "1", &fixed.join("proof.json")));
    assert!(t.contains("no registry for chain"), "{t}");

    // A proof with the native (Blake2b) transcript cannot be checked on chain.
    let mut art = ProofArtifact::load(&fixed.join("proof.json")).unwrap();
    art.transcript = "blake2b".into();
    let native = fixed.join("native.json");
    art.save(&native).unwrap();
    let registry = "0x0000000000000000000000000000000000000001";
    let t = with(&[
        "submit",
        p(&fixed),
        "--model-id",
        "1",
        "--proof",
        p(&native),
        "--registry",
        registry,
    ]);
    assert!(t.contains("Keccak proofs only"), "{t}");

    // Private weights bind proofs to nothing: nothing to register.
    let private = fixed.with_file_name(format!("refuse-private-{}", std::process::id()));
    let fixture = root().join("tests/fixtures/digits_mlp16");
    ok(&[
        "compile",
        p(&fixture.join("network.onnx")),
        "--calibration",
        p(&fixture.join("input.json")),
        "--evm",
        "--param-visibility",
        "private",
        "-o",
        p(&private),
    ]);
    ok(&["setup", p(&private)]);
    let t = with(&["register", p(&private), "--allow-insecure-srs"]);
    assert!(t.contains("bound to no weights"), "{t}");
}
