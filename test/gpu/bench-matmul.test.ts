// bench/kernels/matmul.wgsl (the adapter-ceiling kernel) against float64 dot products, on odd shapes and
// every tile shape the ceiling tries, and a tiny ceiling measurement end to end.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createMatmulRig, matmulTiles, measureCeiling, referenceDot } from '../../bench/matmul.ts';
import { gpuOrSkip, withErrorScopes } from './harness.ts';

const code = await readFile(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'kernels', 'matmul.wgsl'), 'utf8');

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

test('the ceiling measurement reports positive GFLOP/s for each tile and checks its result', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const r = await withErrorScopes(ctx.device, () => measureCeiling(ctx.device, code, { size: 64, tiles: matmulTiles.slice(0, 2), trials: 1, targetMs: 5 }));
  assert.equal(r.candidates.length, 2, 'both tiles tried');
  assert.ok(r.candidates.every((c) => c.gflops > 0 && !c.error), `candidates: ${JSON.stringify(r.candidates)}`);
  assert.ok(r.gflops === Math.max(...r.candidates.map((c) => c.gflops)), 'the best tile counts');
  assert.ok(r.maxRelError < 1e-5, `sampled error ${r.maxRelError}`);
  assert.equal(r.flops, 2 * 64 ** 3, 'FLOPs of one matmul');
});
