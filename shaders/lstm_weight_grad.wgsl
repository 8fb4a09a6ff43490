// lstm_weight_grad: gradients of lstm/kernel and lstm/bias over all timesteps, as one GEMM, with a
// register block of 8 k-rows x 8 columns (2 column quads) per invocation.
//   dw[k, g] = sum_{r < T*B} xh[r, k] * dgates[r, g]        k < I+H+1, g < 4H
// Row r = t*B + b of xh is [x_t, h_{t-1}, 1], so rows k < I give the input weights, I <= k < I+H the
// recurrent weights, and k = I+H (the constant-1 column) gives lstm/bias. dw: (I+H+1, 4H), the lstm
// block of the gradient buffer.
// Per r the invocation loads 2 vec4 of dgates (as a mat2x4) and 8 scalars of xh for 16 vec4
// multiply-adds: each dgates vector serves 8 k-rows and each xh value 8 columns. The register block is
// written out, not looped over: some drivers (SwiftShader) do not unroll loops and keep a looped-over array
// in memory.
// The T*B reduction stays whole in each invocation: deterministic, no barriers, no atomics.
// A token layer (first_row = I) starts at k = I: its input columns are unused, and embedding_grad writes
// its W_x rows by token instead.
// Geometry: one invocation per (column quads q0 = 2*gid.x, q0+1 < H, block of 8 k-rows k0 = first_row + 8*gid.y).

struct Params {
  rows: u32,      // T*B
  input: u32,     // I
  hidden: u32,    // H
  first_row: u32, // 0, or I for a token layer
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;              // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> dgates: array<vec4<f32>>;    // (T*B, 4H) as (T*B, H) vec4
@group(0) @binding(3) var<storage, read_write> dw: array<vec4<f32>>;  // (I+H+1, 4H) as (I+H+1, H) vec4

override WG_X: u32 = 32;
override WG_Y: u32 = 1;

// Row k of the block: dw[k, 4*q0 .. 4*q0+7], the second quad only when it exists.
fn store(k: u32, q0: u32, a: mat2x4<f32>) {
  let H = params.hidden;
  if (k >= params.input + H + 1u) { return; }
  dw[k * H + q0] = a[0];
  if (q0 + 1u < H) { dw[k * H + q0 + 1u] = a[1]; }
}

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q0 = 2u * gid.x;
  let H = params.hidden;
  let width = params.input + H + 1u;
  let k0 = params.first_row + gid.y * 8u;
  if (q0 >= H || k0 >= width) { return; }
  // Past the edges the last quad and k-row repeat; computed, never written.
  let q1 = min(q0 + 1u, H - 1u);
  let last = width - 1u;
  let c1 = min(k0 + 1u, last);
  let c2 = min(k0 + 2u, last);
  let c3 = min(k0 + 3u, last);
  let c4 = min(k0 + 4u, last);
  let c5 = min(k0 + 5u, last);
  let c6 = min(k0 + 6u, last);
  let c7 = min(k0 + 7u, last);
  var a0: mat2x4<f32>;   // a_i: dw[k0+i, 4*q0 .. 4*q0+7]
  var a1: mat2x4<f32>;
  var a2: mat2x4<f32>;
  var a3: mat2x4<f32>;
  var a4: mat2x4<f32>;
  var a5: mat2x4<f32>;
  var a6: mat2x4<f32>;
  var a7: mat2x4<f32>;
  for (var r = 0u; r < params.rows; r++) {
    let d = mat2x4<f32>(dgates[r * H + q0], dgates[r * H + q1]);
    let x = r * width;
    a0 += xh[x + k0] * d;
    a1 += xh[x + c1] * d;
    a2 += xh[x + c2] * d;
    a3 += xh[x + c3] * d;
    a4 += xh[x + c4] * d;
    a5 += xh[x + c5] * d;
    a6 += xh[x + c6] * d;
    a7 += xh[x + c7] * d;
  }
  store(k0, q0, a0);
  store(k0 + 1u, q0, a1);
  store(k0 + 2u, q0, a2);
  store(k0 + 3u, q0, a3);
  store(k0 + 4u, q0, a4);
  store(k0 + 5u, q0, a5);
  store(k0 + 6u, q0, a6);
  store(k0 + 7u, q0, a7);
}
