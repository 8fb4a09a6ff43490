// The bench page: what bench/run.ts measures in Chromium, behind window.benchPage. The runner opens a
// fresh page for each system (same browser, same adapter) and calls one function; every answer is plain
// JSON, failures included ({ error }), so one system failing never stops the run.
import type { AdapterDescription } from '../../src/gpu/device.ts';
import { createBrowserGpu } from '../../src/gpu/browser-gpu.ts';
import { describeAdapter } from '../../src/gpu/device.ts';
import lstmWeightGradCode from '../../shaders/lstm_weight_grad.wgsl?raw';
import matmulCode from '../kernels/matmul.wgsl?raw';
import { type CeilingOptions, type CeilingResult, measureCeiling } from '../matmul.ts';
import { timeOurs } from '../ours.ts';
import type { GpuCallCounts, RawRun, RunSpec } from '../workload.ts';
import type { TfjsBackend } from './tfjs-lstm.ts';

export type PageSystem = 'ours' | `tfjs-${TfjsBackend}`;
export type Failure = { error: string };

export interface AdapterReport {
  adapter: AdapterDescription;
  features: string[];
  limits: Record<string, number>;
  userAgent: string;
}

export interface BenchPage {
  adapter(): Promise<AdapterReport | Failure>;
  run(system: PageSystem, spec: RunSpec): Promise<RawRun | Failure>;
  ceiling(opts: CeilingOptions): Promise<CeilingResult | Failure>;
}

declare global {
  interface Window {
    benchPage?: BenchPage;
    /** Set by the runner's init script, which wraps dispatchWorkgroups and submit. */
    __benchGpuCounts?: GpuCallCounts;
  }
}

const failure = (e: unknown): Failure => ({ error: e instanceof Error ? e.message : String(e) });

async function gpuDevice(): Promise<{ adapter: GPUAdapter; device: GPUDevice }> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('navigator.gpu.requestAdapter() found no adapter (is --enable-unsafe-webgpu set?)');
  const device = await adapter.requestDevice({
    label: 'bench matmul',
    requiredLimits: { maxComputeInvocationsPerWorkgroup: adapter.limits.maxComputeInvocationsPerWorkgroup },
  });
  return { adapter, device };
}

window.benchPage = {
  async adapter() {
    try {
      const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) throw new Error('navigator.gpu has no adapter here');
      const limits: Record<string, number> = {};
      for (const key of ['maxComputeInvocationsPerWorkgroup', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize'] as const) {
        limits[key] = adapter.limits[key];
      }
      return { adapter: describeAdapter(adapter, 'browser'), features: [...adapter.features].sort(), limits, userAgent: navigator.userAgent };
    } catch (e) {
      return failure(e);
    }
  },

  async run(system, spec) {
    try {
      const counts = window.__benchGpuCounts ?? { dispatches: 0, submits: 0 };
      if (system === 'ours') {
        const ctx = await createBrowserGpu();
        try {
          return await timeOurs(ctx, spec, counts);
        } finally {
          ctx.destroy();
        }
      }
      const { timeTfjs } = await import('./tfjs-lstm.ts');
      return await timeTfjs(system.slice('tfjs-'.length) as TfjsBackend, spec, counts);
    } catch (e) {
      return failure(e);
    }
  },

  async ceiling(opts) {
    try {
      const { device } = await gpuDevice();
      try {
        return await measureCeiling(device, { matmul: matmulCode, lstmWeightGrad: lstmWeightGradCode }, opts);
      } finally {
        device.destroy();
      }
    } catch (e) {
      return failure(e);
    }
  },
};
