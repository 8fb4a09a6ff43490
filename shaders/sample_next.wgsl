// sample_next: a language model's next symbol, drawn on the GPU, for each of B samples at once; one
// dispatch per generated symbol, with no readback between them (the position lives in `cursor`).
//   logits[b, c] = sum_k h[b, k] * w_out[k, c] + w_out[H, c]     h: the top layer's h_1 (xh row 1, cols I..I+H)
//   z[c]  = logits[b, c] / temperature, for the top_k largest logits (top_k = 0: every symbol; ties: lower c first)
//   p     = softmax(z);  next = the first c whose running sum of p passes u
//   u     = uniform in [0, 1) from a hash of (seed, b, position): the same seed draws the same text
//   while position + 1 < prime_length the prime's own next symbol is read instead (the model reads its prime)
//   out[b, position + 1] = next,  current[b] = next (embedding_gather's next token),  cursor[b] = position + 1
// Shapes: xh (2, B, I+H+1), w_out (H+1, C) with C <= 256, out (B, N) symbols, current and cursor (B),
// logits (B, C) kept for inspection.
// Geometry: one workgroup per sample b; its WG_X invocations compute the logits c = lid, lid + WG_X, ...
// and each one's rank, then invocation 0 draws.

struct Params {
  batch: u32,         // B
  input: u32,         // I of the top layer
  hidden: u32,        // H of the top layer
  classes: u32,       // C = V
  length: u32,        // N: symbols per sample, the prime included
  prime_length: u32,
  top_k: u32,         // 0: all
  seed: u32,
  temperature: f32,   // > 0
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xh: array<f32>;               // (2, B, I+H+1)
@group(0) @binding(2) var<storage, read> w_out: array<f32>;            // (H+1, C)
@group(0) @binding(3) var<storage, read_write> out: array<u32>;        // (B, N)
@group(0) @binding(4) var<storage, read_write> current: array<u32>;    // (B)
@group(0) @binding(5) var<storage, read_write> cursor: array<u32>;     // (B)
@group(0) @binding(6) var<storage, read_write> logits: array<f32>;     // (B, C)

override WG_X: u32 = 64;

var<workgroup> z: array<f32, 256>;
var<workgroup> keep: array<u32, 256>;

// PCG's output permutation as a hash (Jarzynski and Olano, "Hash Functions for GPU Rendering", 2020).
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG_X)
fn sample_next(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.x;
  let C = params.classes;
  let H = params.hidden;
  let h = (params.batch + b) * (params.input + H + 1u) + params.input;
  for (var c = lid.x; c < C; c += WG_X) {
    var a = w_out[H * C + c];
    for (var k = 0u; k < H; k++) { a += xh[h + k] * w_out[k * C + c]; }
    logits[b * C + c] = a;
    z[c] = a / params.temperature;
  }
  workgroupBarrier();
  // Rank of each symbol (how many come before it: larger, or equal and lower); top_k keeps ranks below k.
  for (var c = lid.x; c < C; c += WG_X) {
    var rank = 0u;
    for (var o = 0u; o < C; o++) { rank += select(0u, 1u, z[o] > z[c] || (z[o] == z[c] && o < c)); }
    keep[c] = select(0u, 1u, params.top_k == 0u || rank < params.top_k);
  }
  workgroupBarrier();
  if (lid.x != 0u) { return; }
  let position = cursor[b];
  if (position + 1u >= params.length) { return; }
  var next: u32;
  if (position + 1u < params.prime_length) {
    next = out[b * params.length + position + 1u];
  } else {
    var top = -3.4e38;
    for (var c = 0u; c < C; c++) { if (keep[c] == 1u) { top = max(top, z[c]); } }
    var total = 0.0;
    for (var c = 0u; c < C; c++) { if (keep[c] == 1u) { total += exp(z[c] - top); } }
    let u = f32(pcg(params.seed ^ pcg(b ^ pcg(position))) >> 8u) / 16777216.0;
    let goal = u * total;
    var run = 0.0;
    next = C;
    for (var c = 0u; c < C; c++) {
      if (keep[c] == 1u) {
        run += exp(z[c] - top);
        if (run > goal && next == C) { next = c; }
      }
    }
    if (next == C) {  // rounding left the draw past the last kept symbol: take the last kept
      for (var c = 0u; c < C; c++) { if (keep[c] == 1u) { next = c; } }
    }
  }
  out[b * params.length + position + 1u] = next;
  current[b] = next;
  cursor[b] = position + 1u;
}
