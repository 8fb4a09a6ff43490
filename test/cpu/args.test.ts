// CLI flags: defaults (the reference workload), every flag, and every class of bad value.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evalUsage, parseEvalArgs, parseTrainArgs, trainUsage } from '../../src/cli/args.ts';
import { UserError } from '../../src/user-error.ts';

function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.match(e.message, /Run with --help for usage\.$/);
    return true;
  });
}

describe('parseTrainArgs', () => {
  test('defaults are the reference workload', () => {
    assert.deepEqual(parseTrainArgs([]), {
      help: false, steps: 1000, batch: 100, layers: [128], lr: 0.001, seed: 0, logEvery: 10, json: false,
      checkpointEvery: 100, clipNorm: 0, lrSchedule: 'constant', warmup: 0, tune: 'auto', task: { name: 'mnist' }, explicit: [],
      seq: 100, stateful: false, sampleEvery: 200, sampleLength: 200,
    });
  });

  test('--task text: its defaults (one layer of 256, batch 32, windows of 100) and flags', () => {
    const text = parseTrainArgs(['--task', 'text']);
    assert.ok(!text.help);
    assert.deepEqual([text.task, text.layers, text.batch, text.seq, text.stateful, text.sampleEvery, text.text], [{ name: 'text' }, [256], 32, 100, false, 200, undefined]);
    const given = parseTrainArgs(['--task', 'text', '--text', 'a.txt', '--seq', '64', '--stateful', '--sample-every', '0', '--sample-length', '80', '--layers', '128,128']);
    assert.ok(!given.help);
    assert.deepEqual([given.text, given.seq, given.stateful, given.sampleEvery, given.sampleLength, given.layers], ['a.txt', 64, true, 0, 80, [128, 128]]);
    assert.throws(() => parseTrainArgs(['--task', 'text', '--seq', '0']), /--seq: expected a whole number from 1 to 10000, got "0"/);
    assert.throws(() => parseTrainArgs(['--task', 'text', '--permute', '3']), /--permute permutes the pixels of --task pixel-mnist, not of --task text/);
  });

  test('every flag', () => {
    const argv = ['--steps', '5', '--batch=7', '--hidden', '9', '--lr', '1e-2', '--seed', '4294967295', '--log-every', '3',
      '--data', 'd/mnist', '--adapter', 'NVIDIA H200', '--out', 'm.safetensors', '--json',
      '--checkpoint', 'c.ckpt', '--checkpoint-every', '20', '--resume', 'r.ckpt', '--clip-norm', '2.5', '--tune', '--tuning-cache', 't.json',
      '--task', 'pixel-mnist', '--permute', '11', '--lr-schedule', 'step', '--warmup', '10', '--lr-step-every', '50', '--lr-gamma', '0.5'];
    assert.deepEqual(parseTrainArgs(argv), {
      help: false, steps: 5, batch: 7, layers: [9], lr: 0.01, seed: 4294967295, logEvery: 3,
      data: 'd/mnist', adapter: 'NVIDIA H200', out: 'm.safetensors', json: true,
      checkpoint: 'c.ckpt', checkpointEvery: 20, resume: 'r.ckpt', clipNorm: 2.5, tune: 'force', tuningCache: 't.json',
      task: { name: 'pixel-mnist', permute: 11 }, lrSchedule: 'step', warmup: 10, lrStepEvery: 50, lrGamma: 0.5,
      seq: 100, stateful: false, sampleEvery: 200, sampleLength: 200,
      explicit: ['steps', 'batch', 'hidden', 'lr', 'seed', 'log-every', 'data', 'adapter', 'out', 'json', 'checkpoint', 'checkpoint-every', 'resume', 'clip-norm', 'tune', 'tuning-cache', 'task', 'permute',
        'lr-schedule', 'warmup', 'lr-step-every', 'lr-gamma'],
    });
    assert.throws(() => parseTrainArgs(['--checkpoint-every', '5']), /--checkpoint-every needs --checkpoint/);
    for (const bad of ['0', '-1', 'abc', 'Infinity']) {
      assert.throws(() => parseTrainArgs(['--clip-norm', bad]), new RegExp(`--clip-norm: expected a number greater than 0.*"${bad}"`));
    }
    const o = parseTrainArgs(['--epochs', '2']);
    assert.ok(!o.help);
    assert.equal(o.epochs, 2);
    assert.equal(o.steps, undefined);
    const off = parseTrainArgs(['--no-tune']);
    assert.ok(!off.help);
    assert.equal(off.tune, 'off', '--no-tune uses the default workgroup sizes');
    const half = parseTrainArgs(['--lr', '.5']);
    assert.ok(!half.help);
    assert.equal(half.lr, 0.5);
  });

  test('learning-rate schedule flags: values, ranges, and the step-only ones refused elsewhere', () => {
    const pick = (argv: string[]) => {
      const o = parseTrainArgs(argv);
      assert.ok(!o.help);
      return { lrSchedule: o.lrSchedule, warmup: o.warmup, lrStepEvery: o.lrStepEvery, lrGamma: o.lrGamma };
    };
    assert.deepEqual(pick(['--lr-schedule', 'cosine', '--warmup', '200']), { lrSchedule: 'cosine', warmup: 200, lrStepEvery: undefined, lrGamma: undefined });
    assert.deepEqual(pick(['--lr-schedule=constant', '--warmup', '0']), { lrSchedule: 'constant', warmup: 0, lrStepEvery: undefined, lrGamma: undefined });
    assert.deepEqual(pick(['--lr-schedule', 'step', '--lr-gamma', '1']), { lrSchedule: 'step', warmup: 0, lrStepEvery: undefined, lrGamma: 1 });
    // Resuming, the checkpoint's schedule may be step: the step flags are taken (and checked against it).
    assert.deepEqual(pick(['--resume', 'r.ckpt', '--lr-step-every', '7']), { lrSchedule: 'constant', warmup: 0, lrStepEvery: 7, lrGamma: undefined });
    throwsUserError(() => parseTrainArgs(['--lr-schedule', 'linear']), /^--lr-schedule: expected constant, cosine or step, got "linear"\./);
    throwsUserError(() => parseTrainArgs(['--lr-schedule', 'Cosine']), /got "Cosine"/);
    for (const bad of ['-1', '1.5', 'x', '1000000001']) {
      throwsUserError(() => parseTrainArgs(['--warmup', bad]), new RegExp(`^--warmup: expected a whole number from 0 to 1000000000, got "${bad}"`));
    }
    for (const bad of ['0', '1.01', '-0.5', 'NaN']) {
      throwsUserError(() => parseTrainArgs(['--lr-schedule', 'step', '--lr-gamma', bad]), new RegExp(`^--lr-gamma: expected a number greater than 0 and at most 1, got "${bad}"`));
    }
    throwsUserError(() => parseTrainArgs(['--lr-schedule', 'step', '--lr-step-every', '0']), /^--lr-step-every: expected a whole number from 1 to/);
    throwsUserError(() => parseTrainArgs(['--lr-schedule', 'cosine', '--lr-gamma', '0.5']),
      /^--lr-gamma applies only to --lr-schedule step, not cosine: drop it or add --lr-schedule step\./);
    throwsUserError(() => parseTrainArgs(['--lr-step-every', '5']), /^--lr-step-every applies only to --lr-schedule step, not constant/);
    assert.match(trainUsage, /--lr-schedule S .*constant \(default\), cosine/s);
    assert.match(trainUsage, /--warmup N/);
  });

  test('range ends are accepted', () => {
    const edge = parseTrainArgs(['--batch', '65536', '--hidden', '4096', '--steps', '1000000000', '--lr', '1', '--seed', '0']);
    assert.ok(!edge.help);
    assert.deepEqual([edge.batch, edge.layers, edge.steps, edge.lr, edge.seed], [65536, [4096], 1e9, 1, 0]);
    const low = parseTrainArgs(['--batch', '1', '--hidden', '1', '--epochs', '10000', '--log-every', '1']);
    assert.ok(!low.help);
    assert.deepEqual([low.batch, low.layers, low.epochs, low.logEvery], [1, [1], 10000, 1]);
  });

  test('--help and -h win over everything', () => {
    for (const argv of [['--help'], ['-h'], ['--batch', '0', '--help'], ['--nope', '-h']]) {
      assert.deepEqual(parseTrainArgs(argv), { help: true, usage: trainUsage });
    }
    for (const flag of ['--steps', '--epochs', '--batch', '--hidden', '--lr', '--seed', '--log-every', '--data', '--adapter', '--out', '--json', '--tune', '--no-tune', '--tuning-cache']) {
      assert.ok(trainUsage.includes(flag), flag);
    }
  });

  test('bad whole numbers name the flag, the value and the range', () => {
    const cases: [string, string, string][] = [
      ['batch', '0', '1 to 65536'], ['batch', '-5', '1 to 65536'], ['batch', 'abc', '1 to 65536'], ['batch', '1.5', '1 to 65536'],
      ['batch', '65537', '1 to 65536'], ['batch', '1e3', '1 to 65536'], ['batch', ' 5', '1 to 65536'], ['batch', '0x10', '1 to 65536'],
      ['hidden', '4097', '1 to 4096'], ['hidden', '0', '1 to 4096'],
      ['steps', '0', '1 to 1000000000'], ['steps', '1000000001', '1 to 1000000000'], ['steps', '99999999999999999999', '1 to 1000000000'],
      ['epochs', '0', '1 to 10000'], ['epochs', '10001', '1 to 10000'],
      ['seed', '-1', '0 to 4294967295'], ['seed', '4294967296', '0 to 4294967295'],
      ['log-every', '0', '1 to 1000000000'],
    ];
    for (const [flag, value, range] of cases) {
      const escaped = value.replace(/[.+]/g, '\\$&');
      throwsUserError(() => parseTrainArgs([`--${flag}`, value]), new RegExp(`^--${flag}: expected a whole number from ${range}, got "${escaped}"\\.`));
    }
    throwsUserError(() => parseTrainArgs(['--batch', '0']), /^--batch: expected a whole number from 1 to 65536, got "0"\. Run with --help for usage\.$/);
  });

  test('bad learning rates', () => {
    for (const v of ['0', '-0.1', '1.5', 'abc', 'Infinity', 'NaN', '1e-3x', '']) {
      const pattern = v === '' ? /^--lr needs a value, got an empty string/ : /^--lr: expected a number greater than 0 and at most 1/;
      throwsUserError(() => parseTrainArgs([`--lr=${v}`]), pattern);
    }
  });

  test('unknown flags, missing values, stray arguments, repeats, conflicts', () => {
    throwsUserError(() => parseTrainArgs(['--step', '5']), /^unknown flag --step\./);
    throwsUserError(() => parseTrainArgs(['-x']), /^unknown flag -x\./);
    throwsUserError(() => parseTrainArgs(['--model', 'm']), /^unknown flag --model\./);
    throwsUserError(() => parseTrainArgs(['--toString']), /^unknown flag --toString\./);
    throwsUserError(() => parseTrainArgs(['--batch']), /^--batch needs a value, but it is followed by nothing/);
    throwsUserError(() => parseTrainArgs(['--out', '--json']), /^--out needs a value, but it is followed by the flag --json/);
    throwsUserError(() => parseTrainArgs(['--data=']), /^--data needs a value, got an empty string/);
    throwsUserError(() => parseTrainArgs(['--json=yes']), /^--json is a switch and takes no value, got "yes"/);
    throwsUserError(() => parseTrainArgs(['500']), /^unexpected argument "500"/);
    throwsUserError(() => parseTrainArgs(['--json', 'true']), /^unexpected argument "true"/);
    throwsUserError(() => parseTrainArgs(['--', '--steps', '5']), /^unexpected "--"/);
    throwsUserError(() => parseTrainArgs(['--batch', '10', '--batch', '20']), /^--batch given more than once/);
    throwsUserError(() => parseTrainArgs(['--steps', '10', '--epochs', '1']), /^--steps and --epochs both given: choose one/);
    throwsUserError(() => parseTrainArgs(['--tune', '--no-tune']), /^--tune and --no-tune both given: choose one/);
    throwsUserError(() => parseTrainArgs(['--no-tune=yes']), /^--no-tune is a switch and takes no value, got "yes"/);
    throwsUserError(() => parseTrainArgs(['--no-json']), /^unknown flag --no-json\./);
    throwsUserError(() => parseTrainArgs(['--tuning-cache']), /^--tuning-cache needs a value, but it is followed by nothing/);
  });

  test('a value starting with "--" can be given inline', () => {
    const o = parseTrainArgs(['--out=--odd-name']);
    assert.ok(!o.help);
    assert.equal(o.out, '--odd-name');
  });
});

