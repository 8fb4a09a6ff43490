// softmax_cross_entropy: the output layer, its loss, and the loss gradient, for one minibatch, at the
// last S = head_steps timesteps: S = 1 for a classifier (h_T only), S = T for a language model (every step).
//   row r = s*B + b (s < S) reads h_t of batch row b at t = T - S + s + 1, from xh[t, b, I..I+H)
//   logits[r, c]  = sum_k h[r, k] * w_out[k, c] + w_out[H, c]      (w_out's last row is output/bias)
//   p[r, c]       = softmax(logits[r, :])[c]
//   loss[r]       = log(sum_c exp(logits[r, c])) - logits[r, label_r]
//   dlogits[r, c] = (p[r, c] - [c == label_r]) / (S*B)             (gradient of the mean loss over S*B rows)
//   stats[r]      = (loss[r], 1 if argmax_c logits[r, c] == label_r else 0)   (first max on ties)
// Shapes: w_out (H+1, C), labels (S*B), logits and dlogits (S*B, C), stats (S*B, 2).
// Geometry: one invocation per row r; three passes over its C logits (max, sum, write).

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
  classes: u32,   // C
  head_steps: u32,  // S: 1 (the last step) or T (every step)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;            // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> w_out: array<f32>;         // (H+1, C) output block
@group(0) @binding(3) var<storage, read> labels: array<u32>;        // (S*B)
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;  // (S*B, C)
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>; // (S*B, C)
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;   // (S*B, 2) loss, correct

override WG_X: u32 = 64;

@compute @workgroup_size(WG_X)
fn softmax_cross_entropy(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;  // the row r
  let B = params.batch;
  let rows = params.head_steps * B;
  if (b >= rows) { return; }
  let H = params.hidden;
  let C = params.classes;
  let I = params.input;
  let h = ((params.steps + 1u - params.head_steps) * B + b) * (I + H + 1u) + I;
  var best = 0u;
  var top = -3.4e38;
  for (var c = 0u; c < C; c++) {
    var z = w_out[H * C + c];
    for (var k = 0u; k < H; k++) { z += xh[h + k] * w_out[k * C + c]; }
    logits[b * C + c] = z;
    if (z > top) { top = z; best = c; }
  }
  var total = 0.0;
  for (var c = 0u; c < C; c++) { total += exp(logits[b * C + c] - top); }
  let label = labels[b];
  let inv_rows = 1.0 / f32(rows);
  for (var c = 0u; c < C; c++) {
    let p = exp(logits[b * C + c] - top) / total;
    dlogits[b * C + c] = (p - select(0.0, 1.0, c == label)) * inv_rows;
  }
  stats[2u * b] = log(total) + top - logits[b * C + min(label, C - 1u)];
  stats[2u * b + 1u] = select(0.0, 1.0, best == label);
}
