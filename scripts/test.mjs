// npm test: the strict type check, then every test tier that runs here, and one closing line.
//   test/cpu  needs no GPU;  test/gpu  runs on any WebGPU adapter (software here);  test/e2e  headless Chromium.
// Usage: node scripts/test.mjs [--strict] [cpu|gpu|e2e|FILE ...]   (default: typecheck + all tiers)
//
// Strict runs (--strict, WEBGPU_LSTM_STRICT=1, or CI=true as CI sets it; WEBGPU_LSTM_STRICT=0 turns it
// off) treat a missing WebGPU adapter or Chromium as a failure, not a skip: npm run setup provides both,
// so their absence means a broken setup. The tests themselves fail then (test/support/skip.ts), and this
// script fails the run on any skip but the root-permission ones, named as such ("as root: ...").
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withoutNotice } from './quiet-dawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const args = process.argv.slice(2);
const env = process.env.WEBGPU_LSTM_STRICT;
const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
const strict = args.includes('--strict') || env === '1' || (env === undefined && ci);
const targets = args.filter((a) => a !== '--strict');
/** Skips a strict run allows: tests of file permissions, which root ignores. */
const allowedSkip = /^as root: /;

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? testFiles(path) : e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const tiers = targets.length === 0 ? ['cpu', 'gpu', 'e2e'] : targets;
const files = tiers.flatMap((t) => {
  try {
    return statSync(t).isFile() ? [t] : testFiles(join('test', t)).sort();
  } catch {
    return testFiles(join('test', t)).sort();
  }
});
if (files.length === 0) {
  console.error(`no test files in: ${tiers.join(' ')}`);
  process.exit(1);
}

/** Two test files run at once (the machine's 2 cores: one file's shader compiles, process start and waits
 *  overlap the other's work; 1.3x here). The browser tests, each holding a Chromium busy, are spread
 *  evenly through the list so that two of them rarely run together. WEBGPU_LSTM_TEST_CONCURRENCY=1 runs
 *  one file at a time. */
const concurrency = Number(process.env.WEBGPU_LSTM_TEST_CONCURRENCY ?? 2);
function spreadBrowserTests(list) {
  const browser = list.filter((f) => f.includes(`${join('test', 'e2e')}/`));
  const rest = list.filter((f) => !browser.includes(f));
  const chunk = Math.ceil(rest.length / Math.max(1, browser.length));
  return browser.length === 0 ? rest : browser.flatMap((f, i) => [f, ...rest.slice(i * chunk, (i + 1) * chunk)]);
}
const ordered = spreadBrowserTests(files);

if (targets.length === 0) {
  console.log('== typecheck (tsc --noEmit, strict)');
  const tsc = spawnSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

console.log(`== node --test (${tiers.join(' ')}): ${files.length} files${strict ? ', strict: a skipped GPU or browser test fails' : ''}`);
/** The runner's environment: the strict switch decided here; no NODE_TEST_CONTEXT, which a run started from
 *  inside a test (test/cpu/strict-skip.test.ts) inherits and which would make node --test run nothing. */
function runnerEnv() {
  const env = { ...process.env, WEBGPU_LSTM_STRICT: strict ? '1' : '0' };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

const work = mkdtempSync(join(tmpdir(), 'webgpu-lstm-test-'));
const summaryFile = join(work, 'summary.json');
const child = spawn(process.execPath, [
  // A hang detector for every test without its own timeout, and for each file as a whole (node applies it to
  // both): the longest file, the page end to end, took 56 s here quiet and 132 s beside four busy loops.
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=900000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts', 'test-summary.mjs')}`, `--test-reporter-destination=${summaryFile}`,
  ...ordered,
], { stdio: ['inherit', 'pipe', 'pipe'], env: runnerEnv() });
// Dawn's notice of the adapter limits it clamps comes from native code on every adapter it opens: not ours.
const out = withoutNotice((text) => process.stdout.write(text));
const err = withoutNotice((text) => process.stderr.write(text));
child.stdout.setEncoding('utf8').on('data', (text) => out.push(text));
child.stderr.setEncoding('utf8').on('data', (text) => err.push(text));
const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
out.end();
err.end();

let tests;
try {
  tests = JSON.parse(readFileSync(summaryFile, 'utf8')).tests;
} catch (e) {
  console.error(`the test runner wrote no summary (${e.message}); it exited with ${code}`);
  process.exit(code || 1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
const count = (outcome) => tests.filter((t) => t.outcome === outcome).length;
const skipped = tests.filter((t) => t.outcome === 'skipped');
const forbidden = strict ? skipped.filter((t) => !allowedSkip.test(t.reason ?? '')) : [];
for (const t of skipped) {
  const where = t.file ? ` (${relative(root, t.file)})` : '';
  console.log(`skipped${forbidden.includes(t) ? ', not allowed in a strict run' : ''}: ${t.name}${where}: ${t.reason ?? 'no reason given'}`);
}
for (const t of tests.filter((x) => x.outcome === 'failed')) console.log(`failed: ${t.name}${t.file ? ` (${relative(root, t.file)})` : ''}`);
if (forbidden.length > 0) console.log(`strict run: ${forbidden.length} skipped test(s) above; npm run setup installs the WebGPU adapters and Chromium they need`);
console.log(`tests: ${count('passed')} passed, ${count('failed')} failed, ${skipped.length} skipped`);
process.exit(code !== 0 ? code : forbidden.length > 0 ? 1 : 0);
