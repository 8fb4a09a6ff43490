// The adapter-ceiling kernels against float64 dot products on odd shapes and every tile shape the ceiling
// tries: bench/kernels/matmul.wgsl (c = a b) and shaders/lstm_weight_grad.wgsl as a GEMM (c = a^T b); and a
// tiny ceiling measurement end to end over both.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type CeilingKernels, createMatmulRig, createWeightGradRig, matmulTiles, measureCeiling, referenceDot, referenceDotT, weightGradTiles,
} from '../../bench/matmul.ts';
import { gpuOrSkip, withErrorScopes } from './harness.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const code = await readFile(join(root, 'bench', 'kernels', 'matmul.wgsl'), 'utf8');
const kernels: CeilingKernels = { matmul: code, lstmWeightGrad: await readFile(join(root, 'shaders', 'lstm_weight_grad.wgsl'), 'utf8') };

test('matmul equals float64 on odd shapes for every tile shape', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const limit = ctx.device.limits.maxComputeInvocationsPerWorkgroup;
  for (const dims of [{ m: 13, k: 12, n: 20 }, { m: 1, k: 4, n: 4 }, { m: 37, k: 28, n: 68 }]) {
    await withErrorScopes(ctx.device, async () => {
      const rig = await createMatmulRig(ctx.device, code, dims);
      try {
        for (const tile of matmulTiles.filter((x) => x.WG_X * x.WG_Y <= limit)) {
          await rig.run(tile, 1);
          const c = await rig.readC();
          for (let i = 0; i < dims.m; i++) {
            for (let j = 0; j < dims.n; j++) {
              const ref = referenceDot(rig.a, rig.b, dims, i, j);
              const got = c[i * dims.n + j];
              assert.ok(Math.abs(got - ref) <= 1e-5 + 1e-5 * Math.abs(ref), `M=${dims.m} K=${dims.k} N=${dims.n} tile ${JSON.stringify(tile)}: c[${i},${j}] = ${got}, float64 ${ref}`);
            }
          }
        }
      } finally {
        rig.destroy();
      }
    });
  }
});

test('matmul refuses K or N not a multiple of 4', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  await assert.rejects(createMatmulRig(ctx.device, code, { m: 4, k: 6, n: 8 }), /multiples of 4/, 'K=6 refused');
});

test('lstm_weight_grad as a GEMM equals float64 a^T b for every workgroup size the ceiling tries', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const limit = ctx.device.limits.maxComputeInvocationsPerWorkgroup;
  // N=36: H=9 (an odd number of column quads), I=26, width 36 (not a multiple of the 8-row block); N=68:
  // H=17, width 68; and a non-square one: 13 rows, width 37 (I=31, H=5).
  for (const dims of [{ m: 36, k: 36, n: 36 }, { m: 68, k: 68, n: 68 }, { m: 37, k: 13, n: 20 }]) {
    await withErrorScopes(ctx.device, async () => {
      const rig = await createWeightGradRig(ctx.device, kernels.lstmWeightGrad, dims);
      try {
        for (const tile of weightGradTiles.filter((x) => x.WG_X * x.WG_Y <= limit)) {
          await rig.run(tile, 1);
          const c = await rig.readC();
          for (let i = 0; i < dims.m; i++) {
            for (let j = 0; j < dims.n; j++) {
              const ref = referenceDotT(rig.a, rig.b, dims, i, j);
              const got = c[i * dims.n + j];
              assert.ok(Math.abs(got - ref) <= 1e-5 + 1e-5 * Math.abs(ref), `M=${dims.m} K=${dims.k} N=${dims.n} WG ${tile.WG_X}x${tile.WG_Y}: c[${i},${j}] = ${got}, float64 ${ref}`);
            }
          }
        }
      } finally {
        rig.destroy();
      }
    });
  }
});

test('lstm_weight_grad GEMM refuses sizes no LSTM has', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  await assert.rejects(createWeightGradRig(ctx.device, kernels.lstmWeightGrad, { m: 8, k: 8, n: 6 }), /multiple of 4/, 'N=6 refused (4H)');
  await assert.rejects(createWeightGradRig(ctx.device, kernels.lstmWeightGrad, { m: 4, k: 8, n: 16 }), /M >= N\/4\+1/, 'M=4 < H+1 refused');
});

test('the ceiling measurement times both forms, checks each, and reports the best', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const r = await withErrorScopes(ctx.device, () =>
    measureCeiling(ctx.device, kernels, { size: 64, tiles: matmulTiles.slice(0, 2), weightGradTiles: weightGradTiles.slice(0, 2), trials: 1, targetMs: 5 }));
  assert.deepEqual(r.candidates.map((c) => c.form), ['matmul', 'matmul', 'lstm_weight_grad', 'lstm_weight_grad'], 'two tiles of each form tried');
  assert.ok(r.candidates.every((c) => c.gflops > 0 && !c.error && c.maxRelError! < 1e-5), `candidates: ${JSON.stringify(r.candidates)}`);
  const best = r.candidates.reduce((x, y) => (y.gflops > x.gflops ? y : x));
  assert.equal(r.gflops, best.gflops, 'the best candidate of both forms counts');
  assert.deepEqual([r.form, r.tile], [best.form, best.tile], 'the winner\'s form and tile recorded');
  assert.equal(r.maxRelError, best.maxRelError, 'the winner\'s error');
  assert.equal(r.flops, 2 * 64 ** 3, 'FLOPs of one matmul');
  const only = await measureCeiling(ctx.device, kernels, { size: 64, tiles: [], weightGradTiles: weightGradTiles.slice(0, 1), trials: 1, targetMs: 5 });
  assert.deepEqual([only.form, only.tile, only.candidates.length], ['lstm_weight_grad', weightGradTiles[0], 1], 'an empty tile list skips a form');
});
