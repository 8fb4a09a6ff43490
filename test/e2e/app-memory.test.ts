// GPU memory in the page stays flat: a run allocates once, reset frees all of it, and starting again or
// loading a model back holds exactly what the same run held before.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { type BuiltPage, serveBuiltPage } from './app-support/built-page.ts';
import { collectErrors, waitForState, waitForStep } from './app-support/page-helpers.ts';
import { chromiumMissing, launchChromium } from './browser.ts';
import { skipUnlessStrict } from '../support/skip.ts';

const small = { layers: '16', batch: '16', lr: '0.01', length: '100000', validateEvery: '1000', seed: '2', clipNorm: '0' };

type Memory = { bytes: number; buffers: number };

async function shown(page: Page): Promise<Memory> {
  const el = page.locator('#s-memory');
  return { bytes: Number(await el.getAttribute('data-bytes')), buffers: Number(await el.getAttribute('data-buffers')) };
}

/** The engine's live GPU bytes and buffers as the page shows them, once the figure has stopped changing
 * (the worker reports after each message it handles; under load a report can lag the state it follows). */
async function memory(page: Page): Promise<Memory> {
  let last = await shown(page);
  for (let same = 0, i = 0; same < 3 && i < 50; i++) {
    await page.waitForTimeout(200);
    const now = await shown(page);
    same = now.bytes === last.bytes && now.buffers === last.buffers ? same + 1 : 0;
    last = now;
  }
  return last;
}

/** Waits (up to 10 s) for the page to show `expected`; returns what it shows then. */
async function memoryBecomes(page: Page, expected: Memory): Promise<Memory> {
  let now = await shown(page);
  for (let i = 0; i < 50 && (now.bytes !== expected.bytes || now.buffers !== expected.buffers); i++) {
    await page.waitForTimeout(200);
    now = await shown(page);
  }
  return now;
}

test('the page frees all GPU memory on reset and holds the same amount on every start and model load', { timeout: 240_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing) return skipUnlessStrict(t, missing);
  let served: BuiltPage | undefined;
  const browser = await launchChromium();
  try {
    served = await serveBuiltPage();
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(served.url);
    await waitForState(page, 'idle', 90_000);
    for (const [field, value] of Object.entries(small)) await page.fill(`#f-${field}`, value);
    await page.uncheck('#f-autotune'); // the default workgroup sizes: a tuning would only slow the first start

    const baseline = await memory(page);
    let running: { bytes: number; buffers: number } | undefined;
    let loaded: { bytes: number; buffers: number } | undefined;
    const modelPath = join(await mkdtemp(join(tmpdir(), 'page-memory-')), 'model.safetensors');
    for (let cycle = 0; cycle < 2; cycle++) { // the second cycle must hold what the first did: a leak shows
      await page.click('#btn-start');
      await waitForStep(page, 6, 60_000); // past step 3, where the profiler's scratch plan is made
      assert.ok((await memory(page)).bytes > baseline.bytes, `cycle ${cycle}: a run holds GPU memory`);
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 30_000);
      // Read once paused: the worker reports after handling the pause, with everything the run made.
      const now = await memory(page);
      running ??= now;
      assert.deepEqual(await memoryBecomes(page, running), running, `cycle ${cycle}: the same run holds the same memory`);
      if (cycle === 0) {
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#btn-download')]);
        await download.saveAs(modelPath);
      }
      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      assert.deepEqual(await memoryBecomes(page, baseline), baseline, `cycle ${cycle}: reset frees every buffer`);

      await page.setInputFiles('#file-input', modelPath);
      await page.waitForFunction(() => /Loaded model/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      const held = loaded ? await memoryBecomes(page, loaded) : await memory(page);
      assert.ok(held.bytes > baseline.bytes, `cycle ${cycle}: a loaded model holds GPU memory`);
      loaded ??= held;
      assert.deepEqual(held, loaded, `cycle ${cycle}: loading the model again holds the same memory`);
      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      assert.deepEqual(await memoryBecomes(page, baseline), baseline, `cycle ${cycle}: reset after a load frees every buffer`);
    }
    assert.deepEqual(errors, [], 'no console errors');
    t.diagnostic(`baseline ${baseline.bytes} bytes in ${baseline.buffers} buffers; a run ${running!.bytes} bytes in ${running!.buffers} buffers`);
  } finally {
    await browser.close();
    await served?.close();
  }
});
