// embedding_grad: the gradient of a token layer's W_x: the scatter-add of each row's dgates into its
// token's row, computed as a gather so that it is deterministic (no atomics; every sum in row order).
//   dw[v, g] = sum_{r < T*B, tokens[r] == v} dgates[r, g]        v < I (the vocabulary), g < 4H
// A symbol absent from the batch gets a zero row. lstm_weight_grad (first_row = I) writes the block's
// other rows: the recurrent weights and the bias.
// Shapes: tokens (T*B); dgates (T*B, 4H) as (T*B, H) vec4; dw: the lstm block of the gradient buffer,
// (I+H+1, 4H) as (I+H+1, H) vec4, of which rows v < I are written here.
// Geometry: one invocation per (column quad q < H, block of 8 symbols v0 = 8*gid.y); per row it reads the
// token, and only a row whose token is in its block loads dgates. The 8 sums are named variables, not an
// array (SwiftShader keeps looped-over arrays in memory).

struct Params {
  rows: u32,      // T*B
  input: u32,     // I: the vocabulary
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;          // (T*B)
@group(0) @binding(2) var<storage, read> dgates: array<vec4<f32>>;    // (T*B, H) vec4
@group(0) @binding(3) var<storage, read_write> dw: array<vec4<f32>>;  // (I+H+1, H) vec4

override WG_X: u32 = 32;
override WG_Y: u32 = 1;

fn store(v: u32, q: u32, a: vec4<f32>) {
  if (v < params.input) { dw[v * params.hidden + q] = a; }
}

@compute @workgroup_size(WG_X, WG_Y)
fn embedding_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let H = params.hidden;
  let v0 = gid.y * 8u;
  if (q >= H || v0 >= params.input) { return; }
  let zero = vec4<f32>();
  var a0 = zero; var a1 = zero; var a2 = zero; var a3 = zero;
  var a4 = zero; var a5 = zero; var a6 = zero; var a7 = zero;
  for (var r = 0u; r < params.rows; r++) {
    let i = tokens[r] - v0;  // wraps past 8 for tokens below v0
    if (i < 8u) {
      let d = dgates[r * H + q];
      a0 += select(zero, d, i == 0u);
      a1 += select(zero, d, i == 1u);
      a2 += select(zero, d, i == 2u);
      a3 += select(zero, d, i == 3u);
      a4 += select(zero, d, i == 4u);
      a5 += select(zero, d, i == 5u);
      a6 += select(zero, d, i == 6u);
      a7 += select(zero, d, i == 7u);
    }
  }
  store(v0, q, a0);
  store(v0 + 1u, q, a1);
  store(v0 + 2u, q, a2);
  store(v0 + 3u, q, a3);
  store(v0 + 4u, q, a4);
  store(v0 + 5u, q, a5);
  store(v0 + 6u, q, a6);
  store(v0 + 7u, q, a7);
}
