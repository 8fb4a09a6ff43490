// The built page where WebGPU is unavailable: it explains what is needed (a WebGPU-capable Chrome, and
// where to enable it) instead of a blank page or a stack trace. Two ways it happens: navigator.gpu exists
// but yields no adapter (Chromium without --enable-unsafe-webgpu on a machine without a GPU), and
// navigator.gpu is missing altogether (a browser without WebGPU).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type BuiltPage, artifactsDir, serveBuiltPage } from './app-support/built-page.ts';
import { collectErrors } from './app-support/page-helpers.ts';
import { chromiumMissing, chromiumPath } from './browser.ts';
import { skipUnlessStrict } from '../support/skip.ts';

async function expectExplanation(page: Page, reason: RegExp): Promise<void> {
  const panel = page.locator('#no-webgpu');
  await panel.waitFor({ state: 'visible', timeout: 30_000 });
  const text = await panel.innerText();
  assert.match(text, /This page needs WebGPU/, 'the page says WebGPU is needed');
  assert.match(text, /Chrome/, 'it names a browser that has it');
  assert.match(text, /chrome:\/\/flags\/#enable-unsafe-webgpu/, 'it says where to enable it');
  assert.match(text, reason, 'it gives the specific reason');
  assert.ok(await page.locator('#app').isHidden(), 'the trainer, which cannot work, is hidden');
}

test('without WebGPU, the page explains what is needed', { timeout: 120_000 }, async (t) => {
  const missing = chromiumMissing();
  if (missing) return skipUnlessStrict(t, missing);
  await mkdir(artifactsDir, { recursive: true });
  let served: BuiltPage | undefined;
  // Without --enable-unsafe-webgpu: Chromium offers navigator.gpu here, but no adapter.
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  try {
    served = await serveBuiltPage();
    const url = served.url;

    await t.test('navigator.gpu without an adapter', async () => {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(url);
      await expectExplanation(page, /no adapter/);
      await page.screenshot({ path: join(artifactsDir, 'no-webgpu-page.png'), fullPage: true });
      assert.deepEqual(errors, [], 'no console errors or uncaught exceptions');
      await page.close();
    });

    await t.test('no navigator.gpu at all', async () => {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.addInitScript(() => {
        delete (Navigator.prototype as { gpu?: unknown }).gpu;
      });
      await page.goto(url);
      await expectExplanation(page, /navigator\.gpu is missing/);
      assert.deepEqual(errors, [], 'no console errors or uncaught exceptions');
      await page.close();
    });
  } finally {
    await browser.close();
    await served?.close();
  }
});
