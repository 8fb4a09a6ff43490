// A compute kernel made ready to dispatch: its WGSL compiled, its bind group layout derived from the
// shader by reflection and checked against the spec both ways, and helpers that check every bind group
// and pack every uniform by the reflected offsets.
import type { Dims, KernelSpec, Overrides } from '../kernels/dims.ts';
import { type ReflectedBinding, type ReflectedKernel, reflectKernel } from './reflect.ts';

export interface Kernel<Extra = void> {
  spec: KernelSpec<Extra>;
  reflected: ReflectedKernel;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  overrides: Overrides;
  /** The uniform binding (every kernel has exactly one, named params). */
  uniform: ReflectedBinding;
}

/** Gets a shader's WGSL source by file stem (Node reads shaders/, the browser imports them). */
export type ShaderSource = (name: string) => Promise<string>;

/**
 * Compiled kernels per device, by shader, code and override values: a plan made again on the same device
 * (the autotuner's candidates, a trainer made again after a reset) reuses its pipelines instead of
 * compiling them again (about 0.7 s a plan on SwiftShader).
 */
const compiled = new WeakMap<GPUDevice, Map<string, Kernel<any>>>();

export async function createKernel<Extra>(
  device: GPUDevice,
  spec: KernelSpec<Extra>,
  source: ShaderSource,
  dims: Dims,
  overrides: Overrides = {},
): Promise<Kernel<Extra>> {
  const shader = spec.shader ?? spec.name;
  const code = await source(shader);
  const reflected = reflectKernel(shader, code);
  const uniforms = reflected.bindings.filter((b) => b.kind === 'uniform');
  if (uniforms.length !== 1 || uniforms[0].name !== 'params') {
    throw new Error(`kernel ${spec.name}: expected one uniform binding named params, found ${uniforms.map((u) => u.name).join(', ') || 'none'}`);
  }
  const uniform = uniforms[0];
  const storageNames = reflected.bindings.filter((b) => b.kind !== 'uniform').map((b) => b.name);
  checkSameNames(`kernel ${spec.name}: storage bindings`, storageNames, Object.keys(spec.bindingBytes(dims)));
  const values = { ...spec.overrides, ...overrides };
  checkSameNames(`kernel ${spec.name}: override constants`, reflected.overrides, Object.keys(values));
  let cache = compiled.get(device);
  if (!cache) compiled.set(device, (cache = new Map()));
  const key = `${shader}\n${JSON.stringify(Object.entries(values).sort())}\n${code}`;
  const hit = cache.get(key);
  if (hit && hit.spec === spec) return hit as Kernel<Extra>;

  // Compile and link errors surface through the error scope, with the WGSL line in the message.
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: spec.name, code });
  const layout = device.createBindGroupLayout({
    label: `${spec.name} layout`,
    entries: reflected.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
  });
  const pipeline = device.createComputePipeline({
    label: spec.name,
    layout: device.createPipelineLayout({ label: `${spec.name} pipeline layout`, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: shader, constants: values },
  });
  const error = await device.popErrorScope();
  if (error) throw new Error(`kernel ${spec.name}: shaders/${shader}.wgsl does not compile or link:\n${error.message}`);
  const kernel = { spec, reflected, pipeline, layout, overrides: values, uniform };
  cache.set(key, kernel);
  return kernel;
}

function checkSameNames(what: string, inShader: string[], inSpec: string[]): void {
  const missing = inShader.filter((n) => !inSpec.includes(n));
  const extra = inSpec.filter((n) => !inShader.includes(n));
  if (missing.length || extra.length) {
    throw new Error(`${what} differ between WGSL and spec: in the shader only [${missing.join(', ')}], in the spec only [${extra.join(', ')}]`);
  }
}

/** Packs the uniform Params struct from values by member name; every member must be given. */
export function packUniform(kernel: Kernel<any>, values: Record<string, number>): ArrayBuffer {
  const { members = [], size = 0 } = kernel.uniform;
  const bytes = new ArrayBuffer(Math.ceil(size / 16) * 16);
  const view = new DataView(bytes);
  for (const m of members) {
    const v = values[m.name];
    if (v === undefined || !Number.isFinite(v)) throw new Error(`kernel ${kernel.spec.name}: no value for params.${m.name}`);
    if (m.type === 'f32') view.setFloat32(m.offset, v, true);
    else if (m.type === 'u32') view.setUint32(m.offset, v, true);
    else view.setInt32(m.offset, v, true);
  }
  const unused = Object.keys(values).filter((k) => !members.some((m) => m.name === k));
  if (unused.length) throw new Error(`kernel ${kernel.spec.name}: params has no member ${unused.join(', ')}`);
  return bytes;
}

export type Resources = Record<string, GPUBufferBinding>;

/** Makes a bind group after checking every binding is given, none is extra, and each is large enough. */
export function makeBindGroup(device: GPUDevice, kernel: Kernel<any>, dims: Dims, resources: Resources, label: string): GPUBindGroup {
  const expected = kernel.spec.bindingBytes(dims);
  checkSameNames(`bind group ${label}: bindings`, kernel.reflected.bindings.map((b) => b.name), Object.keys(resources));
  const entries = kernel.reflected.bindings.map((b) => {
    const r = resources[b.name];
    const size = r.size ?? r.buffer.size - (r.offset ?? 0);
    const need = b.kind === 'uniform' ? (b.size ?? 0) : expected[b.name];
    if (size < need) {
      throw new Error(`bind group ${label}: binding ${b.name} of kernel ${kernel.spec.name} holds ${size} bytes, needs ${need}`);
    }
    return { binding: b.binding, resource: r };
  });
  return device.createBindGroup({ label, layout: kernel.layout, entries });
}

export function dispatch(pass: GPUComputePassEncoder, kernel: Kernel<any>, group: GPUBindGroup, dims: Dims): void {
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, group);
  const [x, y, z] = kernel.spec.workgroups(dims, kernel.overrides);
  pass.dispatchWorkgroups(x, y, z);
}
