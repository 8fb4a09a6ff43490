// lstm_cell_forward: one timestep t of the LSTM, fused: recurrent matmul, gate activations, cell update.
//   a[b, q*H + u] = xw[t, b, q*H + u] + sum_k h_{t-1}[b, k] * w[I + k, q*H + u]     (gate q: i, j, f, o)
//   i = sigmoid(a_i)   j = tanh(a_j)   f = sigmoid(a_f + forget_bias)   o = sigmoid(a_o)
//   c_t = c_{t-1} * f + i * j          h_t = tanh(c_t) * o
// h_{t-1} is read from xh[t, b, I..I+H), h_t written to xh[t+1, b, I..I+H); c_t to cs[t+1] (cs[0] = 0).
// Saves for backward: the activated gates (T, B, 4H), c (T+1, B, H), and h inside xh.
// Geometry: one invocation per (unit u < H, block of ROWS batch rows); each keeps ROWS x 4 gate sums.

struct Params {
  batch: u32,        // B
  input: u32,        // I
  hidden: u32,       // H
  t: u32,            // this dispatch's timestep
  forget_bias: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;               // (I+H+1, 4H) lstm block
@group(0) @binding(2) var<storage, read> xw: array<f32>;              // (T, B, 4H)
@group(0) @binding(3) var<storage, read_write> xh: array<f32>;        // (T+1, B, I+H+1)
@group(0) @binding(4) var<storage, read_write> cs: array<f32>;        // (T+1, B, H)
@group(0) @binding(5) var<storage, read_write> gates: array<f32>;     // (T, B, 4H) activated i, j, f, o

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
const ROWS: u32 = 4u;

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh through exp(-2|x|): never overflows, unlike some drivers' built-in tanh for large |x|.
fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

@compute @workgroup_size(WG_X, WG_Y)
fn lstm_cell_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let u = gid.x;
  let H = params.hidden;
  let B = params.batch;
  let b0 = gid.y * ROWS;
  if (u >= H || b0 >= B) { return; }
  let I = params.input;
  let G = 4u * H;
  let width = I + H + 1u;
  let t = params.t;
  var hrow: array<u32, ROWS>;   // start of h_{t-1} for each row
  for (var i = 0u; i < ROWS; i++) { hrow[i] = (t * B + min(b0 + i, B - 1u)) * width + I; }
  var acc: array<vec4<f32>, ROWS>;
  for (var k = 0u; k < H; k++) {
    let base = (I + k) * G + u;
    let wk = vec4<f32>(w[base], w[base + H], w[base + 2u * H], w[base + 3u * H]);
    for (var i = 0u; i < ROWS; i++) { acc[i] += xh[hrow[i] + k] * wk; }
  }
  for (var i = 0u; i < ROWS; i++) {
    let b = b0 + i;
    if (b >= B) { break; }
    let g0 = (t * B + b) * G + u;
    let a = acc[i] + vec4<f32>(xw[g0], xw[g0 + H], xw[g0 + 2u * H], xw[g0 + 3u * H]);
    let ig = sigmoid(a.x);
    let jg = tanh_stable(a.y);
    let fg = sigmoid(a.z + params.forget_bias);
    let og = sigmoid(a.w);
    let c = cs[(t * B + b) * H + u] * fg + ig * jg;
    cs[((t + 1u) * B + b) * H + u] = c;
    xh[((t + 1u) * B + b) * width + I + u] = tanh_stable(c) * og;
    gates[g0] = ig;
    gates[g0 + H] = jg;
    gates[g0 + 2u * H] = fg;
    gates[g0 + 3u * H] = og;
  }
}
