//! The error type of [`input_file`](super).

use std::path::PathBuf;

use thiserror::Error;

/// Why an input, samples or outputs file could not be turned into tensors.
#[derive(Debug, Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The text is not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is valid but not in a recognised layout.
    #[error("unrecognised file layout: {message}")]
    Format {
        /// What was expected and what was found.
        message: String,
    },
    /// A graph input has no entry in a named (`"inputs"`) file.
    #[error("missing input '{name}' (the graph's inputs are: {})", .expected.join(", "))]
    MissingInput {
        /// The missing graph input.
        name: String,
        /// All graph input names, in order.
        expected: Vec<String>,
    },
    /// A named file has an entry that is not a graph input.
    #[error("'{name}' is not an input of the graph (the graph's inputs are: {})", .expected.join(", "))]
    UnknownInput {
        /// The unexpected name.
        name: String,
        /// All graph input names, in order.
        expected: Vec<String>,
    },
    /// An `input_data` file has the wrong number of lists.
    #[error("input_data holds {got} list(s), the graph has {expected} input(s) ({})", .names.join(", "))]
    InputCount {
        /// Number of graph inputs.
        expected: usize,
        /// Number of lists found.
        got: usize,
        /// All graph input names, in order.
        names: Vec<String>,
    },
    /// A tensor's declared shape differs from the graph input's static shape.
    #[error("'{tensor}': shape {got:?} differs from the graph input's shape {expected:?}")]
    Shape {
        /// The input (or output) name.
        tensor: String,
        /// The required shape.
        expected: Vec<usize>,
        /// The shape found.
        got: Vec<usize>,
    },
    /// A tensor's shape has more elements than `usize` can count (its product overflows).
    #[error(
        "'{tensor}': shape {shape:?} has more elements than can be addressed (the product of \
         its dimensions overflows); the file is malformed"
    )]
    ShapeOverflow {
        /// The input (or output) name.
        tensor: String,
        /// The shape as written.
        shape: Vec<usize>,
    },
    /// A tensor holds the wrong number of values.
    #[error("'{tensor}': expected {expected} value(s), got {got}")]
    Length {
        /// The input (or output) name.
        tensor: String,
        /// The required count (a description for multi-sample lists).
        expected: String,
        /// The count found.
        got: usize,
    },
    /// The `input_data` lists imply different numbers of samples.
    #[error("input_data lists hold different numbers of samples: {}", describe_counts(.names, .counts))]
    SampleCounts {
        /// Graph input names, in order.
        names: Vec<String>,
        /// Samples implied by each list.
        counts: Vec<usize>,
    },
    /// A value is NaN or infinite once rounded to `float32`.
    #[error("'{tensor}': value {index} ({value}) is not a finite float32")]
    NonFinite {
        /// The input (or output) name.
        tensor: String,
        /// Flat index of the value.
        index: usize,
        /// The value as written.
        value: String,
    },
    /// A JSON value has the wrong type.
    #[error("'{tensor}': {field} must be {expected}, found {found}")]
    Type {
        /// The input (or output) name.
        tensor: String,
        /// Which part (`"data[3]"`, `"shape"`, ...).
        field: String,
        /// What was expected.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// An error inside one sample of a multi-sample file.
    #[error("sample {index}: {source}")]
    Sample {
        /// Zero-based sample number.
        index: usize,
        /// The error.
        source: Box<InputError>,
    },
    /// A samples file holds no sample.
    #[error("the file holds no sample")]
    NoSamples,
}

fn describe_counts(names: &[String], counts: &[usize]) -> String {
    let parts: Vec<String> = names
        .iter()
        .zip(counts)
        .map(|(n, c)| format!("'{n}': {c}"))
        .collect();
    parts.join(", ")
}
