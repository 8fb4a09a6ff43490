// The train CLI as a child process, for the tests of resume and schedules: its --json events as they come
// (a callback may kill it), its stderr, and how it ended.
import { type ChildProcess, spawn } from 'node:child_process';

export interface CliRun { status: number | null; signal: NodeJS.Signals | null; events: Record<string, any>[]; stderr: string }

/** Runs `npm run train -- args` (with --json among them); `onEvent` sees each event and may kill the run.
 *  A run still going after 240 s is killed (a hang detector: these runs take seconds). */
export function trainCli(args: string[], onEvent?: (e: Record<string, any>, child: ChildProcess) => void): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/train.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, any>[] = [];
  let stderr = '';
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines.filter((l) => l.trim())) {
      events.push(JSON.parse(line));
      onEvent?.(events.at(-1)!, child);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve) => child.on('close', (status, signal) => {
    clearTimeout(timer);
    resolve({ status, signal, events, stderr });
  }));
}

/** The loss of every logged step, by step. */
export const stepLosses = (r: CliRun): Map<number, number> => new Map(r.events.filter((e) => e.event === 'step').map((e) => [e.step, e.loss]));
