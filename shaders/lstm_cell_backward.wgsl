// lstm_cell_backward: one timestep t of backpropagation through time, fused (runs for t = T-1 down to 0).
//   dh_t[b, u] = sum_c dlogits[b, c] * w_out[u, c]                        t = T-1 (from the output layer)
//   dh_t[b, u] = sum_g da_{t+1}[b, g] * w[I + u, g]                        t < T-1 (from the next step)
//   dc  = dc_{t+1} + dh * o * (1 - tanh(c_t)^2)                            (dc_{T} = 0)
//   da_i = dc * j * i(1-i)    da_j = dc * i * (1-j^2)    da_f = dc * c_{t-1} * f(1-f)
//   da_o = dh * tanh(c_t) * o(1-o)                       dc_t-1 = dc * f
// da (dgates): gradients of the gate pre-activations, (T, B, 4H), kept for lstm_weight_grad.
// dc (B, H) carries the cell gradient between steps: each invocation reads and rewrites its own element.
// Geometry: one invocation per (unit u < H, block of ROWS batch rows).

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
  classes: u32,   // C
  t: u32,         // this dispatch's timestep
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;               // (I+H+1, 4H) lstm block
@group(0) @binding(2) var<storage, read> w_out: array<f32>;           // (H+1, C) output block
@group(0) @binding(3) var<storage, read> dlogits: array<f32>;         // (B, C)
@group(0) @binding(4) var<storage, read> gates: array<f32>;           // (T, B, 4H) activated i, j, f, o
@group(0) @binding(5) var<storage, read> cs: array<f32>;              // (T+1, B, H)
@group(0) @binding(6) var<storage, read_write> dgates: array<f32>;    // (T, B, 4H)
@group(0) @binding(7) var<storage, read_write> dc: array<f32>;        // (B, H)

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
const ROWS: u32 = 4u;

fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_cell_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let u = gid.x;
  let H = params.hidden;
  let B = params.batch;
  let b0 = gid.y * ROWS;
  if (u >= H || b0 >= B) { return; }
  let I = params.input;
  let C = params.classes;
  let G = 4u * H;
  let t = params.t;
  let last = t + 1u == params.steps;
  var dh: array<f32, ROWS>;
  if (last) {
    for (var i = 0u; i < ROWS; i++) {
      let b = min(b0 + i, B - 1u);
      for (var c = 0u; c < C; c++) { dh[i] += dlogits[b * C + c] * w_out[u * C + c]; }
    }
  } else {
    var next: array<u32, ROWS>;
    for (var i = 0u; i < ROWS; i++) { next[i] = ((t + 1u) * B + min(b0 + i, B - 1u)) * G; }
    let wrow = (I + u) * G;
    for (var g = 0u; g < G; g++) {
      let wg = w[wrow + g];
      for (var i = 0u; i < ROWS; i++) { dh[i] += dgates[next[i] + g] * wg; }
    }
  }
  for (var i = 0u; i < ROWS; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let g0 = (t * B + b) * G + u;
    let ig = gates[g0];
    let jg = gates[g0 + H];
    let fg = gates[g0 + 2u * H];
    let og = gates[g0 + 3u * H];
    let c = cs[((t + 1u) * B + b) * H + u];
    let c_prev = cs[(t * B + b) * H + u];
    let tc = tanh_stable(c);
    let dcell = select(dc[b * H + u], 0.0, last) + dh[i] * og * (1.0 - tc * tc);
    dgates[g0] = dcell * jg * ig * (1.0 - ig);
    dgates[g0 + H] = dcell * ig * (1.0 - jg * jg);
    dgates[g0 + 2u * H] = dcell * c_prev * fg * (1.0 - fg);
    dgates[g0 + 3u * H] = dh[i] * tc * og * (1.0 - og);
    dc[b * H + u] = dcell * fg;
  }
}
