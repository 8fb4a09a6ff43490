// Fine-tuning from a model file, as a user runs it: `npm run train -- --init FILE` starts from a saved
// model's weights and layers, ours or the PyTorch state_dict `npm run export` wrote of it; both start from
// the same function (the first step's loss agrees to float32 rounding of the folded forget bias), and the
// fine-tuned model saves in our format and exports again. Contradicting flags and another task's model are
// refused in one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { trainCli } from '../support/train-cli.ts';
import { gpuOrSkip } from './harness.ts';

test('--init starts from our model file or its PyTorch export alike; the result saves and exports again', { timeout: 300_000 }, async (t) => {
  if (!(await gpuOrSkip(t))) return;
  const dir = mkdtempSync(join(tmpdir(), 'init-'));
  const small = ['--batch', '20', '--log-every', '1', '--json', '--lr', '0.01', '--no-tune'];
  const first = await trainCli([...small, '--layers', '8,6', '--steps', '3', '--out', join(dir, 'a.safetensors')]);
  assert.equal(first.status, 0, first.stderr);
  const exported = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', '--model', join(dir, 'a.safetensors'), '--to', 'pytorch', '--out', join(dir, 'a.pt.safetensors')], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);

  const ours = await trainCli([...small, '--init', join(dir, 'a.safetensors'), '--steps', '2', '--out', join(dir, 'b.safetensors')]);
  const torch = await trainCli([...small, '--init', join(dir, 'a.pt.safetensors'), '--steps', '2']);
  assert.equal(ours.status, 0, ours.stderr);
  assert.equal(torch.status, 0, torch.stderr);
  const loss = (r: typeof ours): number => r.events.find((e) => e.event === 'step' && e.step === 1)!.loss;
  // The same batch, the same weights: not the fresh start's loss, and the PyTorch file's within float32 rounding.
  assert.ok(Math.abs(loss(ours) - loss(torch)) <= 1e-5 * loss(ours), `first-step loss: ours ${loss(ours)}, from the PyTorch file ${loss(torch)}`);
  assert.notEqual(loss(ours), first.events.find((e) => e.event === 'step' && e.step === 1)!.loss, 'it starts from the trained weights');
  const again = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', '--model', join(dir, 'b.safetensors'), '--to', 'pytorch', '--out', join(dir, 'b.pt.safetensors')], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);

  for (const [args, message] of [
    [['--init', join(dir, 'a.safetensors'), '--layers', '8'], /--init takes the layers of its model: drop --layers/],
    [['--init', join(dir, 'a.safetensors'), '--resume', join(dir, 'x.ckpt')], /--init and --resume both given/],
    [['--init', join(dir, 'a.safetensors'), '--task', 'pixel-mnist'], /is a mnist model, and this run's task is pixel-mnist: add --task mnist/],
    [['--init', join(dir, 'none.safetensors')], /--model .*none\.safetensors: cannot read the file/],
  ] as const) {
    const r = await trainCli([...small, '--steps', '1', ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
