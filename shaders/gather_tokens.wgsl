// gather_tokens: one minibatch of windows out of the uploaded token stream, for a language model.
//   s_b             = batch_index[b] * T              (window n starts at symbol n*T of the stream)
//   tokens[t*B + b] = stream[s_b + t]                 t < T: layer 0's input symbols
//   labels[t*B + b] = stream[s_b + t + 1]             the next symbol: every step's target
//   xh[t, b, I + H] = 1                               the bias column of the weight-gradient GEMM
// The input columns of xh stay unused: embedding_gather reads W_x's row of each token instead.
// stream: symbols below 256 packed four to a u32, little-endian (symbol p is (word p/4 >> 8*(p%4)) & 0xff).
// Shapes: batch_index (B), tokens and labels (T*B), xh (T+1, B, I+H+1).
// Geometry: one invocation per row r = t*B + b.

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I: the vocabulary
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> stream: array<u32>;          // symbols, packed
@group(0) @binding(2) var<storage, read> batch_index: array<u32>;     // (B) window numbers
@group(0) @binding(3) var<storage, read_write> tokens: array<u32>;    // (T*B)
@group(0) @binding(4) var<storage, read_write> labels: array<u32>;    // (T*B)
@group(0) @binding(5) var<storage, read_write> xh: array<f32>;        // (T+1, B, I+H+1)

override WG_X: u32 = 64;

fn symbol_at(p: u32) -> u32 {
  return (stream[p / 4u] >> (8u * (p % 4u))) & 0xffu;
}

@compute @workgroup_size(WG_X)
fn gather_tokens(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  let B = params.batch;
  let T = params.steps;
  if (r >= T * B) { return; }
  let t = r / B;
  let b = r % B;
  let start = batch_index[b] * T;
  tokens[r] = symbol_at(start + t);
  labels[r] = symbol_at(start + t + 1u);
  let width = params.input + params.hidden + 1u;
  xh[r * width + width - 1u] = 1.0;
}
