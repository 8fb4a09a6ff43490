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
  /** The next batch's item numbers; true when the batch starts an epoch (the run's first batch included). */
  fill(target: Uint32Array): boolean;
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
      const starts = position === 0 || position === count;
      for (let i = 0; i < target.length; i++) {
        if (position === count) {
          epochStart = rng.state();
          perm = permutation(count, rng);
          position = 0;
          epoch += 1;
        }
        target[i] = perm[position++];
      }
      return starts;
    },
    state: () => ({ rng: epochStart.slice(), epoch, position }),
  };
}

/**
 * A stateful language model's order (truncated BPTT): the `count` windows of the stream are cut into
 * `batch` contiguous tracks of W = floor(count / batch) windows, and batch row b reads its track's windows
 * in order, so that step w of an epoch gives row b window b*W + w; an epoch is W steps (the windows past
 * batch*W are left out). No shuffle: the state carried along a track needs the text in order. Its state is
 * the epoch and the position w (rng stays empty).
 */
export function restoreTrackOrder(count: number, batch: number, from: DataOrderState): DataOrder {
  const perTrack = Math.floor(count / batch);
  if (perTrack < 1) throw new Error(`track order: ${count} windows make no track of one window for each of ${batch} batch rows`);
  if (from.position > perTrack) throw new Error(`track order: position ${from.position} is past the ${perTrack} windows of a track`);
  let { epoch, position } = from;
  return {
    fill(target) {
      if (target.length !== batch) throw new Error(`track order: a batch of ${target.length}, made for ${batch}`);
      if (position === perTrack) {
        position = 0;
        epoch += 1;
      }
      for (let b = 0; b < batch; b++) target[b] = b * perTrack + position;
      position += 1;
      return position === 1;
    },
    state: () => ({ rng: [], epoch, position }),
  };
}

/** Where a stateful run starts: epoch 0, position 0. */
export const trackOrderStart: DataOrderState = { rng: [], epoch: 0, position: 0 };
