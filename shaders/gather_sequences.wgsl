// gather_sequences: copy one minibatch of float sequences (the library's Float32Array inputs) into the
// LSTM's input rows; gather_batch's twin for data that is not 8-bit pixels.
//   xh[t, b, k]     = values[index[b]][t, k]            k < I   (used as given: no scaling)
//   xh[t, b, I + H] = 1                                         (the bias column of the weight-gradient GEMM)
//   labels[b]       = dataset_labels[index[b]]
// xh: (T+1, B, I+H+1). Columns I..I+H-1 hold h_{t-1}; lstm_cell_forward writes them, never this kernel.
// Geometry: one invocation per (k in 0..I, row r = t*B + b); k == I writes the bias column.
// Labels are bytes packed four to a u32, little-endian, as in gather_batch.

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;          // (N, T, I)
@group(0) @binding(2) var<storage, read> dataset_labels: array<u32>;  // (N) bytes
@group(0) @binding(3) var<storage, read> batch_index: array<u32>;     // (B) sequence numbers
@group(0) @binding(4) var<storage, read_write> xh: array<f32>;        // (T+1, B, I+H+1)
@group(0) @binding(5) var<storage, read_write> labels: array<u32>;    // (B)

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

@compute @workgroup_size(WG_X, WG_Y)
fn gather_sequences(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.x;
  let row = gid.y;
  let B = params.batch;
  let I = params.input;
  if (k > I || row >= params.steps * B) { return; }
  let t = row / B;
  let b = row % B;
  let n = batch_index[b];
  let width = I + params.hidden + 1u;
  if (k == I) {
    xh[row * width + width - 1u] = 1.0;
  } else {
    xh[row * width + k] = values[(n * params.steps + t) * I + k];
  }
  if (k == 0u && t == 0u) {
    labels[b] = (dataset_labels[n / 4u] >> (8u * (n % 4u))) & 0xffu;
  }
}
