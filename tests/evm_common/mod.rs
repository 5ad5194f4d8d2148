//! Shared by the EVM tests: the tools installed by `.ci/install-evm-tools.sh`, a model
//! prepared once per test binary (compiled, set up, proven with the Keccak transcript, its
//! verifier bundle compiled once), and an anvil node bound to 127.0.0.1 on a free port.
#![allow(clippy::unwrap_used, missing_docs, dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use solidity::rpc::RpcClient;
use solidity::{Bundle, Solc};
use verifier::halo2::Fr;
use verifier::{instances_from_hex, TranscriptKind, VerifierKey};
use zkinfer::{
    compile, prove_with, setup, CompileOptions, Layout, ProofArtifact, ProveOptions, Samples,
    SrsSource,
};

/// anvil's first dev account (public, funded on every anvil chain).
pub const ANVIL_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The EVM tools. Missing tools fail the test (never skip it) with the fix.
pub struct Tools {
    pub solc: Solc,
    pub anvil: PathBuf,
}

fn tool(name: &str, env: &str) -> Option<PathBuf> {
    let local = root().join(".tools/bin").join(name);
    if local.is_file() {
        return Some(local);
    }
    std::env::var_os(env)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

pub fn tools() -> Tools {
    let missing = |what: &str| -> ! {
        panic!(
            "{what} not found: run .ci/install-evm-tools.sh (installs solc 0.8.19, anvil and \
             cast into .tools/; needs node and npm), or point ZKINFER_SOLC / ZKINFER_ANVIL at \
             your own binaries"
        )
    };
    let solc = tool("solc", "ZKINFER_SOLC").unwrap_or_else(|| missing("solc (0.8.19)"));
    let anvil = tool("anvil", "ZKINFER_ANVIL").unwrap_or_else(|| missing("anvil"));
    Tools {
        solc: Solc { path: solc },
        anvil,
    }
}

/// A model ready for EVM checks.
pub struct Prepared {
    pub name: String,
    pub dir: PathBuf,
    pub key: VerifierKey,
    pub artifact: ProofArtifact,
    pub proof: Vec<u8>,
    pub instances: Vec<Fr>,
    pub bundle: Bundle,
    pub generated: solidity::GeneratedVerifier,
    /// Human-readable timings of the preparation.
    pub timings: String,
}

fn samples(name: &str) -> Samples {
    let dir = root().join("tests/fixtures").join(name);
    let mut files = vec![dir.join("input.json")];
    let meta = dir.join("meta.json");
    if std::fs::read_to_string(&meta).is_ok_and(|t| t.contains("\"test_samples\"")) {
        files.push(meta);
    }
    Samples::Files(files)
}

/// Compiles, sets up (insecure local SRS cached in target/test-srs-cache), proves the
/// fixture's input with the Keccak transcript, and builds and compiles the verifier bundle.
pub fn prepare(name: &str, solc: &Solc) -> Prepared {
    let fixture = root().join("tests/fixtures").join(name);
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("evm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    remove_stale(&format!("evm-{name}-"));
    let t = Instant::now();
    let compiled = compile(
        &fixture.join("network.onnx"),
        &samples(name),
        // On-chain users compile for gas: the narrow layout.
        &CompileOptions {
            layout: Layout::Gas,
            ..CompileOptions::default()
        },
    )
    .unwrap();
    compiled.save(&dir).unwrap();
    let srs = SrsSource::Local {
        cache_dir: root().join("target/test-srs-cache"),
    };
    setup(&dir, &srs).unwrap();
    let setup_time = t.elapsed();
    let inputs =
        onnx_import::input_file::read_inputs(&fixture.join("input.json"), &compiled.graph).unwrap();
    let t = Instant::now();
    let opts = ProveOptions {
        transcript: TranscriptKind::Keccak,
        ..ProveOptions::default()
    };
    let artifact = prove_with(&dir, &inputs, &opts, &prover::no_progress).unwrap();
    let prove_time = t.elapsed();
    assert_eq!(artifact.transcript, "keccak");
    artifact.save(&dir.join("proof.json")).unwrap();
    let key = VerifierKey::from_bytes_with(
        &std::fs::read(dir.join("vk.bin")).unwrap(),
        &std::fs::read(dir.join("srs-verifier.bin")).unwrap(),
        &verifier::KeyOptions {
            allow_insecure_srs: true,
        },
    )
    .unwrap();
    let t = Instant::now();
    let generated =
        solidity::generate_verifier(key.params(), key.halo2_vk(), key.num_instances()).unwrap();
    let bundle = Bundle::new(&generated, key.digest(), Some(solc)).unwrap();
    let bundle_time = t.elapsed();
    let proof = hex::decode(&artifact.proof).unwrap();
    assert_eq!(
        proof.len(),
        generated.proof_len,
        "proof length predicted by the protocol"
    );
    let instances = instances_from_hex(&artifact.instances).unwrap();
    let timings = format!(
        "{name}: k={} compile+setup {setup_time:.2?}, prove (keccak) {prove_time:.2?}, verifier generation + solc {bundle_time:.2?}",
        key.k()
    );
    Prepared {
        name: name.into(),
        dir,
        key,
        artifact,
        proof,
        instances,
        bundle,
        generated,
        timings,
    }
}

/// Removes model directories of earlier runs (statics are never dropped, so each run leaves
/// one) once they are an hour old; concurrent runs keep theirs.
fn remove_stale(prefix: &str) {
    let Ok(entries) = std::fs::read_dir(env!("CARGO_TARGET_TMPDIR")) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|d| d > Duration::from_secs(3600)));
        if old && e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// `proof` with one byte flipped in the middle.
pub fn flipped(proof: &[u8]) -> Vec<u8> {
    let mut p = proof.to_vec();
    let i = p.len() / 2;
    p[i] ^= 0x01;
    p
}

/// `instances` with the last one (an output) changed by one.
pub fn changed(instances: &[Fr]) -> Vec<Fr> {
    let mut v = instances.to_vec();
    let last = v.len() - 1;
    v[last] += Fr::one();
    v
}

/// An anvil node on 127.0.0.1 and a free port; killed on drop.
pub struct Anvil {
    child: Child,
    pub url: String,
}

impl Anvil {
    pub fn start(exe: &Path) -> Self {
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new(exe)
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--silent",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
            let url = format!("http://127.0.0.1:{port}");
            let rpc = RpcClient::new(&url).unwrap();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(30) {
                if child.try_wait().unwrap().is_some() {
                    break; // exited: port taken meanwhile? try another
                }
                if rpc.chain_id().is_ok() {
                    return Self { child, url };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("anvil did not start")
    }

    /// Runs `zkinfer deploy-evm EVM_DIR` against this node with [`ANVIL_KEY`]; returns the
    /// entry contract's address and the command's output.
    pub fn deploy(&self, evm_dir: &Path) -> (String, String) {
        let log = ok(&[
            "deploy-evm",
            p(evm_dir),
            "--rpc",
            &self.url,
            "--private-key",
            ANVIL_KEY,
        ]);
        let address = log
            .lines()
            .find_map(|l| l.strip_prefix("ZkinferVerifier deployed at "))
            .unwrap_or_else(|| panic!("no address in:\n{log}"))
            .trim()
            .to_string();
        (address, log)
    }

    pub fn rpc(&self) -> RpcClient {
        RpcClient::new(&self.url).unwrap()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the `zkinfer` binary of this build with `args` (without `$ZKINFER_SOLC`, so only
/// `--solc` picks the compiler).
pub fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env_remove("ZKINFER_SOLC")
        .output()
        .unwrap()
}

/// stdout then stderr of a run.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// [`zkinfer`], which must succeed; its [`text`].
pub fn ok(args: &[&str]) -> String {
    let o = zkinfer(args);
    assert!(o.status.success(), "zkinfer {args:?} failed:\n{}", text(&o));
    text(&o)
}

/// A path as the `&str` argument the CLI takes.
pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}
