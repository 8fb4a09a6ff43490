// Reads a compute shader's interface from its WGSL with wgsl_reflect: the shader owns its layout.
import { ResourceType, WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface UniformMember {
  name: string;
  offset: number;
  type: 'u32' | 'i32' | 'f32';
}

export interface ReflectedBinding {
  name: string;
  binding: number;
  kind: BindingKind;
  /** Uniform structs only: their scalar members and byte size. */
  members?: UniformMember[];
  size?: number;
}

export interface ReflectedKernel {
  entry: string;
  bindings: ReflectedBinding[];
  overrides: string[];
}

export function reflectKernel(entry: string, code: string): ReflectedKernel {
  const reflect = new WgslReflect(code);
  const fn = reflect.entry.compute.find((f) => f.name === entry);
  if (!fn) {
    const found = reflect.entry.compute.map((f) => f.name).join(', ') || 'none';
    throw new Error(`shader ${entry}.wgsl: no @compute entry point named ${entry} (found: ${found})`);
  }
  const bindings: ReflectedBinding[] = [];
  for (const v of fn.resources) {
    if (v.group !== 0) throw new Error(`shader ${entry}.wgsl: ${v.name} is in @group(${v.group}); kernels use group 0 only`);
    if (v.resourceType === ResourceType.Uniform) {
      const members = (v.members ?? []).map((m) => {
        const type = m.type.name;
        if (type !== 'u32' && type !== 'i32' && type !== 'f32') {
          throw new Error(`shader ${entry}.wgsl: uniform member ${v.name}.${m.name} is ${type}; only u32, i32, f32 are supported`);
        }
        return { name: m.name, offset: m.offset, type } as UniformMember;
      });
      bindings.push({ name: v.name, binding: v.binding, kind: 'uniform', members, size: v.size });
    } else if (v.resourceType === ResourceType.Storage) {
      bindings.push({ name: v.name, binding: v.binding, kind: v.access === 'read' ? 'read-only-storage' : 'storage' });
    } else {
      throw new Error(`shader ${entry}.wgsl: binding ${v.name} is not a buffer; kernels bind buffers only`);
    }
  }
  bindings.sort((a, b) => a.binding - b.binding);
  return { entry, bindings, overrides: reflect.overrides.map((o) => o.name) };
}
