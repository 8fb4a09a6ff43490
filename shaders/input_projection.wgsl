// input_projection: the input half of every gate pre-activation, for all T timesteps in one GEMM.
//   xw[r, g] = sum_{k < I} xh[r, k] * w[k, g] + w[I + H, g]        r = t*B + b over T*B rows, g < 4H
// xh: (T+1, B, I+H+1), only its first T*B rows and I columns are read; w: the lstm block (I+H+1, 4H),
// its last row is lstm/bias. xw: (T*B, 4H).
// Geometry: one invocation per (column quad q < H, block of 8 rows). Per k it loads one vec4 of w and 8
// scalars of xh for 32 multiply-adds. The 8 row sums are written out as named variables, not an array
// looped over: SwiftShader does not unroll such loops and keeps the array in memory (4-11x slower).

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

@compute @workgroup_size(WG_X, WG_Y)
fn input_projection(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let H = params.hidden;
  let rows = params.rows;
  let r0 = gid.y * 8u;
  if (q >= H || r0 >= rows) { return; }
  let I = params.input;
  let width = I + H + 1u;
  let last = rows - 1u;
  // Rows past the end read the last row again and are not written.
  let x0 = r0 * width;
  let x1 = min(r0 + 1u, last) * width;
  let x2 = min(r0 + 2u, last) * width;
  let x3 = min(r0 + 3u, last) * width;
  let x4 = min(r0 + 4u, last) * width;
  let x5 = min(r0 + 5u, last) * width;
  let x6 = min(r0 + 6u, last) * width;
  let x7 = min(r0 + 7u, last) * width;
  let bias = w[(I + H) * H + q];
  var a0 = bias; var a1 = bias; var a2 = bias; var a3 = bias;
  var a4 = bias; var a5 = bias; var a6 = bias; var a7 = bias;
  for (var k = 0u; k < I; k++) {
    let wk = w[k * H + q];
    a0 += xh[x0 + k] * wk;
    a1 += xh[x1 + k] * wk;
    a2 += xh[x2 + k] * wk;
    a3 += xh[x3 + k] * wk;
    a4 += xh[x4 + k] * wk;
    a5 += xh[x5 + k] * wk;
    a6 += xh[x6 + k] * wk;
    a7 += xh[x7 + k] * wk;
  }
  xw[r0 * H + q] = a0;
  if (r0 + 1u < rows) { xw[(r0 + 1u) * H + q] = a1; }
  if (r0 + 2u < rows) { xw[(r0 + 2u) * H + q] = a2; }
  if (r0 + 3u < rows) { xw[(r0 + 3u) * H + q] = a3; }
  if (r0 + 4u < rows) { xw[(r0 + 4u) * H + q] = a4; }
  if (r0 + 5u < rows) { xw[(r0 + 5u) * H + q] = a5; }
  if (r0 + 6u < rows) { xw[(r0 + 6u) * H + q] = a6; }
  if (r0 + 7u < rows) { xw[(r0 + 7u) * H + q] = a7; }
}
