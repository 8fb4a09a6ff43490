// lstm_input_grad: the gradient w.r.t. a layer's input sequence, for all T*B rows at once as one GEMM,
// with a register block of 8 rows x 4 input columns per invocation.
//   dx[r, k] = sum_{g < 4H} dgates[r, g] * w[k, g]          r = t*B + b < T*B, k < I
// dgates: (T, B, 4H) as the layer's backward pass leaves it. w: the layer's (I+H+1, 4H) block of the
// parameter buffer, [W_x; W_h; b]; only its first I rows, W_x, are read. dx: (T, B, I), dloss/dx_t for
// every t: in a stack, the dh_t that the layer below adds to its recurrent dh at step t.
// dx is written, not accumulated: every element is stored exactly once, so the buffer needs no clearing
// between steps, and nothing else adds to it.
// Per 4 values of g the invocation loads 4 vec4 of w (rows k0..k0+3, as the columns of a mat4x4) and 8 of
// dgates (one per row) for 8 vec4 x mat4x4 products: 12 loads for 128 multiply-adds, each w vector reused
// by 8 rows and each dgates vector by 4 columns. Rows of both start on a vec4 (4H floats), whatever H.
// The register block is written out, not looped over: software adapters (SwiftShader, lavapipe) do not
// unroll loops and keep a looped-over array in memory.
// The 4H reduction stays whole in each invocation: deterministic, no barriers, no atomics. Stores are
// scalar: I need not be a multiple of 4, so a row of dx need not start on a vec4.
// Geometry: one invocation per (quad of input columns k0 = 4*gid.x < I, block of 8 rows r0 = 8*gid.y < T*B).

struct Params {
  rows: u32,      // T*B
  input: u32,     // I
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;         // (I+H+1, 4H) lstm block, as (I+H+1, H) vec4; rows < I read
@group(0) @binding(2) var<storage, read> dgates: array<vec4<f32>>;    // (T*B, 4H) as (T*B, H) vec4
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;        // (T*B, I)

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

// Row r of the block: dx[r, k0 .. k0+3], the columns below I.
fn store(r: u32, k0: u32, v: vec4<f32>) {
  let I = params.input;
  if (r >= params.rows) { return; }
  let o = r * I + k0;
  dx[o] = v.x;
  if (k0 + 1u < I) { dx[o + 1u] = v.y; }
  if (k0 + 2u < I) { dx[o + 2u] = v.z; }
  if (k0 + 3u < I) { dx[o + 3u] = v.w; }
}

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_input_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
  let H = params.hidden;
  let I = params.input;
  let k0 = 4u * gid.x;
  let r0 = 8u * gid.y;
  if (k0 >= I || r0 >= params.rows) { return; }
  // Rows past T*B repeat the last row, columns past I the last column: computed, never written.
  let last = params.rows - 1u;
  let n0 = r0 * H;   // offsets in vec4: a row of 4H floats is H vec4
  let n1 = min(r0 + 1u, last) * H;
  let n2 = min(r0 + 2u, last) * H;
  let n3 = min(r0 + 3u, last) * H;
  let n4 = min(r0 + 4u, last) * H;
  let n5 = min(r0 + 5u, last) * H;
  let n6 = min(r0 + 6u, last) * H;
  let n7 = min(r0 + 7u, last) * H;
  let w0 = k0 * H;
  let w1 = min(k0 + 1u, I - 1u) * H;
  let w2 = min(k0 + 2u, I - 1u) * H;
  let w3 = min(k0 + 3u, I - 1u) * H;
  var a0: vec4<f32>;   // a_i[j]: dx[r0+i, k0+j]
  var a1: vec4<f32>;
  var a2: vec4<f32>;
  var a3: vec4<f32>;
  var a4: vec4<f32>;
  var a5: vec4<f32>;
  var a6: vec4<f32>;
  var a7: vec4<f32>;
  for (var g4 = 0u; g4 < H; g4++) {
    // Column j of m is w[k0 + j, 4*g4 .. 4*g4+3]; d * m = (dot(d, m[0]), ..., dot(d, m[3])).
    let m = mat4x4<f32>(w[w0 + g4], w[w1 + g4], w[w2 + g4], w[w3 + g4]);
    a0 += dgates[n0 + g4] * m;
    a1 += dgates[n1 + g4] * m;
    a2 += dgates[n2 + g4] * m;
    a3 += dgates[n3 + g4] * m;
    a4 += dgates[n4 + g4] * m;
    a5 += dgates[n5 + g4] * m;
    a6 += dgates[n6 + g4] * m;
    a7 += dgates[n7 + g4] * m;
  }
  store(r0, k0, a0);
  store(r0 + 1u, k0, a1);
  store(r0 + 2u, k0, a2);
  store(r0 + 3u, k0, a3);
  store(r0 + 4u, k0, a4);
  store(r0 + 5u, k0, a5);
  store(r0 + 6u, k0, a6);
  store(r0 + 7u, k0, a7);
}
