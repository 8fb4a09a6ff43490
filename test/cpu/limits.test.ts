// Sizes over a device's limits are refused before any GPU work, with the limit and the numbers named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLimits } from '../../src/train/plan.ts';
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
  assert.doesNotThrow(() => checkLimits(referenceModel, 100, defaults));
});

test('odd and large-but-legal shapes fit', () => {
  assert.doesNotThrow(() => checkLimits({ steps: 1, inputSize: 1, layers: [1], classes: 2, forgetBias: 1 }, 1, defaults));
  assert.doesNotThrow(() => checkLimits({ ...referenceModel, steps: 112, layers: [256] }, 256, defaults));
});

test('a buffer over maxStorageBufferBindingSize is refused, naming the buffer, the limit and the sizes', () => {
  assert.throws(() => checkLimits({ ...referenceModel, layers: [1024] }, 4096, defaults), (e: Error) => {
    assert.ok(e instanceof UserError, 'a UserError');
    assert.match(e.message, /maxStorageBufferBindingSize of 128\.0 MiB/);
    assert.match(e.message, /buffer \w+ needs [\d.]+ MiB/);
    assert.match(e.message, /B=4096 T=28 I=28 H=1024 C=10/);
    return true;
  });
});

test('pixel MNIST at the reference H=128, B=100 is over a 128 MiB binding (lavapipe): the error names the limit and the batch that fits', () => {
  // gates, xw and dgates: T*B*4H*4 bytes = 784*100*512*4 = 153.1 MiB; xh (T+1)*B*(I+H+1)*4 = 38.9 MiB.
  const pixel = { ...referenceModel, steps: 784, inputSize: 1 };
  assert.throws(() => checkLimits(pixel, 100, defaults), (e: Error) => {
    assert.ok(e instanceof UserError, 'a UserError');
    assert.equal(e.message, "B=100 T=784 I=1 H=128 C=10: buffer xw needs 153.1 MiB, over this device's maxStorageBufferBindingSize of 128.0 MiB. " +
      'At T=784 H=128 a batch of at most 83 fits; or use a smaller hidden size or sequence.');
    return true;
  });
  assert.doesNotThrow(() => checkLimits(pixel, 83, defaults), 'the batch it names fits');
  assert.doesNotThrow(() => checkLimits({ ...pixel, layers: [64] }, 32, defaults), 'the benchmark pixel shape fits');
  assert.doesNotThrow(() => checkLimits(pixel, 100, { ...defaults, maxStorageBufferBindingSize: 2 ** 30 }), 'fits a 1 GiB binding (SwiftShader)');
});

test('a dispatch over maxComputeWorkgroupsPerDimension is refused, naming the kernel', () => {
  const roomy = { ...defaults, maxStorageBufferBindingSize: 2 ** 40, maxBufferSize: 2 ** 40 } as GPUSupportedLimits;
  assert.throws(() => checkLimits({ ...referenceModel, steps: 4096, inputSize: 1, layers: [4] }, 2048, roomy), /kernel \w+ needs \d+ x \d+ x 1 workgroups, over this device's maxComputeWorkgroupsPerDimension of 65535/);
});

test('a dataset larger than a binding is refused by name', () => {
  const huge = { count: 1, rows: 28, cols: 28, pixels: { length: 200 * 2 ** 20, byteLength: 200 * 2 ** 20 } as Uint8Array, labels: new Uint8Array(1) };
  assert.throws(() => checkLimits(referenceModel, 100, defaults, { train: huge }), /buffer train images needs 200\.0 MiB/);
});
