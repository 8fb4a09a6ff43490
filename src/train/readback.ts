// Reading GPU buffers back to the CPU without stalling: copies are encoded with the work that produces
// them, into mappable buffers made in advance, and mapped when the caller wants the values.
import type { GpuContext } from '../gpu/device.ts';

/** Copies `size` bytes of `source` into a fresh mappable buffer, waits, and returns them (not for the loop). */
export async function readBuffer(device: GPUDevice, source: GPUBuffer, offset = 0, size = source.size - offset): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ label: `read ${source.label}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder({ label: `read ${source.label}` });
  encoder.copyBufferToBuffer(source, offset, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0);
  } finally {
    staging.destroy();
  }
}

/** A small ring of mappable buffers, each taking one copy per step when the caller wants its values. */
export interface ReadbackSlot {
  /** Encodes a copy of the source's first `size` bytes into this slot at `offset`. */
  encodeCopy(encoder: GPUCommandEncoder, source: GPUBuffer, offset: number, size: number): void;
  /** After the submit: maps the slot and returns its bytes, freeing the slot again. */
  read(): Promise<ArrayBuffer>;
}

export interface ReadbackRing {
  /** The next slot, once its previous read has finished (a mapped buffer cannot take a copy). */
  acquire(): Promise<ReadbackSlot>;
  destroy(): void;
}

export function createReadbackRing(ctx: GpuContext, label: string, size: number, slots = 3): ReadbackRing {
  const ring = Array.from({ length: slots }, (_, i) => ({
    buffer: ctx.createBuffer({ label: `${label} readback ${i}`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    busy: Promise.resolve() as Promise<unknown>,
  }));
  let next = 0;
  return {
    async acquire() {
      const slot = ring[next];
      next = (next + 1) % slots;
      await slot.busy;
      return {
        encodeCopy: (encoder, source, offset, bytes) => encoder.copyBufferToBuffer(source, 0, slot.buffer, offset, bytes),
        read: () => {
          const read = (async () => {
            await slot.buffer.mapAsync(GPUMapMode.READ);
            const data = slot.buffer.getMappedRange().slice(0);
            slot.buffer.unmap();
            return data;
          })();
          slot.busy = read.catch(() => undefined);
          return read;
        },
      };
    },
    destroy: () => ring.forEach((s) => s.buffer.destroy()),
  };
}
