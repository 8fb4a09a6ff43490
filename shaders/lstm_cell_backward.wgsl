// lstm_cell_backward: one timestep t of backpropagation through time, fused (runs for t = T-1 down to 0),
// with an 8 batch rows x 4 units register block per invocation.
//   dh_t[b, u] = sum_c dlogits[r, c] * w_out[u, c]                        t >= T-S (from the output layer)
//   dh_t[b, u] += sum_g da_{t+1}[b, g] * w[I + u, g]                       t < T-1 (from the next step)
// The head reads the last S = head_steps steps (S = 1: h_T only; S = T: every step, a language model);
// row r = (t - (T - S))*B + b of dlogits belongs to step t.
// In a stack, a layer below the top (from_above = 1) takes dh from the layer above instead of the head:
//   dh_t[b, u] = dh_in[t, b, u] (+ the recurrent term for t < T-1)          dh_in: (T, B, H), dx of the layer above
// (the top layer has from_above = 0 and dh_in is a placeholder).
//   dc  = dc_{t+1} + dh * o * (1 - tanh(c_t)^2)                            (dc_{T} = 0)
//   da_i = dc * j * i(1-i)    da_j = dc * i * (1-j^2)    da_f = dc * c_{t-1} * f(1-f)
//   da_o = dh * tanh(c_t) * o(1-o)                       dc_t-1 = dc * f
// The dh recurrence reads W rows I+u and the dgates rows of t+1 as vec4 along g (4H is a multiple of 4 and
// every such row starts on a vec4, whatever H): per 4 values of g, 4 vec4 loads of W (one per unit, as the
// columns of a mat4x4) and 8 of dgates (one per row) feed 8 vec4 x mat4x4 products: 12 loads for 128
// multiply-adds, each W vector reused by 8 rows and each dgates vector by 4 units. The register block is
// written out, not looped over: some drivers (SwiftShader) do not unroll loops and keep a looped-over
// array in memory.
// The cell update stays scalar, so any H works.
// Geometry: one invocation per (block of 8 batch rows b0 = 8*gid.y < B, quad of units u0 = 4*q < H) where
// q = gid.x, gid.x + stride, ... (stride = every invocation along x).
// Steps per dispatch: params.count timesteps t, t-1, ..., separated by a storage barrier: once per
// timestep (count = 1, the grid covers every quad) or once per sequence (count = T, one workgroup along x
// owning whole batch rows; dc of (b, u) stays with the invocation that owns it).

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
  classes: u32,   // C
  t: u32,         // this dispatch's first timestep (the highest)
  count: u32,     // timesteps this dispatch runs, t down to t - count + 1
  from_above: u32,  // 1: dh_in holds dh from the layer above at every step; 0: the top layer (dh from the head)
  head_steps: u32,  // S: the head's steps (1 or T), for the top layer
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;         // (I+H+1, 4H) lstm block, as (I+H+1, H) vec4
@group(0) @binding(2) var<storage, read> w_out: array<f32>;           // (H+1, C) output block
@group(0) @binding(3) var<storage, read> dlogits: array<f32>;         // (S*B, C)
@group(0) @binding(4) var<storage, read> gates: array<f32>;           // (T, B, 4H) activated i, j, f, o
@group(0) @binding(5) var<storage, read> cs: array<f32>;              // (T+1, B, H)
@group(0) @binding(6) var<storage, read_write> dgates: array<vec4<f32>>;  // (T, B, 4H) as (T, B, H) vec4
@group(0) @binding(7) var<storage, read_write> dc: array<f32>;        // (B, H)
@group(0) @binding(8) var<storage, read> dh_in: array<f32>;           // (T, B, H) when from_above = 1

override WG_X: u32 = 4;
override WG_Y: u32 = 4;

fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

// Scalar store into the vec4 view of dgates: element e is component e % 4 of vec4 e / 4.
fn store_dgate(e: u32, v: f32) { dgates[e >> 2u][e & 3u] = v; }

// dh of batch row b from the output layer at step t >= T-S, for units u0.. (units past H repeat unit H-1).
fn dh_head(t: u32, b: u32, u0: u32) -> vec4<f32> {
  let C = params.classes;
  let H = params.hidden;
  let u1 = min(u0 + 1u, H - 1u);
  let u2 = min(u0 + 2u, H - 1u);
  let u3 = min(u0 + 3u, H - 1u);
  let r = (t + params.head_steps - params.steps) * params.batch + b;
  var dh: vec4<f32>;
  for (var c = 0u; c < C; c++) {
    dh += dlogits[r * C + c] * vec4<f32>(w_out[u0 * C + c], w_out[u1 * C + c], w_out[u2 * C + c], w_out[u3 * C + c]);
  }
  return dh;
}

// dh reaching batch row b at step t from the layer above, for units u0.. (units past H repeat unit H-1).
fn dh_above(t: u32, b: u32, u0: u32) -> vec4<f32> {
  let H = params.hidden;
  let r = (t * params.batch + b) * H;
  return vec4<f32>(dh_in[r + u0], dh_in[r + min(u0 + 1u, H - 1u)], dh_in[r + min(u0 + 2u, H - 1u)], dh_in[r + min(u0 + 3u, H - 1u)]);
}

