// output_weight_grad: gradients of the output layer's weights and bias, over the S*B rows of the head
// (softmax_cross_entropy: S = 1, h_T only, or S = T, every step).
//   dw_out[k, c] = sum_r h[r, k] * dlogits[r, c]     k < H
//   dw_out[H, c] = sum_r dlogits[r, c]               (output/bias)
// Row r = s*B + b reads xh[T - S + s + 1, b, I..I+H), that is xh row (T+1-S)*B + r.
// dw_out: (H+1, C), the output block of the gradient buffer.
// Geometry: one invocation per (c, k), k in 0..H inclusive.

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
  classes: u32,   // C
  head_steps: u32,  // S
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;             // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> dlogits: array<f32>;        // (S*B, C)
@group(0) @binding(3) var<storage, read_write> dw_out: array<f32>;   // (H+1, C)

override WG_X: u32 = 16;
override WG_Y: u32 = 4;

@compute @workgroup_size(WG_X, WG_Y)
fn output_weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let k = gid.y;
  let C = params.classes;
  let H = params.hidden;
  if (c >= C || k > H) { return; }
  let rows = params.head_steps * params.batch;
  let width = params.input + H + 1u;
  let h = (params.steps + 1u - params.head_steps) * params.batch * width + params.input + k;
  var sum = 0.0;
  if (k == H) {
    for (var r = 0u; r < rows; r++) { sum += dlogits[r * C + c]; }
  } else {
    for (var r = 0u; r < rows; r++) { sum += xh[h + r * width] * dlogits[r * C + c]; }
  }
  dw_out[k * C + c] = sum;
}
