// Start, pause, resume, reset, downloads and load: which are enabled follows the run's state alone.
import type { RunState } from '../protocol.ts';
import { byId } from './dom.ts';

export interface ControlHandlers {
  start(): void;
  pause(): void;
  resume(): void;
  reset(): void;
  download(): void;
  downloadCheckpoint(): void;
  load(file: File): void;
}

export interface Controls {
  setState(state: RunState, hasModel: boolean, formValid: boolean): void;
}

export function createControls(h: ControlHandlers): Controls {
  const button = (id: string): HTMLButtonElement => byId<HTMLButtonElement>(id);
  const file = byId<HTMLInputElement>('file-input');
  button('btn-start').addEventListener('click', h.start);
  button('btn-pause').addEventListener('click', h.pause);
  button('btn-resume').addEventListener('click', h.resume);
  button('btn-reset').addEventListener('click', h.reset);
  button('btn-download').addEventListener('click', h.download);
  button('btn-download-checkpoint').addEventListener('click', h.downloadCheckpoint);
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    file.value = '';
    if (f) h.load(f);
  });
  return {
    setState(state, hasModel, formValid) {
      button('btn-start').disabled = state !== 'idle' || !formValid;
      button('btn-pause').disabled = state !== 'running';
      button('btn-resume').disabled = state !== 'paused';
      button('btn-reset').disabled = state === 'loading' || state === 'idle';
      button('btn-download').disabled = !hasModel || state === 'failed';
      button('btn-download-checkpoint').disabled = !hasModel || state === 'failed';
      file.disabled = state === 'loading' || state === 'tuning';
      document.querySelector('label[for="file-input"]')?.setAttribute('aria-disabled', String(file.disabled));
    },
  };
}
