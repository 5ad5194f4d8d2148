//! Regenerates `solidity/contracts/build/{ModelRegistry,InferenceLog}.json` from
//! `solidity/contracts/*.sol` with solc 0.8.19 (optimizer on, 200 runs, EVM paris):
//! `$ZKINFER_SOLC`, else the workspace's `.tools/bin/solc` (`.ci/install-evm-tools.sh`).
//!
//! `cargo run -p zkinfer-solidity --example build_contracts`

use std::path::PathBuf;

use solidity::registry::compile_registry_contracts;
use solidity::Solc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::var_os(solidity::solc::SOLC_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir.join("../.tools/bin/solc"));
    if !path.is_file() {
        return Err(format!(
            "no solc at {}: set ZKINFER_SOLC or run .ci/install-evm-tools.sh",
            path.display()
        )
        .into());
    }
    let solc = Solc { path };
    let out_dir = crate_dir.join("contracts/build");
    std::fs::create_dir_all(&out_dir)?;
    for (name, json) in compile_registry_contracts(&solc)? {
        let file = out_dir.join(format!("{name}.json"));
        let unchanged = std::fs::read_to_string(&file).is_ok_and(|old| old == json);
        std::fs::write(&file, &json)?;
        println!(
            "{} {}",
            file.display(),
            if unchanged {
                "(unchanged)"
            } else {
                "(written)"
            }
        );
    }
    Ok(())
}
