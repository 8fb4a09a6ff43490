// The built page for the end-to-end tests: `vite build` of the repository's index.html into a fresh
// temporary folder, served by `vite preview` on 127.0.0.1, exactly as a user serves `npm run build`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

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
