// output_weight_grad: gradients of the output layer's weights and bias.
//   dw_out[k, c] = sum_b h_T[b, k] * dlogits[b, c]     k < H
//   dw_out[H, c] = sum_b dlogits[b, c]                 (output/bias)
// h_T is read from xh[T, b, I..I+H). dw_out: (H+1, C), the output block of the gradient buffer.
// Geometry: one invocation per (c, k), k in 0..H inclusive.

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
  classes: u32,   // C
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;             // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> dlogits: array<f32>;        // (B, C)
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
  let B = params.batch;
  let width = params.input + H + 1u;
  let h = params.steps * B * width + params.input + k;
  var sum = 0.0;
  if (k == H) {
    for (var b = 0u; b < B; b++) { sum += dlogits[b * C + c]; }
  } else {
    for (var b = 0u; b < B; b++) { sum += xh[h + b * width] * dlogits[b * C + c]; }
  }
  dw_out[k * C + c] = sum;
}
