// grad_norm: the global L2 norm of every gradient, for clipping and for catching non-finite training.
//   status.norm = sqrt(sum_n grads[n]^2)        over the flat gradient buffer (padding is 0)
// A NaN or infinite gradient (or one so large its square overflows) makes the norm non-finite; adam then
// skips the update and records the step. status: { norm: f32, bad_step: u32 }.
// Geometry: one workgroup of WG_X invocations striding over the N/4 vec4s, then a tree reduction in
// workgroup memory (WG_X must be a power of two).

struct Params {
  count: u32,     // N / 4
}

struct Status {
  norm: f32,
  bad_step: u32,  // first step whose gradients were not finite; 0 while all were (written by adam)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> status: Status;

override WG_X: u32 = 256;
var<workgroup> partial: array<f32, WG_X>;

@compute @workgroup_size(WG_X)
fn grad_norm(@builtin(local_invocation_index) i: u32) {
  var sum = 0.0;
  for (var n = i; n < params.count; n += WG_X) {
    let g = grads[n];
    sum += dot(g, g);
  }
  partial[i] = sum;
  for (var width = WG_X / 2u; width > 0u; width /= 2u) {
    workgroupBarrier();
    if (i < width) { partial[i] += partial[i + width]; }
  }
  if (i == 0u) { status.norm = sqrt(partial[0]); }
}
