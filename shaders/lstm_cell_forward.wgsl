// lstm_cell_forward: one timestep t of the LSTM, fused: recurrent matmul, gate activations, cell update,
// with an 8 batch rows x 4 units register block per invocation.
//   a[b, q*H + u] = xw[t, b, q*H + u] + sum_k h_{t-1}[b, k] * w[I + k, q*H + u]     (gate q: i, j, f, o)
//   i = sigmoid(a_i)   j = tanh(a_j)   f = sigmoid(a_f + forget_bias)   o = sigmoid(a_o)
//   c_t = c_{t-1} * f + i * j          h_t = tanh(c_t) * o
// h_{t-1} is read from xh[t, b, I..I+H), h_t written to xh[t+1, b, I..I+H); c_t to cs[t+1] (cs[0] = 0).
// Saves for backward: the activated gates (T, B, 4H), c (T+1, B, H), and h inside xh.
// In a stack, h_t is also the input x_t of the layer above: with next_width > 0 it is written to that
// layer's xh too, x_next[t, b, u] (x_next: (T+1, B, next_width), next_width = H + H_above + 1), so the
// layer above needs no copy dispatch. The top layer has next_width = 0 and x_next is a placeholder.
// Per k the invocation loads 8 h values (one per row) and wk = the 4 gates' W[I+k, q*H+u0 .. q*H+u0+3] as a
// mat4x4 (column q: gate q, 4 units): 4 vec4 loads when H % 4 == 0 (every such quad then starts on a
// vec4), else 16 scalars; then 8 matrix multiply-adds (128 multiply-adds): each h value serves the 4
// gates of 4 units and each W value 8 rows. The register block is written out, not looped over: some
// drivers (SwiftShader) do not unroll loops and keep a looped-over array in memory.
// Geometry: one invocation per (block of 8 batch rows b0 = 8*gid.y < B, quad of units u0 = 4*q < H) where
// q = gid.x, gid.x + stride, ... (stride = every invocation along x).
// Steps per dispatch: params.count timesteps t, t+1, ..., separated by a storage barrier. The scheduler
// either dispatches once per timestep (count = 1, the grid covers every quad: each invocation runs one),
// or once per sequence (count = T, one workgroup along x that loops over all quads of its rows: a
// workgroup then owns whole batch rows, so the barrier is the only synchronization h_t needs).

