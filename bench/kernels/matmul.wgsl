// matmul: the adapter's ceiling for the benchmark, a large square GEMM in the style of our training
// kernels (input_projection, lstm_weight_grad): register blocks, vec4 loads, no workgroup memory.
//   c[m, n] = sum_{k < K} a[m, k] * b[k, n]        a: (M, K), b: (K, N), c: (M, N), row-major
// K and N are multiples of 4 (read as vec4); M is any.
// Geometry: one invocation per (column quad q < N/4, block of ROWS rows of c). Each keeps ROWS vec4 sums in
// registers; per 4 values of k it loads ROWS vec4 of a and 4 vec4 of b for 4*ROWS vec4 multiply-adds.
// Tile shape (WG_X, WG_Y, ROWS) is set per adapter by override constants; ROWS is at most MAX_ROWS.

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
const MAX_ROWS: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = gid.x;
  let n4 = params.n / 4u;
  let m0 = gid.y * ROWS;
  if (q >= n4 || m0 >= params.m) { return; }
  let k4 = params.k / 4u;
  var row: array<u32, MAX_ROWS>;
  for (var i = 0u; i < ROWS; i++) { row[i] = min(m0 + i, params.m - 1u) * k4; }
  var acc: array<vec4<f32>, MAX_ROWS>;
  for (var kq = 0u; kq < k4; kq++) {
    let kb = 4u * kq * n4 + q;
    let b0 = b[kb];
    let b1 = b[kb + n4];
    let b2 = b[kb + 2u * n4];
    let b3 = b[kb + 3u * n4];
    for (var i = 0u; i < ROWS; i++) {
      let av = a[row[i] + kq];
      acc[i] += av.x * b0 + av.y * b1 + av.z * b2 + av.w * b3;
    }
  }
  for (var i = 0u; i < ROWS; i++) {
    if (m0 + i < params.m) { c[(m0 + i) * n4 + q] = acc[i]; }
  }
}
