// The page's Text task in headless Chromium (SwiftShader): a small text chosen as a file trains a tiny
// character-level language model; the loss (in bits per character) falls, the samples shown at each
// validation change as it learns, Sample now follows the temperature slider and the prime, a prime outside
// the vocabulary is refused where the sample would be; pause and resume, a lost GPU device and a reload
// (the checkpoint in the browser keeps its text) go on as for digits; the downloaded model is a text model
// that `npm run sample` writes with.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { artifactsDir, repoRoot, withBuiltPage } from './app-support/built-page.ts';
import { shownStep, waitForState, waitForStep } from './app-support/page-helpers.ts';

/** A few thousand characters of a small grammar's sentences. */
function sea(): string {
  const words = [['The', 'A'], ['whale', 'ship', 'sailor'], ['saw', 'left', 'sought'], ['the sea.', 'the harbour.', 'a white whale.']];
  const lines: string[] = [];
  for (let i = 0; i < 150; i++) lines.push(words.map((w, k) => w[(i * (k + 3) + (i >> k)) % w.length]).join(' '));
  return `${lines.join('\n')}\n`;
}

const small = { layers: '24', batch: '8', lr: '0.01', length: '400', validateEvery: '15', seed: '1', clipNorm: '0', seq: '16' };

test('the Text task, end to end', { timeout: 600_000 }, (t) => withBuiltPage(t, async ({ page, errors, url }) => {    const modelPath = join(artifactsDir, 'downloaded-text-model.safetensors');
    let pausedAt = 0;

    await t.test('the Text task shows its own fields and the Write card instead of the drawing', async () => {
      await waitForState(page, 'idle', 90_000);
      assert.ok(await page.locator('#draw').isVisible() && !(await page.locator('#write').isVisible()), 'digits: the drawing');
      await page.selectOption('#f-task', 'text');
      assert.ok(await page.locator('#write').isVisible() && !(await page.locator('#draw').isVisible()), 'text: the Write card');
      assert.match(await page.locator('#text-source').innerText(), /Moby-Dick/, 'the default text is named');
      const corpus = await page.evaluate(() => fetch('corpus/moby-dick.txt').then((r) => r.text()));
      assert.ok(corpus.length > 1_000_000 && corpus.includes('Call me Ishmael.'), `the built page serves the default text (${corpus.length} characters)`);
      await page.setInputFiles('#text-file', { name: 'sea.txt', mimeType: 'text/plain', buffer: Buffer.from(sea()) });
      assert.match(await page.locator('#text-source').innerText(), /^sea\.txt \(\d[\d,]* bytes\)/, 'the chosen file is named');
      for (const [field, value] of Object.entries(small)) await page.fill(`#f-${field}`, value);
      await page.fill('#f-seq', '0');
      assert.match(await page.locator('#f-seq-error').innerText(), /Sequence length: expected a whole number from 1 to 10,000/);
      await page.fill('#f-seq', small.seq);
      assert.equal(await page.locator('.field-error:visible').count(), 0);
    });

    await t.test('trains: the loss in bits per character falls and the samples change as it learns', async () => {
      await page.click('#btn-start');
      await waitForStep(page, 60, 240_000);
      await page.waitForFunction(() => window.lstmApp!.samples.length >= 3, undefined, { timeout: 120_000, polling: 200 });
      assert.match(await page.locator('#text-source').innerText(), /^sea\.txt: [\d,]+ characters in windows, \d+ distinct; \d+ training and \d+ validation windows/);
      assert.match(await page.locator('#chart-loss .u-title').innerText(), /bits per character/);
      assert.match(await page.locator('#s-loss').innerText(), /bits\/char$/);
      const { train, validation } = await page.evaluate(() => window.lstmApp!.history());
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const first = mean(train.slice(0, 3).map((p) => p.loss));
      const last = mean(train.slice(-3).map((p) => p.loss));
      assert.ok(last < first - 0.5, `the training loss falls: ${(first / Math.LN2).toFixed(2)} -> ${(last / Math.LN2).toFixed(2)} bits/char`);
      assert.ok(validation.length >= 3 && validation.at(-1)!.loss < validation[0].loss, 'the validation loss falls');
      // Read together: training goes on, and a new sample may arrive between two reads.
      const { samples, shown } = await page.evaluate(() => ({ samples: window.lstmApp!.samples, shown: document.getElementById('sample-text')!.textContent }));
      assert.ok(new Set(samples.map((s) => s.text)).size === samples.length, 'each sample differs from the ones before');
      assert.ok(samples.every((s) => s.text.startsWith('The ')), 'each starts with its prime');
      assert.equal(shown, samples.at(-1)!.text, 'the panel shows the latest');
      t.diagnostic(`sample at step ${samples.at(-1)!.step}: ${JSON.stringify(samples.at(-1)!.text.slice(0, 80))}`);
    });

    await t.test('pauses; Sample now follows the temperature and prime; a prime outside the vocabulary is refused', async () => {
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 60_000);
      pausedAt = await shownStep(page);
      await page.waitForFunction((s) => window.lstmApp?.checkpoint?.step === s, pausedAt, { timeout: 30_000 });
      const before = await page.evaluate(() => window.lstmApp!.samples.length);
      await page.locator('#f-temperature').fill('0.3');
      await page.fill('#f-prime', 'The ship');
      await page.locator('#f-prime').dispatchEvent('change');
      await page.click('#btn-sample');
      await page.waitForFunction((n) => window.lstmApp!.samples.length > n, before, { timeout: 20_000 }).catch(async (e) => {
        throw new Error(`${e.message}; banners: ${await page.locator('#banners').innerText()}; errors: ${errors.join(' | ')}; sample-error ${await page.locator('#sample-error').innerText()}; state ${await page.evaluate(() => window.lstmApp!.state)}; disabled ${await page.locator('#btn-sample').isDisabled()}`);
      });
      assert.match(await page.locator('#sample-step').innerText(), new RegExp(`At step ${pausedAt}, temperature 0\\.3, prime "The ship"`));
      assert.ok((await page.locator('#sample-text').innerText()).startsWith('The ship'));
      await page.fill('#f-prime', 'Zebra');
      await page.click('#btn-sample');
      await page.locator('#sample-error').waitFor({ state: 'visible', timeout: 30_000 });
      assert.match(await page.locator('#sample-error').innerText(), /the character "Z" .* is not in the model's vocabulary/);
      await page.fill('#f-prime', 'The ');
      await page.locator('#f-prime').dispatchEvent('change');
    });

    await t.test('downloads a text model that npm run sample writes with', async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-download')]);
      assert.match(download.suggestedFilename(), /^webgpu-lstm-text-h24-step\d+\.safetensors$/);
      await download.saveAs(modelPath);
      const { config, task, metadata } = loadModelBytes(new Uint8Array(await readFile(modelPath)), 'downloaded');
      assert.deepEqual([config.input, config.outputs, config.steps, task.name], ['tokens', 'every', 16, 'text']);
      assert.deepEqual(task.vocabulary, [...new Set(sea())].sort());
      assert.match(metadata.validation_bits_per_char, /^\d+\.\d{4}$/);
      const cli = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/sample.ts', '--model', modelPath, '--prime', 'The ', '--length', '40', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
      assert.equal(cli.status, 0, cli.stderr);
      assert.ok(JSON.parse(cli.stdout.trim()).text.startsWith('The '), 'npm run sample reads the page\'s model');
    });

    await t.test('after a reload, resumes the text run from the browser\'s checkpoint (its text kept), and recovers from a lost device', async () => {
      await page.goto(url);
      const banner = page.locator('[data-banner="resume"]');
      await banner.waitFor({ timeout: 60_000 });
      await banner.locator('button', { hasText: 'Resume training' }).click();
      await waitForState(page, 'running', 90_000);
      assert.equal(await page.locator('#f-task').inputValue(), 'text', 'the text task comes back');
      assert.match(await page.locator('#text-source').innerText(), /^sea\.txt:/, 'with its text');
      await waitForStep(page, pausedAt + 3, 90_000);
      const before = errors.length;
      const lostAfter = await shownStep(page);
      await page.evaluate(() => window.lstmApp!.simulateDeviceLoss());
      await page.waitForFunction(() => /Recovering/.test(document.querySelector('[data-banner="notice"]')?.textContent ?? ''), undefined, { timeout: 60_000, polling: 100 });
      await waitForStep(page, lostAfter + 3, 90_000);
      assert.equal(await page.evaluate(() => window.lstmApp!.state), 'running', 'it never stopped');
      const samples = await page.evaluate(() => window.lstmApp!.samples.length);
      await page.waitForFunction((n) => window.lstmApp!.samples.length > n, samples, { timeout: 120_000, polling: 200 });
      await page.screenshot({ path: join(artifactsDir, 'text-page.png') });
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 60_000);
      const logged = errors.splice(before);
      assert.ok(logged.every((e) => /device|lost|destroyed/i.test(e)), `only the device loss was logged: ${logged.join(' | ')}`);
    });

    await t.test('reset returns to an empty page with no console errors', async () => {
      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      assert.deepEqual(errors.filter((e) => !/device|lost|destroyed/i.test(e)), [], 'no console errors');
    });
}));
