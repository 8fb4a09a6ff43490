// Runs a TypeScript entry point (a CLI, the bench) in a child Node with Dawn's adapter-limit notices taken
// out of its stderr: `node scripts/quiet-dawn.mjs src/cli/train.ts --steps 10`.
//
// Dawn (npm webgpu 0.6.2) prints "Warning: maxDynamic{Uniform,Storage}BuffersPerPipelineLayout artificially
// reduced from 1000000 to 16 ..." from native code (fprintf to fd 2) each time it opens lavapipe's adapter,
// whatever limits a device then requests; it has no flag or callback to silence it, and Node cannot
// redirect its own fd 2. So the child's stderr goes through this filter, which removes exactly those two
// lines and passes everything else on at once (the progress bar included: WEBGPU_LSTM_STDERR_TTY tells the
// child that stderr is a terminal). stdin and stdout are the child's own; Ctrl-C reaches the child (it
// checkpoints and exits 130) and its exit status is ours.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The notice's lines, whatever stands before them (a test reporter's "# " or "ℹ "). */
export const dawnNotice = /^[^\n]*Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?\n/gm;

/** A writer that passes text on without the notice, a whole line at a time (for output with no progress
 *  bar, whose chunks may split a line). */
export function withoutNotice(write) {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk;
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      if (cut > 0) write(text.slice(0, cut).replace(dawnNotice, ''));
    },
    end() {
      if (rest) write(rest);
      rest = '';
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [entry, ...rest] = process.argv.slice(2);
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...rest], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, ...(process.stderr.isTTY ? { WEBGPU_LSTM_STDERR_TTY: '1' } : {}) },
  });
  child.stderr.setEncoding('utf8').on('data', (text) => process.stderr.write(text.replace(dawnNotice, '')));
  // A terminal's Ctrl-C reaches the whole foreground process group, the child too: it handles it (a second
  // SIGINT from us would make it quit before checkpointing), so we only wait. Other signals are passed on.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('close', (code, signal) => process.exit(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
}
