// WebGPU in Node through Dawn (npm package `webgpu`). Picks an adapter by itself: a hardware adapter when
// there is one, else the project's Mesa lavapipe (.cache/lavapipe, installed by npm run setup), else
// Chromium's SwiftShader. `adapter` names one explicitly (any part of its name, case-insensitive).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../user-error.ts';
import { type GpuContext, describeAdapter, makeContext, requiredLimits } from './device.ts';

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const lavapipeIcd = join(projectRoot, '.cache', 'lavapipe', 'lvp_icd.json');
export const swiftshaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

let dawn: typeof import('webgpu') | undefined;
// Every Dawn instance made stays referenced for the life of the process: a collected instance takes its
// adapters' devices down with it (the process then aborts in a mutex assertion).
const instances: GPU[] = [];

async function instance(flags: string[]): Promise<GPU> {
  const { create } = await loadDawn();
  const gpu = create(flags);
  instances.push(gpu);
  return gpu;
}

/** Vulkan driver manifests: the system's (hardware) ones, less Debian's old lavapipe that Dawn rejects, plus ours. */
function vulkanDrivers(): string[] {
  const dirs = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
  const system = dirs.flatMap((dir) => {
    try {
      return readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('lvp_icd')).map((f) => join(dir, f));
    } catch {
      return [];
    }
  });
  return [...system, ...[lavapipeIcd, swiftshaderIcd].filter((f) => existsSync(f))];
}

/** Loads Dawn once, after pointing the Vulkan loader at the drivers (unless the user chose them already). */
async function loadDawn(): Promise<typeof import('webgpu')> {
  if (dawn) return dawn;
  if (!process.env.XDG_RUNTIME_DIR) {
    // Mesa's drivers complain on every start when it is unset (as under CI and sudo).
    const dir = join(tmpdir(), `webgpu-lstm-runtime-${process.getuid?.() ?? 0}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  if (!process.env.VK_DRIVER_FILES && !process.env.VK_ICD_FILENAMES) {
    const drivers = vulkanDrivers().join(':');
    process.env.VK_DRIVER_FILES = drivers;
    process.env.VK_ICD_FILENAMES = drivers;
  }
  try {
    dawn = await import('webgpu');
  } catch (e) {
    throw new UserError(`cannot load WebGPU for Node (npm package webgpu): ${(e as Error).message}\nRun npm run setup.`);
  }
  Object.assign(globalThis, dawn.globals);
  return dawn;
}

/** Names of the adapters Dawn can see (it lists them when asked for one that does not exist). */
export async function listAdapters(): Promise<string[]> {
  try {
    await (await instance(['adapter=\u0001none'])).requestAdapter();
  } catch (e) {
    return [...(e as Error).message.matchAll(/name: '([^']*)'/g)].map((m) => m[1]);
  }
  return [];
}

async function requestNamed(name: string): Promise<GPUAdapter | null> {
  try {
    return await (await instance([`adapter=${name}`])).requestAdapter();
  } catch {
    return null;
  }
}

export async function chooseAdapter(wanted?: string): Promise<GPUAdapter> {
  const names = await listAdapters();
  if (names.length === 0) {
    throw new UserError(
      'no WebGPU adapter found: Dawn sees no Vulkan device.\n' +
        'Run npm run setup (it installs libvulkan1, Mesa lavapipe and Chromium\'s SwiftShader).',
    );
  }
  if (wanted) {
    const match = names.find((n) => n.toLowerCase().includes(wanted.toLowerCase()));
    const adapter = match ? await requestNamed(match) : null;
    if (!adapter) throw new UserError(`--adapter ${wanted}: no such adapter. Available: ${names.map((n) => `"${n}"`).join(', ')}`);
    return adapter;
  }
  const preferred = await (await instance([])).requestAdapter({ powerPreference: 'high-performance' });
  if (preferred && !describeAdapter(preferred, 'node').software) return preferred;
  const lavapipe = names.find((n) => n.toLowerCase().includes('llvmpipe'));
  const adapter = (lavapipe && (await requestNamed(lavapipe))) || preferred;
  if (!adapter) throw new UserError(`no usable WebGPU adapter among: ${names.join(', ')}. Run npm run setup.`);
  return adapter;
}

export async function nodeShaderSource(name: string): Promise<string> {
  return readFile(join(projectRoot, 'shaders', `${name}.wgsl`), 'utf8');
}

export async function createNodeGpu(opts: { adapter?: string; log?: (m: string) => void } = {}): Promise<GpuContext> {
  const adapter = await chooseAdapter(opts.adapter);
  const device = await adapter.requestDevice({ label: 'webgpu-lstm', requiredLimits: requiredLimits(adapter) });
  return makeContext(device, describeAdapter(adapter, 'node'), nodeShaderSource, opts.log ?? ((m) => console.error(m)));
}
