// softmax_cross_entropy: the output layer, its loss, and the loss gradient, for one minibatch.
//   logits[b, c]  = sum_k h_T[b, k] * w_out[k, c] + w_out[H, c]      (w_out's last row is output/bias)
//   p[b, c]       = softmax(logits[b, :])[c]
//   loss[b]       = log(sum_c exp(logits[b, c])) - logits[b, label_b]
//   dlogits[b, c] = (p[b, c] - [c == label_b]) / B                   (gradient of the batch-mean loss)
//   stats[b]      = (loss[b], 1 if argmax_c logits[b, c] == label_b else 0)   (first max on ties)
// h_T is read from xh[T, b, I..I+H). Shapes: w_out (H+1, C), logits and dlogits (B, C), stats (B, 2).
// Geometry: one invocation per batch row b; three passes over its C logits (max, sum, write).

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
  classes: u32,   // C
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;            // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read> w_out: array<f32>;         // (H+1, C) output block
@group(0) @binding(3) var<storage, read> labels: array<u32>;        // (B)
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;  // (B, C)
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>; // (B, C)
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;   // (B, 2) loss, correct

override WG_X: u32 = 64;

@compute @workgroup_size(WG_X)
fn softmax_cross_entropy(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  let B = params.batch;
  if (b >= B) { return; }
  let H = params.hidden;
  let C = params.classes;
  let I = params.input;
  let h = (params.steps * B + b) * (I + H + 1u) + I;
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
  let inv_batch = 1.0 / f32(B);
  for (var c = 0u; c < C; c++) {
    let p = exp(logits[b * C + c] - top) / total;
    dlogits[b * C + c] = (p - select(0.0, 1.0, c == label)) * inv_batch;
  }
  stats[2u * b] = log(total) + top - logits[b * C + min(label, C - 1u)];
  stats[2u * b + 1u] = select(0.0, 1.0, best == label);
}
