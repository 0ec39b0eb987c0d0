//! The BERT encoder all-MiniLM-L6-v2 is (6 layers, 384 wide, 12 heads), run forward on
//! the CPU for one sequence at a time: no padding, no batch, no dropout. The matrix
//! products go to `matrixmultiply` (runtime-detected AVX/FMA kernels); the rest is a few
//! element-wise loops.

use serde::Deserialize;

use crate::LoadError;
use crate::safetensors::Tensors;

/// The fields of `config.json` the forward pass depends on.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub hidden_size: usize,
    pub num_attention_heads: usize,
    pub num_hidden_layers: usize,
    pub intermediate_size: usize,
    pub vocab_size: usize,
    pub max_position_embeddings: usize,
    pub layer_norm_eps: f32,
    pub hidden_act: String,
}

impl Config {
    fn check(&self) -> Result<(), LoadError> {
        let bad = |why: &str| Err(LoadError::Format(format!("config.json: {why}")));
        if self.hidden_act != "gelu" {
            return bad("only the exact (erf) gelu activation is implemented");
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return bad("hidden_size is not a multiple of num_attention_heads");
        }
        Ok(())
    }
}

struct Linear {
    /// `[out][in]`, as PyTorch stores it.
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

struct LayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

pub struct Encoder {
    config: Config,
    words: Vec<f32>,
    positions: Vec<f32>,
    /// Token type 0's row: every token of a single sentence has type 0.
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl Encoder {
    pub fn load(config: Config, tensors: &Tensors) -> Result<Self, LoadError> {
        config.check()?;
        let h = config.hidden_size;
        let linear = |name: &str, inputs: usize, outputs: usize| -> Result<Linear, LoadError> {
            Ok(Linear {
                weight: tensors.f32(&format!("{name}.weight"), &[outputs, inputs])?,
                bias: tensors.f32(&format!("{name}.bias"), &[outputs])?,
                inputs,
                outputs,
            })
        };
        let norm = |name: &str| -> Result<LayerNorm, LoadError> {
            Ok(LayerNorm {
                gamma: tensors.f32(&format!("{name}.weight"), &[h])?,
                beta: tensors.f32(&format!("{name}.bias"), &[h])?,
                eps: config.layer_norm_eps,
            })
        };
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                Ok(Layer {
                    query: linear(&format!("{p}.attention.self.query"), h, h)?,
                    key: linear(&format!("{p}.attention.self.key"), h, h)?,
                    value: linear(&format!("{p}.attention.self.value"), h, h)?,
                    attention_out: linear(&format!("{p}.attention.output.dense"), h, h)?,
                    attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                    intermediate: linear(
                        &format!("{p}.intermediate.dense"),
                        h,
                        config.intermediate_size,
                    )?,
                    output: linear(&format!("{p}.output.dense"), config.intermediate_size, h)?,
                    output_norm: norm(&format!("{p}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<_, LoadError>>()?;
        let emb = "embeddings";
        let mut token_type =
            tensors.f32(&format!("{emb}.token_type_embeddings.weight"), &[2, h])?;
        token_type.truncate(h);
        Ok(Self {
            words: tensors.f32(
                &format!("{emb}.word_embeddings.weight"),
                &[config.vocab_size, h],
            )?,
            positions: tensors.f32(
                &format!("{emb}.position_embeddings.weight"),
                &[config.max_position_embeddings, h],
            )?,
            token_type,
            embedding_norm: norm(&format!("{emb}.LayerNorm"))?,
            layers,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The last hidden state, `[ids.len()][hidden_size]`. Every id must be below
    /// `vocab_size` and there must be at most `max_position_embeddings` of them (the
    /// tokenizer and `Embedder` see to both).
    pub fn forward(&self, ids: &[u32]) -> Vec<f32> {
        let h = self.config.hidden_size;
        let mut x = Vec::with_capacity(ids.len() * h);
        for (position, &id) in ids.iter().enumerate() {
            let word = &self.words[id as usize * h..][..h];
            let pos = &self.positions[position * h..][..h];
            x.extend((0..h).map(|i| word[i] + pos[i] + self.token_type[i]));
        }
        self.embedding_norm.apply(&mut x);
        for layer in &self.layers {
            x = self.layer(layer, &x, ids.len());
        }
        x
    }

    fn layer(&self, layer: &Layer, x: &[f32], n: usize) -> Vec<f32> {
        let context = self.attention(layer, x, n);
        let mut attended = layer.attention_out.apply(&context, n);
        add(&mut attended, x);
        layer.attention_norm.apply(&mut attended);
        let mut inner = layer.intermediate.apply(&attended, n);
        inner.iter_mut().for_each(|v| *v = gelu(*v));
        let mut out = layer.output.apply(&inner, n);
        add(&mut out, &attended);
        layer.output_norm.apply(&mut out);
        out
    }

    /// Multi-head self-attention over all `n` tokens (a single sequence has no padding to
    /// mask): per head, softmax(Q·Kᵀ/√d)·V into that head's columns of the context.
    fn attention(&self, layer: &Layer, x: &[f32], n: usize) -> Vec<f32> {
        let h = self.config.hidden_size;
        let heads = self.config.num_attention_heads;
        let d = h / heads;
        let (q, k, v) = (
            layer.query.apply(x, n),
            layer.key.apply(x, n),
            layer.value.apply(x, n),
        );
        let mut context = vec![0.0; n * h];
        let mut scores = vec![0.0; n * n];
        let scale = 1.0 / (d as f32).sqrt();
        for head in 0..heads {
            let col = head * d;
            let q_h = Matrix::new(&q[col..], n, d, h, 1);
            let k_t = Matrix::new(&k[col..], d, n, 1, h);
            product(scale, q_h, k_t, 0.0, &mut scores, n, 1);
            scores.chunks_exact_mut(n).for_each(softmax);
            let p = Matrix::new(&scores, n, n, n, 1);
            let v_h = Matrix::new(&v[col..], n, d, h, 1);
            product(1.0, p, v_h, 0.0, &mut context[col..], h, 1);
        }
        context
    }
}

impl Linear {
    /// `x·Wᵀ + b` for `n` rows of `inputs` values.
    fn apply(&self, x: &[f32], n: usize) -> Vec<f32> {
        let mut out: Vec<f32> = (0..n).flat_map(|_| self.bias.iter().copied()).collect();
        let a = Matrix::new(x, n, self.inputs, self.inputs, 1);
        let w_t = Matrix::new(&self.weight, self.inputs, self.outputs, 1, self.inputs);
        product(1.0, a, w_t, 1.0, &mut out, self.outputs, 1);
        out
    }
}

impl LayerNorm {
    fn apply(&self, x: &mut [f32]) {
        let h = self.gamma.len();
        for row in x.chunks_exact_mut(h) {
            let mean = row.iter().sum::<f32>() / h as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / h as f32;
            let inv = 1.0 / (var + self.eps).sqrt();
            for (i, v) in row.iter_mut().enumerate() {
                *v = (*v - mean) * inv * self.gamma[i] + self.beta[i];
            }
        }
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    x.iter_mut().zip(y).for_each(|(a, b)| *a += b);
}

fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

/// BERT's exact GELU, `x·Φ(x)`.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x / std::f32::consts::SQRT_2))
}

/// The error function to within 1.5e-7 (Abramowitz and Stegun 7.1.26), below f32's
/// resolution for what GELU does with it.
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    if x < 0.0 { -y } else { y }
}

/// A read-only view of a matrix in a slice: `rows × cols`, element `(i, j)` at
/// `i·row_stride + j·col_stride` (a transposed view just swaps the strides).
#[derive(Clone, Copy)]
struct Matrix<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Matrix<'a> {
    fn new(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        let m = Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        };
        assert!(m.fits(data.len()), "matrix view beyond its slice");
        m
    }

    /// Every element the view names lies inside a slice of `len` values.
    fn fits(&self, len: usize) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride < len
    }
}

/// `c ← alpha·a·b + beta·c`, where `c` is `a.rows × b.cols` with the given strides.
#[allow(unsafe_code)]
fn product(
    alpha: f32,
    a: Matrix,
    b: Matrix,
    beta: f32,
    c: &mut [f32],
    c_row_stride: usize,
    c_col_stride: usize,
) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    let c_view = Matrix {
        data: c,
        rows: a.rows,
        cols: b.cols,
        row_stride: c_row_stride,
        col_stride: c_col_stride,
    };
    assert!(c_view.fits(c.len()), "result beyond its slice");
    let stride = |s: usize| isize::try_from(s).expect("stride fits isize");
    // SAFETY: the three views were checked above to lie inside their slices (`fits`), the
    // output is borrowed mutably and so overlaps neither input, and sgemm reads and writes
    // only the elements those dimensions and strides name.
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            alpha,
            a.data.as_ptr(),
            stride(a.row_stride),
            stride(a.col_stride),
            b.data.as_ptr(),
            stride(b.row_stride),
            stride(b.col_stride),
            beta,
            c.as_mut_ptr(),
            stride(c_row_stride),
            stride(c_col_stride),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_product_follows_its_views_strides() {
        // a = [[1, 2], [3, 4]]; b = aᵀ through swapped strides: a·aᵀ = [[5, 11], [11, 25]].
        let a = [1.0, 2.0, 3.0, 4.0];
        let mut c = [1.0; 4];
        product(
            1.0,
            Matrix::new(&a, 2, 2, 2, 1),
            Matrix::new(&a, 2, 2, 1, 2),
            1.0,
            &mut c,
            2,
            1,
        );
        assert_eq!(c, [6.0, 12.0, 12.0, 26.0]);
    }

    #[test]
    #[should_panic(expected = "matrix view beyond its slice")]
    fn a_view_beyond_its_slice_is_refused_before_any_unsafe_call() {
        Matrix::new(&[0.0; 3], 2, 2, 2, 1);
    }

    #[test]
    fn erf_and_gelu_match_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 3e-7, "erf({x}) = {}", erf(x));
        }
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!(gelu(-10.0).abs() < 1e-6);
    }

    #[test]
    fn softmax_rows_sum_to_one_without_overflow() {
        let mut row = [1000.0, 1000.0, 0.0];
        softmax(&mut row);
        assert!((row[0] - 0.5).abs() < 1e-6 && row[2] < 1e-30);
    }

    #[test]
    fn layer_norm_centres_and_scales_each_row() {
        let norm = LayerNorm {
            gamma: vec![1.0; 4],
            beta: vec![0.5; 4],
            eps: 1e-12,
        };
        let mut x = [1.0, 2.0, 3.0, 4.0, 7.0, 7.0, 7.0, 7.0];
        norm.apply(&mut x);
        let first: f32 = x[..4].iter().sum::<f32>() / 4.0;
        assert!((first - 0.5).abs() < 1e-6);
        assert!((x[3] - 0.5 - 1.341_640_8).abs() < 1e-5);
        assert!(x[4..].iter().all(|v| (v - 0.5).abs() < 1e-6));
    }
}
