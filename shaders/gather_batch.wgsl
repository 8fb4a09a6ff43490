// gather_batch: copy one minibatch out of the uploaded dataset into the LSTM's input rows.
//   xh[t, b, k]     = images[index[b]][t, k] / 255      k < I   (the pixel bytes, scaled here)
//   xh[t, b, I + H] = 1                                         (the bias column of the weight-gradient GEMM)
//   labels[b]       = dataset_labels[index[b]]
// xh: (T+1, B, I+H+1). Columns I..I+H-1 hold h_{t-1}; lstm_cell_forward writes them, never this kernel.
// Geometry: one invocation per (k in 0..I, row r = t*B + b); k == I writes the bias column.
// Bytes are packed four to a u32, little-endian, so byte p is (word p/4 >> 8*(p%4)) & 0xff.

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> images: array<u32>;          // (N, T, I) bytes
@group(0) @binding(2) var<storage, read> dataset_labels: array<u32>;  // (N) bytes
@group(0) @binding(3) var<storage, read> batch_index: array<u32>;     // (B) image numbers
@group(0) @binding(4) var<storage, read_write> xh: array<f32>;        // (T+1, B, I+H+1)
@group(0) @binding(5) var<storage, read_write> labels: array<u32>;    // (B)

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

fn byte_at(byte_index: u32) -> u32 {
  return (images[byte_index / 4u] >> (8u * (byte_index % 4u))) & 0xffu;
}

@compute @workgroup_size(WG_X, WG_Y)
fn gather_batch(@builtin(global_invocation_id) gid: vec3<u32>) {
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
    xh[row * width + k] = f32(byte_at((n * params.steps + t) * I + k)) / 255.0;
  }
  if (k == 0u && t == 0u) {
    labels[b] = (dataset_labels[n / 4u] >> (8u * (n % 4u))) & 0xffu;
  }
}
