// The built page for the end-to-end tests: `vite build` of the repository's index.html into a fresh
// temporary folder, served by `vite preview` on 127.0.0.1, exactly as a user serves `npm run build`.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { build, preview } from 'vite';
import { skipUnlessStrict } from '../../support/skip.ts';
import { chromiumMissing, launchChromium } from '../browser.ts';
import { collectErrors } from './page-helpers.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const artifactsDir = join(repoRoot, 'test/e2e/artifacts');

export interface BuiltPage {
  url: string;
  close(): Promise<void>;
}

export async function serveBuiltPage(): Promise<BuiltPage> {
  const outDir = await mkdtemp(join(tmpdir(), 'webgpu-lstm-page-'));
  const configFile = join(repoRoot, 'vite.config.ts');
  await build({ root: repoRoot, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  const server = await preview({ root: repoRoot, configFile, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview did not report a port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    async close() {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}

/** What a page test works with: the page (opened at the built page's URL), its console errors, the URL. */
export interface PageRun {
  page: Page;
  errors: string[];
  url: string;
}

/**
 * Builds and serves the page, opens it in a fresh headless Chromium (downloads accepted, 1280x1500) and runs
 * `body`; closes everything after. Without Chromium the test is skipped (failed in strict runs).
 */
export async function withBuiltPage(t: TestContext, body: (run: PageRun) => Promise<void>): Promise<void> {
  const missing = chromiumMissing();
  if (missing) return skipUnlessStrict(t, missing);
  await mkdir(artifactsDir, { recursive: true });
  let served: BuiltPage | undefined;
  const browser = await launchChromium();
  try {
    served = await serveBuiltPage();
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1500 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(served.url);
    await body({ page, errors, url: served.url });
  } finally {
    await browser.close();
    await served?.close();
  }
}
