// Tasks (src/data/tasks.ts): the pixel view and the permutation, the task in model files and checkpoints
// (old files without it read as rows), resume refusals, and the --task / --permute flags.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTrainArgs } from '../../src/cli/args.ts';
import type { ImageSet } from '../../src/data/dataset.ts';
import { defaultTask, pixelPermutation, taskFromMetadata, taskMetadata, taskView } from '../../src/data/tasks.ts';
import { type TrainingState, checkResumeCompatible, decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.ts';
import { loadModelBytes, saveModelBytes } from '../../src/io/model-file.ts';
import { type ModelConfig, type Tensors, oneLayerNames, tensorShapes, tensorSize } from '../../src/train/model.ts';
import { UserError } from '../../src/user-error.ts';

/** 3 images of 4 x 5 pixels: pixel (r, c) of image n holds n*20 + r*5 + c, so every byte says where it came from. */
function numberedSet(): ImageSet {
  const count = 3, rows = 4, cols = 5;
  return {
    count, rows, cols,
    pixels: Uint8Array.from({ length: count * rows * cols }, (_, i) => i),
    labels: Uint8Array.from([7, 1, 4]),
  };
}

describe('pixelPermutation', () => {
  test('a true permutation, the same for a seed, another for another seed', () => {
    for (const seed of [0, 1, 7, 4294967295]) {
      const p = pixelPermutation(784, seed);
      assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 784 }, (_, i) => i), `seed ${seed}: each position once`);
      assert.deepEqual(pixelPermutation(784, seed), p, `seed ${seed}: deterministic`);
      assert.ok(p.filter((v, i) => v !== i).length > 700, `seed ${seed}: moves almost every position`);
    }
    assert.notDeepEqual(pixelPermutation(784, 1), pixelPermutation(784, 2), 'seeds 1 and 2 differ');
    // Pinned: a change of generator or shuffle would silently change what a saved permuted model reads.
    assert.deepEqual([...pixelPermutation(784, 7).subarray(0, 6)], [555, 64, 13, 392, 301, 262]);
  });
});

describe('taskView', () => {
  test('mnist is the set itself: T = rows, I = cols', () => {
    const set = numberedSet();
    assert.equal(taskView(set, defaultTask), set);
    assert.equal(taskView(set, { name: 'mnist' }), set);
  });

  test('pixel-mnist: the same bytes, T = rows*cols steps of I = 1, in row-major order', () => {
    const set = numberedSet();
    const v = taskView(set, { name: 'pixel-mnist' });
    assert.deepEqual([v.count, v.rows, v.cols], [3, 20, 1]);
    assert.equal(v.pixels, set.pixels, 'a view: no copy');
    assert.equal(v.labels, set.labels);
    for (let n = 0; n < 3; n++) {
      for (let r = 0; r < 4; r++) for (let c = 0; c < 5; c++) assert.equal(v.pixels[n * 20 + r * 5 + c], n * 20 + r * 5 + c, `image ${n} step ${r * 5 + c} is pixel (${r}, ${c})`);
    }
  });

  test('permuted: step k of every image reads its pixel perm[k]; the source is untouched', () => {
    const set = numberedSet();
    const before = set.pixels.slice();
    const v = taskView(set, { name: 'pixel-mnist', permute: 3 });
    const perm = pixelPermutation(20, 3);
    assert.deepEqual([v.count, v.rows, v.cols], [3, 20, 1]);
    assert.notEqual(v.pixels, set.pixels, 'a copy');
    assert.deepEqual(set.pixels, before, 'the source set is unchanged');
    assert.equal(v.labels, set.labels, 'labels unchanged');
    for (let n = 0; n < 3; n++) for (let k = 0; k < 20; k++) assert.equal(v.pixels[n * 20 + k], n * 20 + perm[k], `image ${n} step ${k}`);
    assert.deepEqual(taskView(set, { name: 'pixel-mnist', permute: 3 }).pixels, v.pixels, 'deterministic');
    assert.notDeepEqual(taskView(set, { name: 'pixel-mnist', permute: 4 }).pixels, v.pixels, 'another seed, another order');
  });
});

