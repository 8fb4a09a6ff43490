// Chromium for the benchmark: Debian's chromium through playwright-core (headless, --enable-unsafe-webgpu;
// without a GPU it uses its own SwiftShader), the bench page served by Vite. The page is cross-origin
// isolated (COOP/COEP) so tfjs's wasm backend may use its threaded build. An init script wraps
// GPUComputePassEncoder.dispatchWorkgroups and GPUQueue.submit to count every system's GPU calls.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type ViteDevServer, createServer } from 'vite';
import type { AdapterReport, BenchPage, Failure, PageSystem } from './page/main.ts';
import type { CeilingOptions, CeilingResult } from './matmul.ts';
import type { RawRun, RunSpec, TfjsProgress } from './workload.ts';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = join(here, '..');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const countScript = `
(() => {
  const counts = { dispatches: 0, submits: 0 };
  window.__benchGpuCounts = counts;
  const wrap = (proto, name, key) => {
    const original = proto && proto[name];
    if (typeof original !== 'function') return;
    proto[name] = function (...args) { counts[key] += 1; return original.apply(this, args); };
  };
  if (typeof GPUComputePassEncoder !== 'undefined') {
    wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', 'dispatches');
    wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroupsIndirect', 'dispatches');
  }
  if (typeof GPUQueue !== 'undefined') wrap(GPUQueue.prototype, 'submit', 'submits');
})();
`;

/** What a run stopped at its cap had done: its finished steps' times and the dispatches it had issued. */
export interface CapReached {
  capSec: number;
  warmupMs: number[];
  stepMs: number[];
  dispatches: number | null;
}

export interface BenchBrowser {
  version: string;
  adapter(): Promise<AdapterReport | Failure>;
  run(system: PageSystem, spec: RunSpec, timeoutMs: number): Promise<RawRun | Failure>;
  /** run() stopped at capMs: then a Failure saying how far it got (steps finished, dispatches issued). */
  runCapped(system: PageSystem, spec: RunSpec, capMs: number): Promise<RawRun | (Failure & { reached?: CapReached })>;
  ceiling(opts: CeilingOptions, timeoutMs: number): Promise<CeilingResult | Failure>;
  close(): Promise<void>;
}

async function serve(): Promise<{ url: string; server: ViteDevServer }> {
  const server = await createServer({
    configFile: false,
    root: join(here, 'page'),
    cacheDir: join(projectRoot, 'node_modules', '.vite-bench'),
    logLevel: 'error',
    clearScreen: false,
    server: {
      host: '127.0.0.1',
      port: 0,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    // Bundled before the first page load, so no dependency found later reloads a page mid-measurement.
    optimizeDeps: { include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'] },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite did not report a port');
  return { url: `http://127.0.0.1:${address.port}/`, server };
}

function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s (raise --timeout)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startBrowser(log: (m: string) => void): Promise<BenchBrowser> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath} (npm run setup installs Debian's chromium; CHROMIUM_PATH overrides)`);
  const { url, server } = await serve();
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  } catch (e) {
    await server.close();
    throw e;
  }

  /** A fresh page for one call: nothing (tfjs state, GPU buffers) carries over from the previous system. */
  const onFreshPage = async <T>(
    what: string, timeoutMs: number, call: (page: Page) => Promise<T | Failure>, onTimeout?: (page: Page) => Promise<void>,
  ): Promise<T | Failure> => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
      if (m.type() === 'warning' && /WebGPU|GPU/.test(m.text())) log(`  [page warning] ${m.text().slice(0, 300)}`);
    });
    try {
      await page.addInitScript({ content: countScript });
      await page.goto(url);
      await page.waitForFunction(() => window.benchPage !== undefined, undefined, { timeout: 120_000 });
      const result = await withTimeout(what, call(page), timeoutMs);
      if ('error' in (result as object) && errors.length) (result as Failure).error += ` (page errors: ${errors.slice(0, 3).join(' | ')})`;
      return result;
    } catch (e) {
      if (onTimeout && /no answer within/.test((e as Error).message)) await onTimeout(page);
      const more = errors.length ? ` (page errors: ${errors.slice(0, 3).join(' | ')})` : '';
      return { error: `${(e as Error).message.split('\n')[0]}${more}` };
    } finally {
      await page.close().catch(() => undefined);
    }
  };

  return {
    version: browser.version(),
    adapter: () => onFreshPage('adapter', 120_000, (page) => page.evaluate(() => window.benchPage!.adapter())),
    run: (system, spec, timeoutMs) =>
      onFreshPage(system, timeoutMs, (page) => page.evaluate(([s, r]) => window.benchPage!.run(s, r), [system, spec] as [PageSystem, RunSpec])),
    async runCapped(system, spec, capMs) {
      let reached: CapReached | undefined;
      const result = await onFreshPage(system, capMs, (page) => page.evaluate(([s, r]) => window.benchPage!.run(s, r), [system, spec] as [PageSystem, RunSpec]),
        async (page) => {
          // The page may be busy encoding a step: give the read a moment, else say nothing was read.
          const read = page.evaluate(() => ({
            progress: (globalThis as { __benchProgress?: TfjsProgress }).__benchProgress,
            dispatches: window.__benchGpuCounts?.dispatches,
          }));
          const got = await withTimeout('progress', read, 5000).catch(() => undefined);
          reached = { capSec: capMs / 1000, warmupMs: got?.progress?.warmupMs ?? [], stepMs: got?.progress?.stepMs ?? [], dispatches: got?.dispatches ?? null };
        });
      return reached && 'error' in result ? { ...result, reached } : result;
    },
    ceiling: (opts, timeoutMs) => onFreshPage('ceiling', timeoutMs, (page) => page.evaluate((o) => window.benchPage!.ceiling(o), opts)),
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

export type { BenchPage };
