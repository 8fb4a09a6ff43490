// lstm_input_grad against the oracle: the oracle's dgates and the parameters packed as the plan packs them
// go in (the lstm block's rows past W_x, and the rest of the buffer, are NaN: the kernel must read W_x
// only); dx comes back between NaN sentinels, compared with the oracle's dx = dgates . W_x^T. The dx
// region starts NaN too, so a kernel that accumulated instead of writing, or skipped an element, fails;
// the dx binding runs on through the sentinels after it, so a write past row T*B-1 fails too.
import { test } from 'node:test';
import { createKernel, dispatch, makeBindGroup, packUniform } from '../../src/gpu/kernel.ts';
import type { Overrides } from '../../src/kernels/dims.ts';
import { lstmInputGrad } from '../../src/kernels/lstm_input_grad.ts';
import { packParams, paramLayout } from '../../src/train/model.ts';
import { dimsOf } from '../../src/train/plan.ts';
import {
  type Shape, assertClose, assertUntouched, gpuOrSkip, maxAbsError, oracleRun, readF32, runPass, shapes, withErrorScopes,
} from './harness.ts';

const sentinelFloats = 64; // 256 bytes of NaN each side of dx: the smallest offset a storage binding may take

/** The per-kernel shapes, and two for this kernel's blocks: I a multiple of 4 (no partial column quad), and
 *  I = 13, T*B = 21 at 2 x 2 workgroups (several workgroups each way, partial quads and row blocks). */
const cases: (Shape & { overrides?: Overrides })[] = [
  ...shapes,
  { name: 'B=5 T=2 I=8 H=3 C=4', model: { steps: 2, inputSize: 8, layers: [3], classes: 4, forgetBias: 1.0 }, batch: 5 },
  {
    name: 'B=7 T=3 I=13 H=6 C=5, WG 2x2', model: { steps: 3, inputSize: 13, layers: [6], classes: 5, forgetBias: 1.0 }, batch: 7,
    overrides: { WG_X: 2, WG_Y: 2 },
  },
];

for (const [si, s] of cases.entries()) {
  test(`lstm_input_grad ${s.name}: dx = dgates . W_x^T`, async (t) => {
    const ctx = await gpuOrSkip(t);
    if (!ctx) return;
    const { device } = ctx;
    const { steps: T, inputSize: I, layers: [H] } = s.model;
    const B = s.batch;
    const d = dimsOf(s.model, B);
    const run = oracleRun(s, 90 + si);
    const flat = packParams(s.model, run.params);
    flat.fill(NaN, I * 4 * H); // W_h, the bias row, padding and the output block: never read
    const dxFloats = T * B * I;
    await withErrorScopes(device, async () => {
      const kernel = await createKernel(device, lstmInputGrad, ctx.shaders, d, s.overrides);
      const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const made: GPUBuffer[] = [];
      const upload = (label: string, data: Float32Array<ArrayBuffer>, usage = STORAGE): GPUBuffer => {
        const b = ctx.createBuffer({ label, size: Math.ceil(data.byteLength / 16) * 16, usage });
        made.push(b);
        device.queue.writeBuffer(b, 0, data);
        return b;
      };
      try {
        const params = upload('params', flat);
        const dgates = upload('dgates', Float32Array.from(run.bw.dgates));
        const dx = upload('dx', new Float32Array(2 * sentinelFloats + Math.ceil(dxFloats / 4) * 4).fill(NaN));
        const uniforms = upload('uniforms', new Float32Array(packUniform(kernel, lstmInputGrad.params(d))), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
        const group = makeBindGroup(device, kernel, d, {
          params: { buffer: uniforms },
          w: { buffer: params, offset: 0, size: paramLayout(s.model).layerBlocks[0].length * 4 },
          dgates: { buffer: dgates },
          // To the buffer's end: a write past T*B*I lands in the sentinels after dx, not in robust-access limbo.
          dx: { buffer: dx, offset: sentinelFloats * 4 },
        }, 'lstm_input_grad');
        await runPass(device, (pass) => dispatch(pass, kernel, group, d));
        const out = await readF32(device, dx);
        const got = out.subarray(sentinelFloats, sentinelFloats + dxFloats);
        // Measured max |error| 3.9e-9 over these shapes (lavapipe), |dx| up to 0.04: float32 dgates and float32
        // sums of 4H products.
        assertClose('dx', got, run.bw.dx, 2e-8, 1e-6);
        assertUntouched('before dx', out.subarray(0, sentinelFloats), NaN);
        assertUntouched('after dx', out.subarray(sentinelFloats + dxFloats), NaN);
        t.diagnostic(`max |err| dx ${maxAbsError(got, run.bw.dx)}, max |dx| ${Math.max(...run.bw.dx.map(Math.abs))}`);
      } finally {
        for (const b of made) b.destroy();
      }
    });
  });
}
