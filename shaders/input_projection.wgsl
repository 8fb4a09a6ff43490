// input_projection: the input half of every gate pre-activation, for all T timesteps in one GEMM.
//   xw[r, g] = sum_{k < I} xh[r, k] * w[k, g] + w[I + H, g]        r = t*B + b over T*B rows, g < 4H
// xh: (T+1, B, I+H+1), only its first T*B rows and I columns are read; w: the lstm block (I+H+1, 4H),
// its last row is lstm/bias. xw: (T*B, 4H).
// Geometry: one invocation per (column quad q < H, block of ROWS rows); each keeps ROWS x 4 sums in
// registers and reads w as vec4.

struct Params {
  rows: u32,      // T*B
  input: u32,     // I
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;          // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;     // (I+H+1, 4H) as (I+H+1, H) vec4
@group(0) @binding(3) var<storage, read_write> xw: array<vec4<f32>>;  // (T*B, 4H) as (T*B, H) vec4

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
const ROWS: u32 = 4u;

@compute @workgroup_size(WG_X, WG_Y)
fn input_projection(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let H = params.hidden;
  if (q >= H) { return; }
  let I = params.input;
  let width = I + H + 1u;
  let r0 = gid.y * ROWS;
  if (r0 >= params.rows) { return; }
  var row: array<u32, ROWS>;
  for (var i = 0u; i < ROWS; i++) { row[i] = min(r0 + i, params.rows - 1u) * width; }
  var acc: array<vec4<f32>, ROWS>;
  let bias = w[(I + H) * H + q];
  for (var i = 0u; i < ROWS; i++) { acc[i] = bias; }
  for (var k = 0u; k < I; k++) {
    let wk = w[k * H + q];
    for (var i = 0u; i < ROWS; i++) { acc[i] += xh[row[i] + k] * wk; }
  }
  for (var i = 0u; i < ROWS; i++) {
    if (r0 + i < params.rows) { xw[(r0 + i) * H + q] = acc[i]; }
  }
}