// The cell update of batch row b for units u0.. (at most 4, fewer at the edge): dh[j] for unit u0+j.
fn update(t: u32, b: u32, u0: u32, dh: vec4<f32>) {
  let H = params.hidden;
  let B = params.batch;
  let G = 4u * H;
  let last = t + 1u == params.steps;
  for (var j = 0u; j < 4u; j++) {
    let u = u0 + j;
    if (u >= H) { break; }
    let g0 = (t * B + b) * G + u;
    let ig = gates[g0];
    let jg = gates[g0 + H];
    let fg = gates[g0 + 2u * H];
    let og = gates[g0 + 3u * H];
    let c = cs[((t + 1u) * B + b) * H + u];
    let c_prev = cs[(t * B + b) * H + u];
    let tc = tanh_stable(c);
    let dhu = dh[j];
    let dcell = select(dc[b * H + u], 0.0, last) + dhu * og * (1.0 - tc * tc);
    store_dgate(g0, dcell * jg * ig * (1.0 - ig));
    store_dgate(g0 + H, dcell * ig * (1.0 - jg * jg));
    store_dgate(g0 + 2u * H, dcell * c_prev * fg * (1.0 - fg));
    store_dgate(g0 + 3u * H, dhu * tc * og * (1.0 - og));
    dc[b * H + u] = dcell * fg;
  }
}

// Timestep t for batch rows b0..b0+7 (those below B) and units u0..u0+3 (those below H).
fn cell_block(t: u32, u0: u32, b0: u32) {
  let H = params.hidden;
  let B = params.batch;
  let I = params.input;
  // Rows past B repeat row B-1, units past H repeat unit H-1: computed, never written.
  let b1 = min(b0 + 1u, B - 1u);
  let b2 = min(b0 + 2u, B - 1u);
  let b3 = min(b0 + 3u, B - 1u);
  let b4 = min(b0 + 4u, B - 1u);
  let b5 = min(b0 + 5u, B - 1u);
  let b6 = min(b0 + 6u, B - 1u);
  let b7 = min(b0 + 7u, B - 1u);
  var dh0: vec4<f32>;   // dh_i[j]: row b0+i, unit u0+j
  var dh1: vec4<f32>;
  var dh2: vec4<f32>;
  var dh3: vec4<f32>;
  var dh4: vec4<f32>;
  var dh5: vec4<f32>;
  var dh6: vec4<f32>;
  var dh7: vec4<f32>;
  if (params.from_above == 1u) {
    dh0 = dh_above(t, b0, u0);
    dh1 = dh_above(t, b1, u0);
    dh2 = dh_above(t, b2, u0);
    dh3 = dh_above(t, b3, u0);
    dh4 = dh_above(t, b4, u0);
    dh5 = dh_above(t, b5, u0);
    dh6 = dh_above(t, b6, u0);
    dh7 = dh_above(t, b7, u0);
  } else if (t + params.head_steps >= params.steps) {
    dh0 = dh_head(t, b0, u0);
    dh1 = dh_head(t, b1, u0);
    dh2 = dh_head(t, b2, u0);
    dh3 = dh_head(t, b3, u0);
    dh4 = dh_head(t, b4, u0);
    dh5 = dh_head(t, b5, u0);
    dh6 = dh_head(t, b6, u0);
    dh7 = dh_head(t, b7, u0);
  }
  if (t + 1u < params.steps) {
    // Offsets in vec4: a row of 4H floats is H vec4.
    let n0 = ((t + 1u) * B + b0) * H;
    let n1 = ((t + 1u) * B + b1) * H;
    let n2 = ((t + 1u) * B + b2) * H;
    let n3 = ((t + 1u) * B + b3) * H;
    let n4 = ((t + 1u) * B + b4) * H;
    let n5 = ((t + 1u) * B + b5) * H;
    let n6 = ((t + 1u) * B + b6) * H;
    let n7 = ((t + 1u) * B + b7) * H;
    let w0 = (I + u0) * H;
    let w1 = (I + min(u0 + 1u, H - 1u)) * H;
    let w2 = (I + min(u0 + 2u, H - 1u)) * H;
    let w3 = (I + min(u0 + 3u, H - 1u)) * H;
    for (var g4 = 0u; g4 < H; g4++) {
      // Column j of m is W[I + u0 + j, 4*g4 .. 4*g4+3]; d * m = (dot(d, m[0]), ..., dot(d, m[3])).
      let m = mat4x4<f32>(w[w0 + g4], w[w1 + g4], w[w2 + g4], w[w3 + g4]);
      dh0 += dgates[n0 + g4] * m;
      dh1 += dgates[n1 + g4] * m;
      dh2 += dgates[n2 + g4] * m;
      dh3 += dgates[n3 + g4] * m;
      dh4 += dgates[n4 + g4] * m;
      dh5 += dgates[n5 + g4] * m;
      dh6 += dgates[n6 + g4] * m;
      dh7 += dgates[n7 + g4] * m;
    }
  }
  update(t, b0, u0, dh0);
  if (b0 + 1u < B) { update(t, b0 + 1u, u0, dh1); }
  if (b0 + 2u < B) { update(t, b0 + 2u, u0, dh2); }
  if (b0 + 3u < B) { update(t, b0 + 3u, u0, dh3); }
  if (b0 + 4u < B) { update(t, b0 + 4u, u0, dh4); }
  if (b0 + 5u < B) { update(t, b0 + 5u, u0, dh5); }
  if (b0 + 6u < B) { update(t, b0 + 6u, u0, dh6); }
  if (b0 + 7u < B) { update(t, b0 + 7u, u0, dh7); }
}

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_cell_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let quads = (params.hidden + 3u) / 4u;
  let stride = groups.x * WG_X;
  let b0 = gid.y * 8u;
  for (var s = 0u; s < params.count; s++) {
    if (b0 < params.batch) {
      for (var q = gid.x; q < quads; q += stride) { cell_block(params.t - s, 4u * q, b0); }
    }
    // dgates_t of these rows, written across the workgroup, is read across it at t - 1.
    storageBarrier();
  }
}
