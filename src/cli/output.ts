// How the CLI talks: text for people (a progress bar on a terminal), JSON lines for programs, and
// errors as one clear message (a stack trace only for bugs, or with DEBUG set).
import { UserError } from '../user-error.ts';
import { type AdapterDescription, adapterLabel } from '../gpu/device.ts';

export interface Reporter {
  /** A line for people (suppressed in JSON mode). */
  say(line: string): void;
  /** One JSON object per line (JSON mode only). */
  event(e: Record<string, unknown>): void;
  /** Redraws the progress bar (terminal only). */
  progress(done: number, total: number, samplesPerSec: number, etaSec: number): void;
  json: boolean;
}

/** "H=128" for one layer, "layers=128,64" for a stack: how the CLIs name a model's layers. */
export const modelLayers = (m: { layers: number[] }): string => (m.layers.length === 1 ? `H=${m.layers[0]}` : `layers=${m.layers.join(',')}`);

export function createReporter(json: boolean): Reporter {
  // scripts/quiet-dawn.mjs filters our stderr through a pipe and says when it ends at a terminal.
  const tty = !json && (process.stderr.isTTY === true || process.env.WEBGPU_LSTM_STDERR_TTY === '1');
  let barShown = false;
  const clearBar = (): void => {
    if (barShown) process.stderr.write('\r\x1b[2K');
    barShown = false;
  };
  return {
    json,
    say(line) {
      if (json) return;
      clearBar();
      process.stdout.write(line + '\n');
    },
    event(e) {
      if (json) process.stdout.write(JSON.stringify(e) + '\n');
    },
    progress(done, total, rate, eta) {
      if (!tty) return;
      const width = 30;
      const filled = Math.round((width * done) / total);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      process.stderr.write(`\r\x1b[2K[${bar}] step ${done}/${total}  ${rate.toFixed(1)} samples/s  ETA ${formatSeconds(eta)}`);
      barShown = true;
      if (done === total) clearBar();
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function describeAdapterForUser(a: AdapterDescription): string[] {
  const lines = [`Adapter: ${adapterLabel(a)} (WebGPU in ${a.runtime === 'node' ? 'Node, Dawn' : 'the browser'})`];
  if (a.software) {
    lines.push('Warning: this is a software adapter (the CPU emulating a GPU); expect it to be orders of magnitude slower than a GPU.');
  }
  return lines;
}

/** Runs a CLI main: a UserError prints its message and exits 2; other errors print their message and exit 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(typeof process.exitCode === "number" ? process.exitCode : 0),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      if (err instanceof UserError) {
        process.stderr.write(`error: ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`error: ${err.message}\n`);
      if (process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
      else process.stderr.write('(set DEBUG=1 for the stack trace)\n');
      process.exit(1);
    },
  );
}
