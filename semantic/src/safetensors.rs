//! Reads the tensors of a `model.safetensors` file: an 8-byte little-endian header length,
//! a JSON header naming each tensor's dtype, shape and byte range, then the raw data.
//! Only what the encoder needs: `F32` tensors, copied out by name.

use std::collections::HashMap;

use serde::Deserialize;

use crate::LoadError;

#[derive(Debug, Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

pub struct Tensors {
    bytes: Vec<u8>,
    data_start: usize,
    entries: HashMap<String, Entry>,
}

impl Tensors {
    pub fn parse(bytes: Vec<u8>) -> Result<Self, LoadError> {
        let bad = |why: &str| LoadError::Format(format!("model.safetensors: {why}"));
        let header_len = bytes
            .get(..8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .ok_or_else(|| bad("shorter than its header length"))?;
        let data_start = usize::try_from(header_len)
            .ok()
            .and_then(|n| n.checked_add(8))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| bad("header length beyond the file"))?;
        let mut raw: HashMap<String, serde_json::Value> =
            serde_json::from_slice(&bytes[8..data_start]).map_err(|e| bad(&e.to_string()))?;
        raw.remove("__metadata__");
        let entries = raw
            .into_iter()
            .map(|(name, value)| {
                serde_json::from_value(value)
                    .map(|entry| (name.clone(), entry))
                    .map_err(|e| bad(&format!("{name}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            bytes,
            data_start,
            entries,
        })
    }

    /// The values of the `F32` tensor `name`, row-major, checked to have `shape`.
    pub fn f32(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, LoadError> {
        let bad = |why: String| LoadError::Format(format!("model.safetensors: {name}: {why}"));
        let entry = self
            .entries
            .get(name)
            .ok_or_else(|| bad("missing".into()))?;
        if entry.dtype != "F32" {
            return Err(bad(format!("dtype {}, expected F32", entry.dtype)));
        }
        if entry.shape != shape {
            return Err(bad(format!("shape {:?}, expected {shape:?}", entry.shape)));
        }
        let [from, to] = entry.data_offsets;
        let count: usize = shape.iter().product();
        let range = self
            .data_start
            .checked_add(from)
            .zip(self.data_start.checked_add(to));
        let data = range
            .and_then(|(start, end)| self.bytes.get(start..end))
            .filter(|d| Some(d.len()) == count.checked_mul(4))
            .ok_or_else(|| {
                bad(format!(
                    "byte range {from}..{to} does not hold {count} values"
                ))
            })?;
        Ok(data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    }

    #[test]
    fn a_tensor_is_read_by_name_with_its_shape() {
        let data: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let header = r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
        let tensors = Tensors::parse(file(header, &data)).unwrap();
        assert_eq!(tensors.f32("w", &[2]).unwrap(), [1.5, -2.0]);
        assert!(tensors.f32("w", &[1, 2]).is_err());
        assert!(tensors.f32("missing", &[2]).is_err());
    }

    #[test]
    fn truncated_or_lying_files_are_errors_not_panics() {
        assert!(Tensors::parse(vec![1, 2]).is_err());
        assert!(Tensors::parse(file("{", &[])).is_err());
        let mut lying = file("{}", &[]);
        lying[0] = 200;
        assert!(Tensors::parse(lying).is_err());
        let header = r#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#;
        let short = Tensors::parse(file(header, &[0; 8])).unwrap();
        assert!(short.f32("w", &[4]).is_err());
        let header = r#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#;
        assert!(
            Tensors::parse(file(header, &[0; 4]))
                .unwrap()
                .f32("w", &[2])
                .is_err()
        );
    }
}
