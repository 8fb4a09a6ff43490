// embedding_gather: a token layer's input projection. Its x_t is one-hot, so x_t . W_x is row x_t of W_x:
// a gather of rows, never a one-hot matrix.
//   xw[r, g] = w[tokens[r], g] + w[I + H, g]        r = t*B + b < T*B, g < 4H (w's last row is lstm/bias)
// Shapes: tokens (T*B) symbols below I; w: the lstm block (I+H+1, 4H), as (I+H+1, H) vec4; xw (T*B, 4H) as
// (T*B, H) vec4. The same xw input_projection writes for a layer of values.
// Geometry: one invocation per (column quad q < H, row r).

struct Params {
  rows: u32,      // T*B
  input: u32,     // I: the vocabulary
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;          // (T*B)
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;         // (I+H+1, 4H) as (I+H+1, H) vec4
@group(0) @binding(3) var<storage, read_write> xw: array<vec4<f32>>;  // (T*B, 4H) as (T*B, H) vec4

override WG_X: u32 = 16;
override WG_Y: u32 = 4;

@compute @workgroup_size(WG_X, WG_Y)
fn embedding_gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let r = gid.y;
  let H = params.hidden;
  if (q >= H || r >= params.rows) { return; }
  let token = min(tokens[r], params.input - 1u);
  xw[r * H + q] = w[token * H + q] + w[(params.input + H) * H + q];
}
