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

/** GPU memory the engine holds: every buffer it makes goes through GpuContext.createBuffer. */
export interface MemoryCounts {
  liveBuffers: number;
  liveBytes: number;
  peakBytes: number;
}

export interface GpuContext {
  device: GPUDevice;
  adapter: AdapterDescription;
  shaders: ShaderSource;
  /** Set once the device is lost or reports an uncaptured error; the trainer checks it at every await. */
  failure(): Error | undefined;
  /** Creates a buffer counted in `memory` until it is destroyed. */
  createBuffer(desc: GPUBufferDescriptor): GPUBuffer;
  readonly memory: MemoryCounts;
  /** Ends the context on purpose (a device destroyed any other way counts as lost). */
  destroy(): void;
}

/** The context both runtimes hand out: failure watch, memory accounting, deliberate destroy. */
export function makeContext(device: GPUDevice, adapter: AdapterDescription, shaders: ShaderSource, log: (m: string) => void): GpuContext {
  let deliberate = false;
  const failure = watchDevice(device, log, () => deliberate);
  const memory: MemoryCounts = { liveBuffers: 0, liveBytes: 0, peakBytes: 0 };
  return {
    device, adapter, shaders, failure, memory,
    createBuffer(desc) {
      const buffer = device.createBuffer(desc);
      const destroy = buffer.destroy.bind(buffer);
      let live = true;
      memory.liveBuffers += 1;
      memory.liveBytes += buffer.size;
      memory.peakBytes = Math.max(memory.peakBytes, memory.liveBytes);
      buffer.destroy = () => {
        if (live) {
          live = false;
          memory.liveBuffers -= 1;
          memory.liveBytes -= buffer.size;
        }
        destroy();
      };
      return buffer;
    },
    destroy() {
      deliberate = true;
      device.destroy();
    },
  };
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

/** A lost device or an uncaptured GPU error: the trainer stops at its next await and says why. */
export class GpuFailure extends Error {
  override name = 'GpuFailure';
}

/** Surfaces device loss and uncaptured errors: logs them with their message and remembers the first. */
export function watchDevice(device: GPUDevice, log: (message: string) => void, deliberate: () => boolean): () => Error | undefined {
  let failure: Error | undefined;
  device.lost.then((info) => {
    if (deliberate()) return;
    failure ??= new GpuFailure(`GPU device lost (${info.reason}): ${info.message || 'no message'}`);
    log(failure.message);
  });
  device.addEventListener('uncapturederror', (event) => {
    if (deliberate()) return;
    const message = `GPU error: ${(event as GPUUncapturedErrorEvent).error.message}`;
    failure ??= new GpuFailure(message);
    log(message);
  });
  return () => failure;
}
