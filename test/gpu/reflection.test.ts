// The shader owns the layout: a spec that disagrees with its WGSL, or a buffer too small for a binding,
// fails at creation with the kernel, the binding and the sizes named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createKernel, makeBindGroup } from '../../src/gpu/kernel.ts';
import { inputProjection } from '../../src/kernels/input_projection.ts';
import { dimsOf } from '../../src/train/plan.ts';
import { gpuOrSkip, oddBatch, oddModel } from './harness.ts';

const dims = dimsOf(oddModel, oddBatch);

test('a spec naming a binding the shader lacks (and missing one it has) is refused both ways', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const wrong = {
    ...inputProjection,
    bindingBytes: () => ({ xh: 4, w: 4, output: 4 }),
  };
  await assert.rejects(createKernel(ctx.device, wrong, ctx.shaders, dims), /input_projection.*in the shader only \[xw\], in the spec only \[output\]/);
});

test('an override the shader does not declare is refused', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  await assert.rejects(createKernel(ctx.device, inputProjection, ctx.shaders, dims, { TILE: 8 }), /override constants.*in the spec only \[TILE\]/);
});

test('a WGSL compile error names the kernel and the line', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const broken = async (name: string) => (await ctx.shaders(name)).replace('a0 += xh[x0 + k] * wk;', 'a0 += xh[x0 + k] * undefined_name;');
  await assert.rejects(createKernel(ctx.device, inputProjection, broken, dims), /kernel input_projection: shaders\/input_projection.wgsl does not compile[\s\S]*undefined_name/);
});

test('a bind group with a buffer smaller than the dims need is refused with both sizes', async (t) => {
  const ctx = await gpuOrSkip(t);
  if (!ctx) return;
  const kernel = await createKernel(ctx.device, inputProjection, ctx.shaders, dims);
  const need = inputProjection.bindingBytes(dims);
  const buffer = (size: number, usage = GPUBufferUsage.STORAGE) => ctx.device.createBuffer({ size: Math.ceil(size / 16) * 16, usage });
  const uniform = buffer(256, GPUBufferUsage.UNIFORM);
  const resources = {
    params: { buffer: uniform },
    xh: { buffer: buffer(need.xh) },
    w: { buffer: buffer(need.w) },
    xw: { buffer: buffer(need.xw - 64) },
  };
  assert.throws(() => makeBindGroup(ctx.device, kernel, dims, resources, 'too small'), new RegExp(`binding xw of kernel input_projection holds ${Math.ceil((need.xw - 64) / 16) * 16} bytes, needs ${need.xw}`));
  assert.throws(() => makeBindGroup(ctx.device, kernel, dims, { ...resources, xw: resources.xh, extra: resources.xh }, 'extra'), /in the spec only \[extra\]/);
});