describe('parseEvalArgs', () => {
  test('defaults and every flag', () => {
    assert.deepEqual(parseEvalArgs(['--model', 'm.safetensors']), { help: false, model: 'm.safetensors', batch: 100, json: false });
    assert.deepEqual(parseEvalArgs(['--model=m', '--data', 'd', '--adapter', 'a', '--batch', '1000', '--json']), {
      help: false, model: 'm', batch: 1000, data: 'd', adapter: 'a', json: true,
    });
  });

  test('--help', () => {
    assert.deepEqual(parseEvalArgs(['-h']), { help: true, usage: evalUsage });
    assert.deepEqual(parseEvalArgs(['--help']), { help: true, usage: evalUsage });
    for (const flag of ['--model', '--batch', '--data', '--adapter', '--json']) assert.ok(evalUsage.includes(flag), flag);
  });

  test('bad input', () => {
    throwsUserError(() => parseEvalArgs([]), /^--model is required/);
    throwsUserError(() => parseEvalArgs(['--model']), /^--model needs a value/);
    throwsUserError(() => parseEvalArgs(['--model', 'm', '--batch', '0']), /^--batch: expected a whole number from 1 to 65536, got "0"/);
    throwsUserError(() => parseEvalArgs(['--model', 'm', '--steps', '5']), /^unknown flag --steps/);
    throwsUserError(() => parseEvalArgs(['--model', 'm', 'extra']), /^unexpected argument "extra"/);
  });
});
