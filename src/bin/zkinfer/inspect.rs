//! `zkinfer inspect MODEL.onnx`: one line per node and model totals.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// Prints the report; fails (non-zero exit) when any node is unsupported.
pub fn run(model: &Path) -> Result<()> {
    let bytes = std::fs::read(model)
        .with_context(|| format!("cannot read model file {}", model.display()))?;
    let report = onnx_import::inspect_bytes(&bytes, &model.display().to_string())?;
    println!("{report}");
    if !report.all_supported() {
        let n = report.unsupported().count();
        bail!(
            "{}: {n} node(s) cannot be imported{}; see the lines marked above",
            model.display(),
            if report.model_problems.is_empty() {
                ""
            } else {
                " and the model has problems"
            }
        );
    }
    Ok(())
}
