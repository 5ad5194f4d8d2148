//! Reading serialized ONNX `TensorProto` files, such as the `input_0.pb` / `output_0.pb`
//! files of ONNX's backend test data (`onnx/backend/test/data/*/*/test_data_set_*/`).
//!
//! [`read_tensor_pb`] decodes one file into its tensor name, an [`ir::Tensor`](Tensor) (data
//! widened to `f64`, integers exact up to 2^53) and the [`DataKind`] of its element type.

use std::path::Path;

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{Message, TensorProto};
use protobuf::Enum;

use crate::error::ImportError;
use crate::ir::Tensor;
use crate::proto::tensor_to_const;

/// What kind of elements a tensor file held before they were widened to `f64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// `float16`, `float` or `double`.
    Float,
    /// A signed or unsigned integer type.
    Int,
    /// `bool` (read as 0.0 / 1.0).
    Bool,
}

/// Reads a serialized `TensorProto` from `path`: its name (may be empty), its data and the
/// kind of its element type.
///
/// Supported element types: those of model constants (float16/32/64, bool, 8- to 64-bit
/// integers, as `raw_data` or the typed fields). Errors are [`ImportError::TensorFile`] naming `path`: the file cannot
/// be read, is not a `TensorProto`, has another element type (e.g. strings), keeps its data
/// in an external file, or holds a different number of elements than its shape says.
pub fn read_tensor_pb(path: &Path) -> Result<(String, Tensor, DataKind), ImportError> {
    let err = |message: String| ImportError::TensorFile {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let t = TensorProto::parse_from_bytes(&bytes).map_err(|e| {
        err(format!(
            "not a serialized ONNX TensorProto ({e}); the file may be truncated or corrupted"
        ))
    })?;
    let tensor_err = |what: String| {
        let name = if t.name.is_empty() {
            String::new()
        } else {
            format!("tensor \"{}\" ", t.name)
        };
        err(format!("{name}{what}"))
    };
    // The element types the importer reads as constants (proto::tensor_to_const).
    let c = tensor_to_const(&t).map_err(|e| tensor_err(e.to_string()))?;
    let kind = if t.data_type == DataType::BOOL.value() {
        DataKind::Bool
    } else if c.is_int {
        DataKind::Int
    } else {
        DataKind::Float
    };
    Ok((t.name.clone(), c.tensor, kind))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A file in a fresh folder under the system temp directory, removed when dropped.
    struct TmpFile {
        dir: PathBuf,
        path: PathBuf,
    }

    impl std::ops::Deref for TmpFile {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.path
        }
    }

    impl Drop for TmpFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Writes `t` to `input_0.pb` in a fresh folder.
    fn write(t: &TensorProto) -> TmpFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "zkinfer-tensor-file-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("input_0.pb");
        std::fs::write(&path, t.write_to_bytes().unwrap()).unwrap();
        TmpFile { dir, path }
    }

    fn proto(name: &str, dtype: DataType, dims: &[i64]) -> TensorProto {
        let mut t = TensorProto::new();
        t.name = name.into();
        t.data_type = dtype.value();
        t.dims = dims.to_vec();
        t
    }

    #[test]
    fn reads_raw_float_typed_int_and_bool() {
        let mut t = proto("x", DataType::FLOAT, &[2, 2]);
        t.raw_data = [1.5f32, -2.0, 0.25, 3.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (name, tensor, kind) = read_tensor_pb(&write(&t)).unwrap();
        assert_eq!(name, "x");
        assert_eq!(kind, DataKind::Float);
        assert_eq!(tensor.shape, vec![2, 2]);
        assert_eq!(tensor.data, vec![1.5, -2.0, 0.25, 3.0]);

        let mut t = proto("idx", DataType::INT64, &[3]);
        t.int64_data = vec![7, -1, 0];
        let (name, tensor, kind) = read_tensor_pb(&write(&t)).unwrap();
        assert_eq!((name.as_str(), kind), ("idx", DataKind::Int));
        assert_eq!(tensor.data, vec![7.0, -1.0, 0.0]);

        let mut t = proto("", DataType::DOUBLE, &[]);
        t.double_data = vec![0.125];
        let (name, tensor, kind) = read_tensor_pb(&write(&t)).unwrap();
        assert_eq!((name.as_str(), kind), ("", DataKind::Float));
        assert!(tensor.shape.is_empty());
        assert_eq!(tensor.data, vec![0.125]);

        let mut t = proto("b", DataType::BOOL, &[3]);
        t.raw_data = vec![1, 0, 1];
        let (_, tensor, kind) = read_tensor_pb(&write(&t)).unwrap();
        assert_eq!(kind, DataKind::Bool);
        assert_eq!(tensor.data, vec![1.0, 0.0, 1.0]);
    }

    #[test]
    fn errors_name_the_file() {
        // Strings are not numbers.
        let mut t = proto("s", DataType::STRING, &[1]);
        t.string_data = vec![b"monday".to_vec()];
        let path = write(&t);
        let e = read_tensor_pb(&path).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, ImportError::TensorFile { .. }), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("STRING"), "{msg}");

        // raw_data that does not match the shape.
        let mut t = proto("x", DataType::FLOAT, &[3]);
        t.raw_data = vec![0; 8];
        let path = write(&t);
        let msg = read_tensor_pb(&path).unwrap_err().to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("tensor \"x\""), "{msg}");

        // Not protobuf, and a missing file.
        let path = write(&TensorProto::new());
        std::fs::write(&*path, [0xff, 0xff, 0xff]).unwrap();
        let msg = read_tensor_pb(&path).unwrap_err().to_string();
        assert!(msg.contains("not a serialized ONNX TensorProto"), "{msg}");
        let missing = path.with_file_name("missing.pb");
        let msg = read_tensor_pb(&missing).unwrap_err().to_string();
        assert!(msg.contains("missing.pb"), "{msg}");
    }
}
