// The order minibatches are drawn in: a per-epoch shuffle; a batch that runs past the end of an epoch
// takes the rest of it and continues with the next epoch's shuffle (as the tutorial's loader did).
// Its state is small (the generator's state at the epoch's start, the epoch, the position) and restores
// the exact same order, for checkpoints.
import { permutation, rngFromState } from './rng.ts';
import type { Rng } from './rng.ts';

export interface DataOrderState {
  /** The data-order generator's state (4 u32) before this epoch's shuffle was drawn. */
  rng: number[];
  epoch: number;
  /** Images of this epoch already handed out. */
  position: number;
}

export interface DataOrder {
  fill(target: Uint32Array): void;
  state(): DataOrderState;
}

export function createDataOrder(count: number, rng: Rng): DataOrder {
  return restoreDataOrder(count, { rng: rng.state(), epoch: 0, position: 0 });
}

export function restoreDataOrder(count: number, from: DataOrderState): DataOrder {
  if (from.position > count) throw new Error(`data order: position ${from.position} is past the ${count} images of an epoch`);
  let epochStart = from.rng.slice();
  const rng = rngFromState(epochStart);
  let perm = permutation(count, rng);
  let { epoch, position } = from;
  return {
    fill(target) {
      for (let i = 0; i < target.length; i++) {
        if (position === count) {
          epochStart = rng.state();
          perm = permutation(count, rng);
          position = 0;
          epoch += 1;
        }
        target[i] = perm[position++];
      }
    },
    state: () => ({ rng: epochStart.slice(), epoch, position }),
  };
}
