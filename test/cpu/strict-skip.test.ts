// npm test's strict switch: with the WebGPU adapter or Chromium made unavailable, a plain run skips the
// tests that need them (and says why in its closing lines), while a strict run (CI=true, or --strict)
// fails, naming what was missing. Runs scripts/test.mjs on one small GPU and one e2e test file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const gpuFile = join('test', 'gpu', 'reflection.test.ts');
const e2eFile = join('test', 'e2e', 'app-no-webgpu.test.ts');

interface Run { status: number | null; output: string }

function runTests(args: string[], env: Record<string, string>): Promise<Run> {
  const base = { ...process.env };
  delete base.CI;
  delete base.WEBGPU_LSTM_STRICT;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'test.mjs'), ...args], { cwd: root, env: { ...base, ...env } });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** The closing line's counts. */
function closing(run: Run): { passed: number; failed: number; skipped: number } {
  const m = /^tests: (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(run.output);
  assert.ok(m, `a closing line counting the tests:\n${run.output.slice(-2000)}`);
  return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) };
}

// An ICD manifest that does not exist: the Vulkan loader finds no driver, Dawn no adapter.
const noAdapter = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
const noChromium = { CHROMIUM_PATH: '/nonexistent/chromium' };

// Each run starts Node with tsx and loads one test file whose tests stop at once: ~5 s here.
const timeout = 120_000;

test('without a WebGPU adapter: a plain run skips the GPU tests and names why, a strict run fails', { timeout }, async () => {
  const plain = await runTests([gpuFile], noAdapter);
  const counts = closing(plain);
  assert.equal(plain.status, 0, `the plain run passes:\n${plain.output.slice(-2000)}`);
  assert.ok(counts.skipped > 0 && counts.failed === 0, `skipped, not failed: ${JSON.stringify(counts)}`);
  assert.match(plain.output, /^skipped: .*no WebGPU adapter in Node: no WebGPU adapter found/m, 'each skip is listed with its reason');

  const strictRuns = [['--strict', ['--strict', gpuFile], noAdapter], ['CI=true', [gpuFile], { ...noAdapter, CI: 'true' }]] as const;
  const runs = await Promise.all(strictRuns.map(([, args, env]) => runTests([...args], env)));
  for (const [i, [how]] of strictRuns.entries()) {
    const strict = runs[i];
    assert.notEqual(strict.status, 0, `${how}: the strict run fails`);
    assert.ok(closing(strict).failed > 0, `${how}: tests failed`);
    assert.match(strict.output, /no WebGPU adapter in Node: no WebGPU adapter found[\s\S]*?A strict run/, `${how}: the reason is printed`);
  }
});

test('without Chromium: a plain run skips the browser tests, a strict run fails naming the missing browser', { timeout }, async () => {
  const [plain, strict] = await Promise.all([runTests([e2eFile], noChromium), runTests(['--strict', e2eFile], noChromium)]);
  assert.equal(plain.status, 0, `the plain run passes:\n${plain.output.slice(-2000)}`);
  assert.ok(closing(plain).skipped > 0, 'the browser test is skipped');
  assert.match(plain.output, /^skipped: .*no Chromium at \/nonexistent\/chromium/m);

  assert.notEqual(strict.status, 0, 'the strict run fails');
  assert.match(strict.output, /no Chromium at \/nonexistent\/chromium[\s\S]*?A strict run/);
});

test('a strict run allows the root-permission skips, and only those', { timeout }, async () => {
  // tuning-cache's permission test skips as root ("as root: ..."); as another user it runs. Either way the
  // strict run passes.
  const run = await runTests(['--strict', join('test', 'cpu', 'tuning-cache.test.ts')], {});
  assert.equal(run.status, 0, `the strict run passes:\n${run.output.slice(-2000)}`);
  if (process.getuid?.() === 0) assert.match(run.output, /^skipped: .*: as root: /m);
});
