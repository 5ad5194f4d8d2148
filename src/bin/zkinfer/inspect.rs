//! `zkinfer inspect MODEL.onnx`: one line per node and model totals.

use std::path::Path;

use anyhow::{bail, Context, Result};
use onnx_import::{DimKey, ImportOptions};

/// Prints the report; fails (non-zero exit) when any node is unsupported.
pub fn run(model: &Path, dims: &[(DimKey, usize)]) -> Result<()> {
    let bytes = std::fs::read(model)
        .with_context(|| format!("cannot read model file {}", model.display()))?;
    let opts = ImportOptions::with_dims(dims.to_vec());
    let report = onnx_import::inspect_bytes_with(&bytes, &model.display().to_string(), &opts)?;
    println!("{report}");
    if !report.all_supported() {
        let n = report.unsupported().count();
        let problems = report.model_problems.len();
        let what = match (n, problems) {
            (0, p) => format!("the model has {p} problem(s)"),
            (n, 0) => format!("{n} node(s) cannot be imported"),
            (n, p) => format!("{n} node(s) cannot be imported and the model has {p} problem(s)"),
        };
        bail!("{}: {what}; see the lines marked above", model.display());
    }
    Ok(())
}
