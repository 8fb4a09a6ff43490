// carry_state: a stateful run's h and c carried from one window to the next (truncated backpropagation
// through time: the state flows on, its gradient stops at the window's start). After a training step,
// the window's last state becomes the next window's first:
//   xh[0, b, I + u] = xh[T, b, I + u]       h_T -> h_0
//   cs[0, b, u]     = cs[T, b, u]           c_T -> c_0
// Shapes: xh (T+1, B, I+H+1), cs (T+1, B, H). Geometry: one invocation per (u < H, b < B).

struct Params {
  batch: u32,     // B
  steps: u32,     // T
  input: u32,     // I
  hidden: u32,    // H
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> xh: array<f32>;   // (T+1, B, I+H+1)
@group(0) @binding(2) var<storage, read_write> cs: array<f32>;   // (T+1, B, H)

override WG_X: u32 = 64;
override WG_Y: u32 = 1;

@compute @workgroup_size(WG_X, WG_Y)
fn carry_state(@builtin(global_invocation_id) gid: vec3<u32>) {
  let u = gid.x;
  let b = gid.y;
  let B = params.batch;
  let H = params.hidden;
  if (u >= H || b >= B) { return; }
  let width = params.input + H + 1u;
  let last = params.steps * B + b;
  xh[b * width + params.input + u] = xh[last * width + params.input + u];
  cs[b * H + u] = cs[last * H + u];
}
