// adam: one Adam step (TensorFlow's AdamOptimizer) over the whole flat parameter buffer, with optional
// clipping by global norm and a guard against non-finite gradients.
//   g    = grads * min(1, clip_norm / norm)         (clip_norm = 0: no clipping; norm from grad_norm)
//   lr_t = lr * sqrt(1 - beta2^step) / (1 - beta1^step)      (computed on the CPU in float64: in float32,
//                                                              1 - pow(0.999, 1) loses ~1e-4 relative)
//   m = beta1 * m + (1 - beta1) * g      v = beta2 * v + (1 - beta2) * g^2
//   p = p - lr_t * m / (sqrt(v) + eps)
// When the norm is not finite, nothing is updated and status.bad_step records this step; once it is set,
// every later step is skipped too, so the weights stay those of the last good step.
// params, grads, m, v: (N) floats as N/4 vec4 (padding between blocks has g = 0 and stays 0).
// Geometry: one invocation per vec4, linearised over a 2D grid so large N fits the dispatch limits.

struct Params {
  count: u32,       // N / 4
  step: u32,        // this step's number, from 1
  lr_t: f32,        // the step's bias-corrected learning rate
  beta1: f32,
  beta2: f32,
  eps: f32,
  clip_norm: f32,   // 0: off
}

struct Status {
  norm: f32,
  bad_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> status: Status;

override WG_X: u32 = 64;

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG_X)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n = gid.x + gid.y * groups.x * WG_X;
  let norm = status.norm;
  if (!is_finite(norm)) {
    if (n == 0u && status.bad_step == 0u) { status.bad_step = params.step; }
    return;
  }
  if (n >= params.count || status.bad_step != 0u) { return; }
  var scale = 1.0;
  if (params.clip_norm > 0.0 && norm > params.clip_norm) { scale = params.clip_norm / norm; }
  let g = grads[n] * scale;
  let m1 = params.beta1 * m[n] + (1.0 - params.beta1) * g;
  let v1 = params.beta2 * v[n] + (1.0 - params.beta2) * g * g;
  m[n] = m1;
  v[n] = v1;
  weights[n] -= params.lr_t * m1 / (sqrt(v1) + vec4<f32>(params.eps));
}
