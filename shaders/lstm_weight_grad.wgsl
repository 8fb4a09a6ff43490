// lstm_weight_grad: gradients of lstm/kernel and lstm/bias over all timesteps, as one GEMM.
//   dw[k, g] = sum_{r < T*B} xh[r, k] * dgates[r, g]        k < I+H+1, g < 4H
// Row r = t*B + b of xh is [x_t, h_{t-1}, 1], so rows k < I give the input weights, I <= k < I+H the
// recurrent weights, and k = I+H (the constant-1 column) gives lstm/bias. dw: (I+H+1, 4H), the lstm
// block of the gradient buffer.
// Geometry: one invocation per (column quad q < H, block of ROWS k-rows); ROWS x 4 sums in registers.

struct Params {
  rows: u32,      // T*B
  input: u32,     // I
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;              // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> dgates: array<vec4<f32>>;    // (T*B, 4H) as (T*B, H) vec4
@group(0) @binding(3) var<storage, read_write> dw: array<vec4<f32>>;  // (I+H+1, 4H) as (I+H+1, H) vec4

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
const ROWS: u32 = 4u;

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let H = params.hidden;
  let width = params.input + H + 1u;
  let k0 = gid.y * ROWS;
  if (q >= H || k0 >= width) { return; }
  var col: array<u32, ROWS>;
  for (var i = 0u; i < ROWS; i++) { col[i] = min(k0 + i, width - 1u); }
  var acc: array<vec4<f32>, ROWS>;
  for (var r = 0u; r < params.rows; r++) {
    let d = dgates[r * H + q];
    let x = r * width;
    for (var i = 0u; i < ROWS; i++) { acc[i] += xh[x + col[i]] * d; }
  }
  for (var i = 0u; i < ROWS; i++) {
    if (k0 + i < width) { dw[(k0 + i) * H + q] = acc[i]; }
  }
}