describe('the task in files', () => {
  const config: ModelConfig = { steps: 20, inputSize: 1, layers: [2], classes: 3, forgetBias: 1 };
  const shapes = tensorShapes(config);
  const tensors = (scale: number): Tensors =>
    Object.fromEntries(oneLayerNames.map((n) => [n, Float32Array.from({ length: tensorSize(shapes[n]) }, (_, i) => scale * (i + 1))])) as Tensors;
  const state = (task?: TrainingState['options']['task']): TrainingState => ({
    config, options: { batch: 4, lr: 0.001, seed: 1, clipNorm: 0, ...(task ? { task } : {}) }, step: 5,
    params: tensors(0.1), adamM: tensors(0.01), adamV: tensors(0.001), dataOrder: { rng: [1, 2, 3, 4], epoch: 0, position: 5 },
  });

  test('metadata keys: none for mnist, task and permute otherwise; bad values are named', () => {
    assert.deepEqual(taskMetadata(defaultTask), {});
    assert.deepEqual(taskMetadata({ name: 'pixel-mnist' }), { task: 'pixel-mnist' });
    assert.deepEqual(taskMetadata({ name: 'pixel-mnist', permute: 0 }), { task: 'pixel-mnist', permute: '0' });
    assert.deepEqual(taskFromMetadata({}), defaultTask);
    assert.deepEqual(taskFromMetadata({ task: 'pixel-mnist', permute: '4294967295' }), { name: 'pixel-mnist', permute: 4294967295 });
    for (const [meta, problem] of [
      [{ task: 'rows' }, /"task" is "rows", expected one of mnist, pixel-mnist/],
      [{ task: 'pixel-mnist', permute: '-1' }, /"permute" is "-1"/],
      [{ task: 'pixel-mnist', permute: '4294967296' }, /"permute" is "4294967296"/],
      [{ task: 'pixel-mnist', permute: '07' }, /"permute" is "07"/],
      [{ task: 'mnist', permute: '7' }, /"permute" is "7".*with task pixel-mnist/],
      [{ permute: '7' }, /"permute" is "7" without a "task"/],
    ] as const) {
      const t = taskFromMetadata(meta);
      assert.ok('problem' in t && problem.test(t.problem), `${JSON.stringify(meta)}: ${JSON.stringify(t)}`);
    }
  });

  test('model files record the task; a file without one reads as mnist', () => {
    const task = { name: 'pixel-mnist', permute: 9 } as const;
    const back = loadModelBytes(saveModelBytes(config, tensors(1), { steps: '5' }, task), 'm');
    assert.deepEqual(back.task, task);
    assert.equal(back.metadata.task, 'pixel-mnist');
    assert.equal(back.metadata.permute, '9');
    assert.deepEqual(loadModelBytes(saveModelBytes(config, tensors(1), {}), 'm').task, defaultTask, 'no task: mnist');
    assert.throws(() => saveModelBytes(config, tensors(1), { task: 'x' }), /reserved/);
  });

  test('checkpoints record the task; mnist (and a file from before tasks) has none and decodes as before', () => {
    for (const task of [{ name: 'pixel-mnist' } as const, { name: 'pixel-mnist', permute: 123 } as const]) {
      const back = decodeCheckpoint(encodeCheckpoint(state(task)), 'c.ckpt');
      assert.deepEqual(back.options.task, task);
    }
    const rows = encodeCheckpoint(state());
    assert.deepEqual(rows, encodeCheckpoint(state({ name: 'mnist' })), 'mnist writes the same bytes as no task');
    assert.equal(decodeCheckpoint(rows, 'c.ckpt').options.task, undefined);
    const header = new TextDecoder().decode(rows.subarray(8, 8 + new DataView(rows.buffer).getUint32(0, true)));
    assert.ok(!header.includes('"task"') && !header.includes('"permute"'), 'no task keys in a rows checkpoint');
  });

  test('a resume with another task or permutation is refused, naming both', () => {
    const saved = state({ name: 'pixel-mnist', permute: 7 });
    const rowsConfig = { ...config, steps: 4, inputSize: 5 };
    const refuse = (task: TrainingState['options']['task'], c: ModelConfig, pattern: RegExp): void =>
      assert.throws(() => checkResumeCompatible(saved, { config: c, options: { ...saved.options, task } }, 'run.ckpt'), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.match(e.message, pattern);
        return true;
      });
    checkResumeCompatible(saved, { config, options: { ...saved.options } }, 'run.ckpt');
    refuse({ name: 'pixel-mnist', permute: 8 }, config,
      /^cannot resume: --task pixel-mnist --permute 8 contradicts run\.ckpt \(--task pixel-mnist --permute 7\); drop the flags or pass --task pixel-mnist --permute 7\.$/);
    refuse({ name: 'pixel-mnist' }, config, /^cannot resume: --task pixel-mnist contradicts run\.ckpt \(--task pixel-mnist --permute 7\)/);
    // The rows task reads other shapes: the task is named, not the steps and inputSize it implies.
    refuse(undefined, rowsConfig, /^cannot resume: --task mnist contradicts run\.ckpt \(--task pixel-mnist --permute 7\); drop the flags or pass --task pixel-mnist --permute 7\.$/);
    const old = state();
    assert.throws(() => checkResumeCompatible(old, { config, options: { ...old.options, task: { name: 'pixel-mnist' } } }, 'old.ckpt'),
      /--task pixel-mnist contradicts old\.ckpt \(--task mnist\)/, 'a checkpoint without a task is the rows task');
  });
});