struct Params {
  batch: u32,        // B
  input: u32,        // I
  hidden: u32,       // H
  t: u32,            // this dispatch's first timestep
  count: u32,        // timesteps this dispatch runs: 1, or T when one workgroup along x holds all units
  forget_bias: f32,
  next_width: u32,   // row width of the layer above's xh (H + H_above + 1); 0 at the top layer
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;         // (I+H+1, 4H) lstm block, as vec4
@group(0) @binding(2) var<storage, read> xw: array<f32>;              // (T, B, 4H)
@group(0) @binding(3) var<storage, read_write> xh: array<f32>;        // (T+1, B, I+H+1)
@group(0) @binding(4) var<storage, read_write> cs: array<f32>;        // (T+1, B, H)
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;     // (T, B, 4H) activated i, j, f, o
@group(0) @binding(6) var<storage, read_write> x_next: array<f32>;    // (T+1, B, next_width): the layer above's xh

override WG_X: u32 = 4;
override WG_Y: u32 = 4;

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh through exp(-2|x|): never overflows, unlike some drivers' built-in tanh for large |x|.
fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// Float e of the lstm block through its vec4 view.
fn w_at(e: u32) -> f32 { return w[e >> 2u][e & 3u]; }

// The cell update of batch row b for units u0.. (at most 4, fewer at the edge): a[q][j] is the recurrent
// sum of gate q, unit u0+j.
fn update(t: u32, b: u32, u0: u32, a: mat4x4<f32>) {
  let H = params.hidden;
  let B = params.batch;
  let G = 4u * H;
  let width = params.input + H + 1u;
  let at = transpose(a);   // at[j]: the 4 gate sums of unit u0+j
  for (var j = 0u; j < 4u; j++) {
    let u = u0 + j;
    if (u >= H) { break; }
    let g0 = (t * B + b) * G + u;
    let s = at[j] + vec4<f32>(xw[g0], xw[g0 + H], xw[g0 + 2u * H], xw[g0 + 3u * H]);
    let ig = sigmoid(s.x);
    let jg = tanh_stable(s.y);
    let fg = sigmoid(s.z + params.forget_bias);
    let og = sigmoid(s.w);
    let c = cs[(t * B + b) * H + u] * fg + ig * jg;
    cs[((t + 1u) * B + b) * H + u] = c;
    let h = tanh_stable(c) * og;
    xh[((t + 1u) * B + b) * width + params.input + u] = h;
    if (params.next_width > 0u) { x_next[(t * B + b) * params.next_width + u] = h; }
    gates[g0] = ig;
    gates[g0 + H] = jg;
    gates[g0 + 2u * H] = fg;
    gates[g0 + 3u * H] = og;
  }
}

// Timestep t for batch rows b0..b0+7 (those below B) and units u0..u0+3 (those below H).
fn cell_block(t: u32, u0: u32, b0: u32) {
  let H = params.hidden;
  let B = params.batch;
  let I = params.input;
  let G = 4u * H;
  let width = I + H + 1u;
  // Start of h_{t-1} for each row; rows past B repeat row B-1 and are never written.
  let h0 = (t * B + b0) * width + I;
  let h1 = (t * B + min(b0 + 1u, B - 1u)) * width + I;
  let h2 = (t * B + min(b0 + 2u, B - 1u)) * width + I;
  let h3 = (t * B + min(b0 + 3u, B - 1u)) * width + I;
  let h4 = (t * B + min(b0 + 4u, B - 1u)) * width + I;
  let h5 = (t * B + min(b0 + 5u, B - 1u)) * width + I;
  let h6 = (t * B + min(b0 + 6u, B - 1u)) * width + I;
  let h7 = (t * B + min(b0 + 7u, B - 1u)) * width + I;
  var a0: mat4x4<f32>;   // a_i[q][j]: row b0+i, gate q, unit u0+j
  var a1: mat4x4<f32>;
  var a2: mat4x4<f32>;
  var a3: mat4x4<f32>;
  var a4: mat4x4<f32>;
  var a5: mat4x4<f32>;
  var a6: mat4x4<f32>;
  var a7: mat4x4<f32>;
  if (H % 4u == 0u) {
    let hq = H / 4u;   // vec4 per gate block
    var base = I * H + u0 / 4u;   // vec4 index of W[I + k, u0] at k = 0; a row is H vec4
    for (var k = 0u; k < H; k++) {
      let wk = mat4x4<f32>(w[base], w[base + hq], w[base + 2u * hq], w[base + 3u * hq]);
      a0 += xh[h0 + k] * wk;
      a1 += xh[h1 + k] * wk;
      a2 += xh[h2 + k] * wk;
      a3 += xh[h3 + k] * wk;
      a4 += xh[h4 + k] * wk;
      a5 += xh[h5 + k] * wk;
      a6 += xh[h6 + k] * wk;
      a7 += xh[h7 + k] * wk;
      base += H;
    }
  } else {
    // Units past H (last quad) repeat unit H-1; their sums are never written.
    let e1 = min(u0 + 1u, H - 1u) - u0;
    let e2 = min(u0 + 2u, H - 1u) - u0;
    let e3 = min(u0 + 3u, H - 1u) - u0;
    for (var k = 0u; k < H; k++) {
      let e = (I + k) * G + u0;
      let wk = mat4x4<f32>(
        vec4<f32>(w_at(e), w_at(e + e1), w_at(e + e2), w_at(e + e3)),
        vec4<f32>(w_at(e + H), w_at(e + H + e1), w_at(e + H + e2), w_at(e + H + e3)),
        vec4<f32>(w_at(e + 2u * H), w_at(e + 2u * H + e1), w_at(e + 2u * H + e2), w_at(e + 2u * H + e3)),
        vec4<f32>(w_at(e + 3u * H), w_at(e + 3u * H + e1), w_at(e + 3u * H + e2), w_at(e + 3u * H + e3)));
      a0 += xh[h0 + k] * wk;
      a1 += xh[h1 + k] * wk;
      a2 += xh[h2 + k] * wk;
      a3 += xh[h3 + k] * wk;
      a4 += xh[h4 + k] * wk;
      a5 += xh[h5 + k] * wk;
      a6 += xh[h6 + k] * wk;
      a7 += xh[h7 + k] * wk;
    }
  }
  update(t, b0, u0, a0);
  if (b0 + 1u < B) { update(t, b0 + 1u, u0, a1); }
  if (b0 + 2u < B) { update(t, b0 + 2u, u0, a2); }
  if (b0 + 3u < B) { update(t, b0 + 3u, u0, a3); }
  if (b0 + 4u < B) { update(t, b0 + 4u, u0, a4); }
  if (b0 + 5u < B) { update(t, b0 + 5u, u0, a5); }
  if (b0 + 6u < B) { update(t, b0 + 6u, u0, a6); }
  if (b0 + 7u < B) { update(t, b0 + 7u, u0, a7); }
}

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_cell_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let quads = (params.hidden + 3u) / 4u;
  let stride = groups.x * WG_X;
  let b0 = gid.y * 8u;
  for (var s = 0u; s < params.count; s++) {
    if (b0 < params.batch) {
      for (var q = gid.x; q < quads; q += stride) { cell_block(params.t + s, 4u * q, b0); }
    }
    // h_t and c_t of these rows, written across the workgroup, are read across it at t + 1.
    storageBarrier();
  }
}
