// Sizes over a device's limits are refused before any GPU work, with the limit and the numbers named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLimits, dimsOf } from '../../src/train/plan.ts';
import { referenceModel } from '../../src/train/model.ts';
import { UserError } from '../../src/user-error.ts';

// WebGPU's default limits, as a device without requested limits has them.
const defaults = {
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  maxBufferSize: 256 * 2 ** 20,
  maxComputeWorkgroupsPerDimension: 65535,
  maxComputeInvocationsPerWorkgroup: 256,
} as GPUSupportedLimits;

test('the reference workload fits the default limits', () => {
  assert.doesNotThrow(() => checkLimits(dimsOf(referenceModel, 100), defaults));
});

test('odd and large-but-legal shapes fit', () => {
  assert.doesNotThrow(() => checkLimits({ batch: 1, steps: 1, input: 1, hidden: 1, classes: 2, forgetBias: 1 }, defaults));
  assert.doesNotThrow(() => checkLimits(dimsOf({ ...referenceModel, steps: 112, hidden: 256 }, 256), defaults));
});

test('a buffer over maxStorageBufferBindingSize is refused, naming the buffer, the limit and the sizes', () => {
  const d = dimsOf({ ...referenceModel, hidden: 1024 }, 4096);
  assert.throws(() => checkLimits(d, defaults), (e: Error) => {
    assert.ok(e instanceof UserError, 'a UserError');
    assert.match(e.message, /maxStorageBufferBindingSize of 128\.0 MiB/);
    assert.match(e.message, /buffer \w+ needs [\d.]+ MiB/);
    assert.match(e.message, /B=4096 T=28 I=28 H=1024 C=10/);
    return true;
  });
});

test('a dispatch over maxComputeWorkgroupsPerDimension is refused, naming the kernel', () => {
  const d = dimsOf({ ...referenceModel, steps: 4096, inputSize: 1, hidden: 4 }, 2048);
  const roomy = { ...defaults, maxStorageBufferBindingSize: 2 ** 40, maxBufferSize: 2 ** 40 } as GPUSupportedLimits;
  assert.throws(() => checkLimits(d, roomy), /kernel \w+ needs \d+ x \d+ x 1 workgroups, over this device's maxComputeWorkgroupsPerDimension of 65535/);
});

test('a dataset larger than a binding is refused by name', () => {
  const d = dimsOf(referenceModel, 100);
  const huge = { count: 1, rows: 28, cols: 28, pixels: { length: 200 * 2 ** 20 } as Uint8Array, labels: new Uint8Array(1) };
  assert.throws(() => checkLimits(d, defaults, { train: huge }), /buffer train images needs 200\.0 MiB/);
});
