// Headless Chromium for the browser tests: Debian's chromium driven by playwright-core (no browser
// download), WebGPU on (Chromium then uses its own SwiftShader when there is no GPU), pages served by Vite.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumMissing(): string | undefined {
  return existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath} (npm run setup installs Debian's chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run',
    ],
  });
}

/** Serves `root` (a folder of the repo) on 127.0.0.1 with Vite; returns its URL. */
export async function servePage(root: string): Promise<{ url: string; server: ViteDevServer }> {
  const server = await createServer({ root, logLevel: 'error', server: { host: '127.0.0.1', port: 0 }, clearScreen: false });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite did not report a port');
  return { url: `http://127.0.0.1:${address.port}/`, server };
}
