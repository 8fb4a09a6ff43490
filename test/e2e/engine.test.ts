// The training engine in headless Chromium: navigator.gpu, the same trainer code as Node, losses equal
// to the float64 oracle's step by step.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromiumMissing, launchChromium, servePage } from './browser.ts';
import { skipUnlessStrict } from '../support/skip.ts';

const here = dirname(fileURLToPath(import.meta.url));

test('the trainer runs in Chromium on navigator.gpu and matches the oracle', { timeout: 180_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing) return skipUnlessStrict(t, missing);
  const { url, server } = await servePage(join(here, 'engine-page'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(url);
    await page.waitForFunction(() => window.engineCheck !== undefined, undefined, { timeout: 150_000 });
    const result = await page.evaluate(() => window.engineCheck!);
    if ('error' in result) {
      if (/no WebGPU|found no adapter/.test(result.error)) return skipUnlessStrict(t, `Chromium has no WebGPU here: ${result.error}`);
      assert.fail(`the page failed: ${result.error}`);
    }
    assert.deepEqual(errors, [], 'no page errors');
    assert.equal(result.gpuLosses.length, 4);
    for (let s = 0; s < 4; s++) {
      const [g, r] = [result.gpuLosses[s], result.oracleLosses[s]];
      assert.ok(Math.abs(g - r) <= 1e-5 + 1e-4 * Math.abs(r), `step ${s + 1}: GPU loss ${g}, oracle ${r}`);
    }
    assert.equal(result.dispatchesPerStep, result.planDispatches, `a step of the '${result.scheduler}' plan encodes one dispatch per bind group the plan made`);
    t.diagnostic(`adapter: ${JSON.stringify(result.adapter)}; '${result.scheduler}': ${result.dispatchesPerStep} dispatches a step; losses ${result.gpuLosses.map((l) => l.toFixed(6)).join(' ')}`);
  } finally {
    await browser.close();
    await server.close();
  }
});
