// WebGPU in the browser: navigator.gpu, behind the same GpuContext as Node, so train/ never knows where
// it runs. Shaders are bundled by Vite from shaders/*.wgsl as raw strings.
import { UserError } from '../user-error.ts';
import { type GpuContext, describeAdapter, makeContext, requiredLimits } from './device.ts';

const sources = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export async function browserShaderSource(name: string): Promise<string> {
  const code = sources[`../../shaders/${name}.wgsl`];
  if (code === undefined) throw new Error(`no shader shaders/${name}.wgsl in this build`);
  return code;
}

export async function createBrowserGpu(opts: { log?: (m: string) => void } = {}): Promise<GpuContext> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    throw new UserError(
      'this browser has no WebGPU (navigator.gpu is missing). Use a recent Chrome or Edge over https or ' +
        'http://localhost; on Linux, start Chrome with --enable-unsafe-webgpu or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new UserError('navigator.gpu.requestAdapter() found no adapter: WebGPU is blocked or unsupported on this machine.');
  const features: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ label: 'webgpu-lstm', requiredLimits: requiredLimits(adapter), requiredFeatures: features });
  return makeContext(device, describeAdapter(adapter, 'browser'), browserShaderSource, opts.log ?? ((m) => console.error(m)));
}
