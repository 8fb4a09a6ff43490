// writeFileAtomic and readFileChecked: replace, failures that leave the previous file and no temporary file
// behind, and a writer killed with SIGKILL at random moments, which must leave a complete old or new file.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFileChecked, writeFileAtomic } from '../../src/io/atomic-file.ts';
import { UserError } from '../../src/user-error.ts';
import { asRoot } from '../support/skip.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

async function rejectsUserError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

const text = (s: string) => new TextEncoder().encode(s);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tempFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));

describe('writeFileAtomic', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-file-test-'));
  });
  after(async () => {
    await chmod(dir, 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  test('writes a new file, then replaces it, leaving nothing else', async () => {
    const target = join(dir, 'a.ckpt');
    await writeFileAtomic(target, text('first'));
    assert.equal(await readFile(target, 'utf8'), 'first');
    await writeFileAtomic(target, text('second, longer'));
    assert.equal(await readFile(target, 'utf8'), 'second, longer');
    await writeFileAtomic(target, new Uint8Array(0));
    assert.equal((await readFile(target)).length, 0, 'an empty write should leave an empty file');
    const view = text('xxpayloadyy').subarray(2, 9);
    await writeFileAtomic(target, view);
    assert.equal(await readFile(target, 'utf8'), 'payload', 'only the bytes of the view should be written');
    assert.deepEqual(await readdir(dir), ['a.ckpt']);
  });

  test('a long file name still fits its temporary name', async () => {
    const target = join(dir, `${'n'.repeat(250)}.ckpt`);
    await writeFileAtomic(target, text('long'));
    assert.equal(await readFile(target, 'utf8'), 'long');
    await rm(target);
  });

  test('a missing directory: a UserError naming the path and the reason', async () => {
    const target = join(dir, 'no-such-dir', 'a.ckpt');
    await rejectsUserError(
      writeFileAtomic(target, text('x')),
      new RegExp(`^cannot write ${escape(target)}: the directory ${escape(join(dir, 'no-such-dir'))} does not exist; create it or choose another\\.`),
    );
  });

  test('a path that is a directory: refused, the directory untouched, no temporary file left', async () => {
    const target = join(dir, 'is-a-dir');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'keep me');
    await rejectsUserError(writeFileAtomic(target, text('x')), new RegExp(`^cannot write ${escape(target)}: .*directory`));
    assert.equal(await readFile(join(target, 'inside'), 'utf8'), 'keep me');
    assert.deepEqual(await tempFiles(dir), [], 'a temporary file was left behind');
    await rm(target, { recursive: true });
  });

  test('a path through a file: ENOTDIR as a UserError', async () => {
    const file = join(dir, 'plain');
    await writeFile(file, 'plain');
    await rejectsUserError(writeFileAtomic(join(file, 'a.ckpt'), text('x')), /a part of the path is a file, not a directory/);
    assert.equal(await readFile(file, 'utf8'), 'plain');
    await rm(file);
  });

  test('a write that fails after the temporary file is made: the previous file intact, no temporary file left', async () => {
    const target = join(dir, 'kept.ckpt');
    await writeFileAtomic(target, text('previous'));
    // Not bytes: the write itself throws, after the temporary file was created. A bug, so not a UserError.
    await assert.rejects(writeFileAtomic(target, 42 as unknown as Uint8Array), (e: unknown) => {
      assert.ok(e instanceof Error && !(e instanceof UserError), `expected the original error, got ${String(e)}`);
      return true;
    });
    assert.equal(await readFile(target, 'utf8'), 'previous');
    assert.deepEqual(await tempFiles(dir), [], 'a temporary file was left behind');
    await rm(target);
  });

  test('an unwritable directory: refused, the previous file intact, no temporary file left', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip(asRoot('root ignores directory permissions'));
      return;
    }
    const sub = join(dir, 'read-only');
    await mkdir(sub);
    const target = join(sub, 'a.ckpt');
    await writeFileAtomic(target, text('previous'));
    await chmod(sub, 0o555);
    try {
      await rejectsUserError(writeFileAtomic(target, text('next')), /permission denied\. The previous a\.ckpt, if any, is unchanged\./);
    } finally {
      await chmod(sub, 0o755);
    }
    assert.equal(await readFile(target, 'utf8'), 'previous');
    assert.deepEqual(await readdir(sub), ['a.ckpt']);
  });

  test('killed with SIGKILL at random moments: always the old or the new complete file, never a torn one', async (t) => {
    const size = 16 * 2 ** 20;
    const content = (k: number) => {
      const b = new Uint8Array(size).fill((k * 37 + 11) & 255);
      new DataView(b.buffer).setUint32(0, k, true);
      return b;
    };
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const target = join(dir, 'killed.ckpt');
    const child = join(dir, 'writer.mts');
    const moduleUrl = new URL('../../src/io/atomic-file.ts', import.meta.url).href;
    await writeFile(
      child,
      `import { writeFileAtomic } from ${JSON.stringify(moduleUrl)};
const [target, size, start] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
const b = new Uint8Array(size as number); // reused, so that the writer spends its time writing
for (let k = start as number; ; k++) {
  b.fill((k * 37 + 11) & 255);
  new DataView(b.buffer).setUint32(0, k, true);
  await writeFileAtomic(target as string, b);
  process.stdout.write(k + '\\n');
}
`,
    );
    await writeFileAtomic(target, content(0));
    let last = 0;
    let midWrite = 0;
    const kills: string[] = [];
    // At least 4 kills; more (up to 10) until 2 have landed mid-write, the window that matters. A count of
    // rounds, not a deadline: a round took about 1.1 s on a loaded 2-core machine, mostly the writer's start.
    for (let round = 0; round < 10 && (round < 4 || midWrite < 2); round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, target, String(size), String(last + 1)], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let reported = last;
      let stderr = '';
      proc.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
      const firstWrite = new Promise<void>((resolve, reject) => {
        // Only against a hung writer: its start and first write took about 1 s here.
        const timer = setTimeout(() => reject(new Error(`the writer reported no write within 60 s; stderr: ${stderr}`)), 60_000);
        let pending = '';
        proc.stdout.on('data', (d: Buffer) => {
          const lines = (pending + d.toString()).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) reported = Number(line);
          clearTimeout(timer);
          resolve();
        });
        proc.on('exit', (code) => reject(new Error(`the writer exited (${code}) before writing; stderr: ${stderr}`)));
      });
      try {
        await firstWrite;
        await new Promise((r) => setTimeout(r, Math.random() * 300));
      } finally {
        proc.kill('SIGKILL');
        await exited;
      }
      const bytes = await readFile(target);
      assert.equal(bytes.length, size, `round ${round}: torn file of ${bytes.length} bytes`);
      const k = bytes.readUInt32LE(0);
      assert.ok(k >= reported && k <= reported + 1, `round ${round}: the file holds write ${k}, but the writer had finished write ${reported}`);
      assert.equal(sha(bytes), sha(content(k)), `round ${round}: the file's content is not write ${k}'s: torn`);
      const temps = await tempFiles(dir);
      if (temps.length > 0) midWrite++;
      for (const temp of temps) await rm(join(dir, temp)); // left by the kill; safe to delete
      kills.push(`${reported}->${k}${temps.length > 0 ? '*' : ''}`);
      last = k;
    }
    t.diagnostic(`${kills.length} kills, ${midWrite} mid-write (reported write -> write found; * = killed mid-write, temporary file left): ${kills.join(' ')}`);
    assert.ok(kills.length >= 4, `only ${kills.length} kills happened`);
    // The writer spends nearly all its time inside writeFileAtomic (4 of 4 kills landed mid-write here), so a
    // slower machine only widens the window.
    assert.ok(midWrite >= 1, `no kill landed mid-write in ${kills.length} tries, so the test proved nothing`);
  });
});

describe('readFileChecked', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'read-checked-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('reads the bytes of a file', async () => {
    await writeFile(join(dir, 'f'), 'abc');
    const bytes = await readFileChecked(join(dir, 'f'), 'checkpoint');
    assert.ok(bytes instanceof Uint8Array, 'not a Uint8Array');
    assert.deepEqual([...bytes], [97, 98, 99]);
  });

  test('a missing file or a directory: a UserError naming what, the path and the reason', async () => {
    const missing = join(dir, 'missing.ckpt');
    await rejectsUserError(readFileChecked(missing, 'checkpoint'), new RegExp(`^cannot read the checkpoint ${escape(missing)}: there is no such file; check the path\\.$`));
    await rejectsUserError(readFileChecked(dir, 'checkpoint'), new RegExp(`^cannot read the checkpoint ${escape(dir)}: it is a directory; give a file name\\.$`));
  });
});
