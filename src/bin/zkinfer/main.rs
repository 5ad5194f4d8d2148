//! The `zkinfer` command line: inspect, compile, set up, prove and verify ONNX inferences.

mod inspect;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Verifiable ONNX inference: prove that an output came from a committed model on an input.
#[derive(Parser)]
#[command(name = "zkinfer", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Describe a model node by node: op, shapes, and whether zkinfer supports it.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Inspect { model } => inspect::run(model),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