describe('--task and --permute', () => {
  const hint = /Run with --help for usage\.$/;
  const taskOf = (argv: string[]) => {
    const o = parseTrainArgs(argv);
    assert.ok(!o.help);
    return o.task;
  };
  test('parsed', () => {
    assert.deepEqual(taskOf([]), { name: 'mnist' });
    assert.deepEqual(taskOf(['--task', 'mnist']), { name: 'mnist' });
    assert.deepEqual(taskOf(['--task', 'pixel-mnist']), { name: 'pixel-mnist' });
    assert.deepEqual(taskOf(['--task', 'pixel-mnist', '--permute', '0']), { name: 'pixel-mnist', permute: 0 });
    assert.deepEqual(taskOf(['--permute=4294967295', '--task=pixel-mnist']), { name: 'pixel-mnist', permute: 4294967295 });
  });
  test('bad values: one error each, naming the flag and the fix', () => {
    for (const [argv, pattern] of [
      [['--task', 'pixels'], /^--task: expected mnist \(rows\), pixel-mnist \(pixel by pixel\) or text \(a language model of --text FILE\), got "pixels"/],
      [['--permute', '3'], /^--permute permutes the pixels of --task pixel-mnist: add --task pixel-mnist/],
      [['--task', 'mnist', '--permute', '3'], /^--permute permutes the pixels of --task pixel-mnist, not of --task mnist/],
      [['--task', 'pixel-mnist', '--permute', '-1'], /^--permute: expected a whole number from 0 to 4294967295, got "-1"/],
      [['--task', 'pixel-mnist', '--permute', '4294967296'], /^--permute: expected a whole number/],
      [['--task', 'pixel-mnist', '--permute', 'x'], /^--permute: expected a whole number/],
      [['--task'], /^--task needs a value/],
    ] as const) {
      assert.throws(() => parseTrainArgs([...argv]), (e: unknown) => {
        assert.ok(e instanceof UserError, `${argv.join(' ')}: ${String(e)}`);
        assert.match(e.message, pattern);
        assert.match(e.message, hint);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      });
    }
  });
});
