// What the training code knows of where it runs: a device, a description of its adapter, and its shaders.
// Node (node-gpu.ts) and the browser each make one of these; nothing under train/ knows which.
import type { ShaderSource } from './kernel.ts';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader): orders of magnitude slower than a GPU. */
  software: boolean;
  runtime: 'node' | 'browser';
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterDescription;
  shaders: ShaderSource;
  /** Set once the device is lost or reports an uncaptured error; the trainer checks it at every await. */
  failure(): Error | undefined;
  destroy(): void;
}

/** The limits a training plan may need above WebGPU's defaults: ask for all the adapter has. */
export function requiredLimits(adapter: GPUAdapter): Record<string, number> {
  const l = adapter.limits;
  return {
    maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
    maxBufferSize: l.maxBufferSize,
    maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
    maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
  };
}

export function describeAdapter(adapter: GPUAdapter, runtime: 'node' | 'browser'): AdapterDescription {
  const i = adapter.info;
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  const fallback = (i as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    software: fallback || /llvmpipe|lavapipe|swiftshader|software/.test(text),
    runtime,
  };
}

export function adapterLabel(a: AdapterDescription): string {
  return [a.vendor, a.architecture, a.description || a.device].filter(Boolean).join(' / ');
}

/** Surfaces device loss and uncaptured errors: logs them with their message and remembers the first. */
export function watchDevice(device: GPUDevice, log: (message: string) => void): () => Error | undefined {
  let failure: Error | undefined;
  let destroyed = false;
  device.lost.then((info) => {
    if (destroyed || info.reason === 'destroyed') return;
    failure ??= new Error(`GPU device lost: ${info.message || info.reason}`);
    log(failure.message);
  });
  device.addEventListener('uncapturederror', (event) => {
    const message = `GPU error: ${(event as GPUUncapturedErrorEvent).error.message}`;
    failure ??= new Error(message);
    log(message);
  });
  const original = device.destroy.bind(device);
  device.destroy = () => {
    destroyed = true;
    original();
  };
  return () => failure;
}
