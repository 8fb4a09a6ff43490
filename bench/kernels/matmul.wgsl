// matmul: the adapter's ceiling for the benchmark, a large square GEMM in the style of our training
// kernels (input_projection, lstm_weight_grad): register blocks, vec4 loads, no workgroup memory.
//   c[m, n] = sum_{k < K} a[m, k] * b[k, n]        a: (M, K), b: (K, N), c: (M, N), row-major
// K and N are multiples of 4 (read as vec4); M is any.
// Geometry: one invocation per (column quad q < N/4, block of ROWS rows of c). Each keeps ROWS vec4 sums in
// registers; per 4 values of k it loads ROWS vec4 of a and 4 vec4 of b for 4*ROWS vec4 multiply-adds.
// Tile shape (WG_X, WG_Y, ROWS) is set per adapter by override constants; ROWS is at most 8. The
// row sums are written out as named variables (rows past ROWS fold away when the pipeline is made), not an
// array looped over: SwiftShader does not unroll such loops and keeps the array in memory.

struct Params {
  m: u32,   // M
  k: u32,   // K
  n: u32,   // N
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;         // (M, K) as (M, K/4) vec4
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;         // (K, N) as (K, N/4) vec4
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;   // (M, N) as (M, N/4) vec4

override WG_X: u32 = 16;
override WG_Y: u32 = 4;
override ROWS: u32 = 4;


fn mac(acc: vec4<f32>, av: vec4<f32>, b0: vec4<f32>, b1: vec4<f32>, b2: vec4<f32>, b3: vec4<f32>) -> vec4<f32> {
  return acc + av.x * b0 + av.y * b1 + av.z * b2 + av.w * b3;
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let n4 = params.n / 4u;
  let m0 = gid.y * ROWS;
  if (q >= n4 || m0 >= params.m) { return; }
  let k4 = params.k / 4u;
  let last = params.m - 1u;
  let r0 = m0 * k4;
  let r1 = min(m0 + 1u, last) * k4;
  let r2 = min(m0 + 2u, last) * k4;
  let r3 = min(m0 + 3u, last) * k4;
  let r4 = min(m0 + 4u, last) * k4;
  let r5 = min(m0 + 5u, last) * k4;
  let r6 = min(m0 + 6u, last) * k4;
  let r7 = min(m0 + 7u, last) * k4;
  var c0 = vec4<f32>(); var c1 = vec4<f32>(); var c2 = vec4<f32>(); var c3 = vec4<f32>();
  var c4 = vec4<f32>(); var c5 = vec4<f32>(); var c6 = vec4<f32>(); var c7 = vec4<f32>();
  for (var kq = 0u; kq < k4; kq++) {
    let kb = 4u * kq * n4 + q;
    let b0 = b[kb];
    let b1 = b[kb + n4];
    let b2 = b[kb + 2u * n4];
    let b3 = b[kb + 3u * n4];
    c0 = mac(c0, a[r0 + kq], b0, b1, b2, b3);
    if (ROWS > 1u) { c1 = mac(c1, a[r1 + kq], b0, b1, b2, b3); }
    if (ROWS > 2u) { c2 = mac(c2, a[r2 + kq], b0, b1, b2, b3); }
    if (ROWS > 3u) { c3 = mac(c3, a[r3 + kq], b0, b1, b2, b3); }
    if (ROWS > 4u) { c4 = mac(c4, a[r4 + kq], b0, b1, b2, b3); }
    if (ROWS > 5u) { c5 = mac(c5, a[r5 + kq], b0, b1, b2, b3); }
    if (ROWS > 6u) { c6 = mac(c6, a[r6 + kq], b0, b1, b2, b3); }
    if (ROWS > 7u) { c7 = mac(c7, a[r7 + kq], b0, b1, b2, b3); }
  }
  let m = params.m;
  c[m0 * n4 + q] = c0;
  if (ROWS > 1u && m0 + 1u < m) { c[(m0 + 1u) * n4 + q] = c1; }
  if (ROWS > 2u && m0 + 2u < m) { c[(m0 + 2u) * n4 + q] = c2; }
  if (ROWS > 3u && m0 + 3u < m) { c[(m0 + 3u) * n4 + q] = c3; }
  if (ROWS > 4u && m0 + 4u < m) { c[(m0 + 4u) * n4 + q] = c4; }
  if (ROWS > 5u && m0 + 5u < m) { c[(m0 + 5u) * n4 + q] = c5; }
  if (ROWS > 6u && m0 + 6u < m) { c[(m0 + 6u) * n4 + q] = c6; }
  if (ROWS > 7u && m0 + 7u < m) { c[(m0 + 7u) * n4 + q] = c7; }
}
