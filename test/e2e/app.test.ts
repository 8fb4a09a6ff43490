// The built page in headless Chromium on its WebGPU (SwiftShader here): it loads without console errors,
// shows the adapter, refuses bad hyperparameters at the field, trains with the loss falling while the
// page stays responsive, pauses and resumes, shows GPU timings, predicts a drawn digit as the float64
// oracle does, downloads a model and a checkpoint (which the CLI continues), loads them back (and the
// CLI's), offers to resume after a reload, and recovers from a lost GPU device on a new one. The first start on a shape
// tunes the workgroup sizes and caches them in the browser; later starts use the cache. Screenshots of the trained
// page (and of the device-loss message) are kept in test/e2e/artifacts/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeCheckpoint } from '../../src/io/checkpoint.ts';
import { loadModelBytes } from '../../src/io/model-file.ts';
import { loadAnyModelBytes } from '../../src/io/load-model.ts';
import { toPytorchStateDict } from '../../src/io/pytorch.ts';
import { decodeSafetensors } from '../../src/io/safetensors.ts';
import { locateMnist, mnistFileNames } from '../../src/data/mnist.ts';
import { toFloat64 } from '../../src/reference/lstm.ts';
import { stackForward, stackParamsOf } from '../../src/reference/lstm-stack.ts';
import { artifactsDir, repoRoot, withBuiltPage } from './app-support/built-page.ts';
import { skipUnlessStrict } from '../support/skip.ts';
import {
  drawStroke, mainThreadLoad, settledProbabilities, seven, shownStep, waitForState, waitForStep,
} from './app-support/page-helpers.ts';

// Small enough for a software adapter: about 0.1 s per step here.
const small = { layers: '16,24', batch: '32', lr: '0.01', length: '1000', validateEvery: '20', seed: '1', clipNorm: '0' };

// A hang detector: the subtests took 56 s here quiet and 132 s beside four busy loops (2026-12-02).
test('the training page, end to end', { timeout: 600_000 }, (t) => withBuiltPage(t, async ({ page, errors, url }) => {
    let pausedAt = 0;
    let beforeDownload: number[] = [];
    let drawnPixels: number[] = [];
    let drawnHidden: number[] = [];
    const modelPath = join(artifactsDir, 'downloaded-model.safetensors');
    const checkpointPath = join(artifactsDir, 'page-checkpoint.safetensors');
    let checkpointStep = 0;

    await t.test('loads, shows the adapter and MNIST, and offers no checkpoint yet', async () => {
      await page.waitForSelector('#adapter dl', { timeout: 30_000 });
      const adapter = await page.locator('#adapter').innerText();
      assert.match(adapter, /Vendor\s+\S+/, `the adapter panel names a vendor: ${adapter}`);
      if ((await page.locator('#adapter').getAttribute('data-software')) === 'true') {
        assert.match(adapter, /Software adapter/, 'a software adapter is flagged as such');
      }
      await page.waitForFunction(() => /55,000 training/.test(document.getElementById('data-text')?.textContent ?? ''), undefined, { timeout: 60_000 });
      assert.equal(await page.locator('#data-progress').evaluate((p) => (p as HTMLProgressElement).value), 1, 'the MNIST progress bar is full');
      await waitForState(page, 'idle', 10_000);
      assert.equal(await page.locator('[data-banner="resume"]').count(), 0, 'a fresh browser has no checkpoint to offer');
      assert.equal(await page.locator('#f-layers').inputValue(), '128', 'the form defaults to the reference workload');
      assert.ok(await page.locator('#btn-start').isEnabled(), 'Start is enabled once the data is loaded');
    });

    await t.test('refuses invalid hyperparameters at the field', async () => {
      for (const [field, value, message] of [
        ['layers', 'abc', /LSTM layers: expected hidden sizes bottom first, separated by commas: 1 to 8 layers of 1 to 4,096 units/],
        ['layers', '0', /LSTM layers: expected hidden sizes/],
        ['layers', '128,,64', /LSTM layers: expected hidden sizes/],
        ['batch', '70000', /Batch size: expected a whole number from 1 to 65,536/],
        ['lr', '2', /Learning rate: expected a number greater than 0 and at most 1/],
        ['length', '-5', /Train for: expected a whole number/],
        ['clipNorm', '-1', /Clip gradient norm: expected 0 \(off\) or a number greater than 0/],
      ] as const) {
        await page.fill(`#f-${field}`, value);
        const error = page.locator(`#f-${field}-error`);
        assert.ok(await error.isVisible(), `${field}=${value} shows a message at the field`);
        assert.match(await error.innerText(), message, `${field}=${value}: the message says what is allowed`);
        assert.equal(await page.locator(`#f-${field}`).getAttribute('aria-invalid'), 'true', `${field}=${value} is marked invalid`);
        assert.ok(await page.locator('#btn-start').isDisabled(), `Start is refused while ${field}=${value}`);
        await page.fill(`#f-${field}`, '1');
      }
      for (const [field, value] of Object.entries(small)) await page.fill(`#f-${field}`, value);
      assert.equal(await page.locator('.field-error:visible').count(), 0, 'valid values show no message');
    });

    await t.test('before any model, a drawing asks for one', async () => {
      await drawStroke(page, seven);
      await page.waitForFunction(() => /Start training or load a model/.test(document.getElementById('prediction-headline')?.textContent ?? ''), undefined, { timeout: 10_000 });
      await page.click('#btn-clear');
    });

    await t.test('the first start on an adapter and shape tunes the workgroup sizes (a reset stops it); the next start uses this browser\'s cache', async () => {
      // The shape of the last subtest's short run, which so finds it cached.
      for (const [field, value] of Object.entries({ ...small, layers: '8', batch: '100', length: '3', validateEvery: '100' })) await page.fill(`#f-${field}`, value);
      assert.ok(await page.locator('#f-autotune').isChecked(), 'autotune is on by default');
      const statuses = () => page.evaluate(() => window.lstmApp!.tuning);
      await page.click('#btn-start');
      await waitForState(page, 'tuning', 30_000);
      assert.match(await page.locator('#s-tuning').innerText(), /^Tuning workgroup sizes for this adapter…/, 'the page says it is tuning');
      // The page's own main-thread tasks (mainThreadLoad): none over 50 ms measured here, loaded or not, so
      // 400 ms holds 3x slower; a 600 ms stall on the main thread fails.
      const tuning = await mainThreadLoad(page, 1000);
      assert.ok(tuning.longestTask < 400, `the page's main thread never stalls while tuning (longest task ${tuning.longestTask.toFixed(0)} ms)`);
      assert.ok(await page.locator('#btn-reset').isEnabled(), 'a tuning can be reset');
      assert.ok(await page.locator('#btn-start').isDisabled() && await page.locator('#f-autotune').isDisabled(), 'and nothing else started');
      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      assert.ok((await statuses()).every((s) => s.source === 'tuning'), 'a reset stops the tuning: no outcome, nothing cached');

      const began = Date.now();
      await page.click('#btn-start');
      await waitForState(page, 'done', 120_000);
      const seconds = (Date.now() - began) / 1000;
      const tuned = page.locator('#s-tuning');
      assert.equal(await tuned.getAttribute('data-source'), 'tuned', 'the first start tuned');
      assert.match(await tuned.innerText(), /^tuned: (\d+\.\d\dx faster than the defaults|defaults fastest) \(\d+ of 16 candidates in [\d.]+ s(; no time for [^)]*)?\)$/, 'and shows the outcome');
      t.diagnostic(`first start with tuning to done: ${seconds.toFixed(1)} s; ${await tuned.innerText()}`);

      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      const before = (await statuses()).length;
      await page.click('#btn-start');
      await waitForState(page, 'done', 120_000);
      const later = (await statuses()).slice(before);
      assert.deepEqual(later.map((s) => s.source), ['cached'], 'the second start tunes nothing: it uses the cached choice');
      assert.match(await tuned.innerText(), /^cached for this adapter: (\d+\.\d\dx faster than the defaults|defaults fastest)$/, 'and says so');
      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      // The runs below keep the defaults: their shapes would each be tuned.
      await page.uncheck('#f-autotune');
      for (const [field, value] of Object.entries(small)) await page.fill(`#f-${field}`, value);
    });

    await t.test('trains at least 20 steps with the loss falling, and the page stays responsive', async () => {
      await page.click('#btn-start');
      await waitForState(page, 'running', 60_000);
      await waitForStep(page, 3, 60_000);
      // As while tuning: the page's own tasks. Measured on a loaded 2-core machine: none over 50 ms while
      // training (timer gaps 17-35 ms), so 3x slower stays far under 400 ms; a 600 ms stall fails.
      const training = await mainThreadLoad(page, 1500);
      assert.ok(training.longestTask < 400, `the page's main thread never stalls while training (longest task ${training.longestTask.toFixed(0)} ms, ${training.longTasks} over 50 ms)`);
      t.diagnostic(`while training: longest main-thread task ${training.longestTask.toFixed(0)} ms (${training.longTasks} over 50 ms), longest timer gap ${training.longestGap.toFixed(0)} ms`);
      await waitForStep(page, 25, 120_000);
      const history = await page.evaluate(() => window.lstmApp!.history());
      assert.ok(history.train.length >= 5, `loss reported at several steps (${history.train.length})`);
      // Minibatch losses are noisy: compare the means over the first 5 steps and over steps 16 and later.
      const early = mean(history.train.filter((p) => p.step <= 5).map((p) => p.loss));
      const late = mean(history.train.filter((p) => p.step > 15).map((p) => p.loss));
      const shown = history.train.map((p) => `${p.step}:${p.loss.toFixed(2)}`).join(' ');
      assert.ok(late < 0.85 * early, `the loss falls: mean ${early.toFixed(3)} over steps 1-5, ${late.toFixed(3)} from step 16 (${shown})`);
      t.diagnostic(`minibatch losses: ${shown}`);
      assert.ok(history.validation.length >= 1, 'validation accuracy is measured at step 20');
      assert.match(await page.locator('#s-validation').innerText(), /^\d+\.\d\d%$/, 'validation accuracy is shown');
      for (const id of ['#s-rate', '#s-ms', '#s-elapsed']) assert.match(await page.locator(id).innerText(), /\d/, `${id} shows a number`);
      assert.ok(await page.locator('#chart-loss canvas').count() > 0, 'the loss chart is drawn');
    });

    await t.test('shows the GPU time of each phase, or says why it cannot', async () => {
      await page.waitForSelector('#timings-body table, #timings-unavailable', { timeout: 30_000 });
      const timestamps = /Timestamp queries\s+yes/.test(await page.locator('#adapter').innerText());
      if (timestamps) {
        const rows = await page.$$eval('#timings-body tr[data-phase]', (trs) => trs.map((tr) => [(tr as HTMLElement).dataset.phase, tr.querySelector('.ms')!.textContent]));
        assert.deepEqual(rows.map((r) => r[0]), ['forward', 'loss', 'backward', 'weightGradients', 'optimizer'], 'one row per phase');
        const total = rows.reduce((s, r) => s + Number.parseFloat(r[1]!), 0);
        assert.ok(total > 0, `the phases took some GPU time (${rows.map((r) => r.join(' ')).join(', ')})`);
      } else {
        assert.match(await page.locator('#timings-unavailable').innerText(), /timestamp-query/, 'the page says timestamp-query is missing');
      }
    });

    await t.test('pauses and resumes', async () => {
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 60_000);
      const paused = await shownStep(page);
      await page.waitForTimeout(1500);
      assert.equal(await shownStep(page), paused, 'no steps while paused');
      await page.waitForFunction((s) => window.lstmApp?.checkpoint?.step === s, paused, { timeout: 30_000 });
      await page.click('#btn-resume');
      await waitForState(page, 'running', 10_000);
      await waitForStep(page, paused + 3, 60_000);
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 60_000);
      pausedAt = await shownStep(page);
      await page.waitForFunction((s) => window.lstmApp?.checkpoint?.step === s, pausedAt, { timeout: 30_000 });
    });

    await t.test('a drawn digit gets probabilities that sum to 1 and a heatmap of the hidden state', async () => {
      await drawStroke(page, seven);
      const p = await settledProbabilities(page);
      beforeDownload = p;
      drawnHidden = await page.evaluate(() => window.lstmApp!.lastPrediction!.hidden);
      const sum = p.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-9, `probabilities sum to 1 (${sum})`);
      assert.ok(p.every((x) => x >= 0 && x <= 1), 'each probability lies in [0, 1]');
      const heat = await page.locator('#hidden-heatmap').evaluate((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) coloured++;
        return { width: canvas.width, height: canvas.height, coloured };
      });
      assert.deepEqual([heat.width, heat.height], [24, 28], 'the heatmap has one column per unit and one row per step');
      assert.ok(heat.coloured > 24 * 28 * 0.25, `the heatmap shows the hidden state (${heat.coloured} coloured cells)`);
      const ink = await page.locator('#input-preview').evaluate((c) => {
        const canvas = c as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, 28, 28).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] > 0) n++;
        return n;
      });
      assert.ok(ink > 20, `the 28x28 input shows the drawing (${ink} lit pixels)`);
      drawnPixels = await page.locator('#input-preview').evaluate((c) => {
        const data = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
        return Array.from({ length: 28 * 28 }, (_, i) => data[4 * i]);
      });
      await page.screenshot({ path: join(artifactsDir, 'trained-page.png'), fullPage: true });
    });

    await t.test('downloads the model and the checkpoint as the CLI\'s files; the page\'s prediction is the oracle\'s', async () => {
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#btn-download')]);
      assert.match(download.suggestedFilename(), /\.safetensors$/, 'the file is a .safetensors');
      await download.saveAs(modelPath);
      const { config, metadata, params } = loadModelBytes(new Uint8Array(await readFile(modelPath)), modelPath);
      assert.deepEqual(config, { steps: 28, inputSize: 28, layers: [16, 24], classes: 10, forgetBias: 1 }, 'the model file holds the trained stack');
      assert.equal(metadata.steps, String(pausedAt), 'the model file records its steps');
      assert.equal(metadata.batch, '32', 'and its batch');
      const [saved] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#btn-download-checkpoint')]);
      await saved.saveAs(checkpointPath);
      const state = decodeCheckpoint(new Uint8Array(await readFile(checkpointPath)), checkpointPath);
      assert.equal(state.step, pausedAt, 'the checkpoint holds the step');
      assert.deepEqual(state.options, { batch: 32, lr: 0.01, seed: 1, clipNorm: 0 }, 'and the options');
      checkpointStep = state.step;
      // The page's prediction of the drawing, made with these weights, is the float64 oracle's.
      const x = Float64Array.from(drawnPixels, (v) => Math.fround(v / 255));
      const ref = stackForward(config, stackParamsOf(config, toFloat64(params)), x, [0], 1);
      for (let i = 0; i < 10; i++) {
        assert.ok(Math.abs(beforeDownload[i] - ref.probs[i]) <= 1e-5, `digit ${i}: page ${beforeDownload[i]}, oracle ${ref.probs[i]}`);
      }
      const H = config.layers.at(-1)!; // the heatmap shows the top layer
      const top = ref.layers.at(-1)!;
      for (let i = 0; i < 28 * H; i++) {
        const want = top.h[H + i]; // h[1..T]: the oracle's step 0 is the zero state
        assert.ok(Math.abs(drawnHidden[i] - want) <= 1e-5 + 1e-4 * Math.abs(want), `h at step ${Math.floor(i / H) + 1}, unit ${i % H}: page ${drawnHidden[i]}, oracle ${want}`);
      }
    });

    await t.test('after a reload, offers to resume from the checkpoint', async () => {
      await page.goto(url);
      const banner = page.locator('[data-banner="resume"]');
      await banner.waitFor({ timeout: 30_000 });
      assert.match(await banner.innerText(), new RegExp(`step ${pausedAt} of 1,000`), 'the offer names the checkpoint\'s step');
      await banner.locator('button', { hasText: 'Resume training' }).click();
      await waitForState(page, 'running', 90_000);
      const history = await page.evaluate(() => window.lstmApp!.history());
      assert.ok(history.train.some((p) => p.step < pausedAt), 'the charts come back with the run');
      assert.equal(await page.locator('#f-layers').inputValue(), '16,24', 'the run\'s hyperparameters come back');
      await waitForStep(page, pausedAt + 2, 60_000);
    });

    await t.test('a lost GPU device is shown in the page, and training recovers on a new device from the last checkpoint', async () => {
      const before = errors.length;
      const lostAfter = await shownStep(page); // the device is lost at this step or a later one
      await page.evaluate(() => window.lstmApp!.simulateDeviceLoss());
      await page.waitForFunction(() => /Recovering/.test(document.querySelector('[data-banner="notice"]')?.textContent ?? ''), undefined, { timeout: 60_000, polling: 100 });
      const text = await page.locator('[data-banner="notice"]').innerText();
      assert.match(text, /GPU device lost/, `the page says the device was lost: ${text}`);
      const said = /Recovering \(1 of at most 3\): new device, resuming from the checkpoint of step (\d+)/.exec(text);
      assert.ok(said, `the page says it resumes from the checkpoint: ${text}`);
      const from = Number(said[1]);
      // The run resumed from the checkpoint saved in this browser (step pausedAt) or one saved on its 20 s timer since.
      assert.ok(from >= pausedAt, `resumed from the checkpoint of step ${from}, saved at or after step ${pausedAt}`);
      await page.screenshot({ path: join(artifactsDir, 'device-lost-page.png') });
      // It trains on without stopping: past the step where the device was lost, with no error and no click.
      await waitForStep(page, lostAfter + 3, 90_000);
      assert.equal(await page.evaluate(() => window.lstmApp!.state), 'running', 'it never stopped');
      assert.equal(await page.locator('[data-banner="training"]').count(), 0, 'no training error was shown');
      // The loss chart gets a point at the stats cadence, which can trail the step counter under load.
      await page.waitForFunction((s) => (window.lstmApp!.history().train.at(-1)?.step ?? 0) > s, lostAfter, { timeout: 90_000, polling: 200 });
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 60_000);
      const pausedNow = await shownStep(page);
      await page.waitForFunction((s) => window.lstmApp?.checkpoint?.step === s, pausedNow, { timeout: 30_000 });
      // The charts went back to the checkpoint with the run: every step once, in order, past the loss.
      const steps = (await page.evaluate(() => window.lstmApp!.history())).train.map((p) => p.step);
      assert.ok(steps.every((s, k) => k === 0 || s > steps[k - 1]), `the loss chart's steps rise, none twice: ${steps.join(',')}`);
      assert.ok(steps.at(-1)! > lostAfter, `steps after the loss are charted (last ${steps.at(-1)})`);
      const logged = errors.splice(before);
      t.diagnostic(`logged around the device loss: ${logged.join(' | ')}`);
      assert.ok(logged.every((e) => /device|lost|destroyed/i.test(e)), `only the device loss was logged: ${logged.join(' | ')}`);
    });

    await t.test('loads the downloaded model back: the same drawing gets the same probabilities', async () => {
      await page.setInputFiles('#file-input', modelPath);
      await page.waitForFunction(() => /Loaded downloaded-model/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      await waitForState(page, 'paused', 10_000);
      assert.equal(await shownStep(page), pausedAt, 'the step counter continues from the file\'s steps');
      await page.click('#btn-clear');
      await drawStroke(page, seven);
      const p = await settledProbabilities(page);
      for (let i = 0; i < 10; i++) {
        assert.ok(Math.abs(p[i] - beforeDownload[i]) < 1e-6, `digit ${i}: ${p[i]} after loading, ${beforeDownload[i]} before downloading`);
      }
    });

    await t.test('downloads the model as a PyTorch state_dict (loads back to the same probabilities), ONNX (ONNX Runtime runs it) and Keras weights; loads files PyTorch and Keras write', async () => {
      await page.selectOption('#download-format', 'pytorch');
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#btn-download')]);
      assert.match(download.suggestedFilename(), /^webgpu-lstm-h16-24-step\d+\.pt\.safetensors$/);
      const ptPath = join(artifactsDir, 'downloaded-model.pt.safetensors');
      await download.saveAs(ptPath);
      const ours = loadModelBytes(new Uint8Array(await readFile(modelPath)), 'ours');
      const { tensors } = decodeSafetensors(new Uint8Array(await readFile(ptPath)), 'pt');
      assert.deepEqual(tensors, toPytorchStateDict(ours.config, ours.params), 'the file is the state_dict of the model the page holds');

      await page.setInputFiles('#file-input', ptPath);
      await page.waitForFunction(() => /Loaded downloaded-model\.pt/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      await waitForState(page, 'paused', 10_000);
      await page.click('#btn-clear');
      await drawStroke(page, seven);
      const p = await settledProbabilities(page);
      // The forget bias folded into bias_ih rounds once in float32: probabilities move by about 1e-7.
      for (let i = 0; i < 10; i++) assert.ok(Math.abs(p[i] - beforeDownload[i]) < 1e-5, `digit ${i}: ${p[i]} from the state_dict, ${beforeDownload[i]} before`);

      // As ONNX: ONNX Runtime runs the download on MNIST test images to the float64 oracle's logits of the same model.
      await page.selectOption('#download-format', 'onnx');
      const [onnxDownload] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click('#btn-download')]);
      assert.match(onnxDownload.suggestedFilename(), /^webgpu-lstm-h16-24-step\d+\.onnx$/);
      const onnxPath = join(artifactsDir, 'downloaded-model.onnx');
      await onnxDownload.saveAs(onnxPath);
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(new Uint8Array(await readFile(onnxPath)), { logSeverityLevel: 3 });
      const N = 8;
      const pixels = (await readFile(join(locateMnist(), mnistFileNames.testImages))).subarray(16, 16 + N * 784);
      const x = Float32Array.from(pixels, (v) => v / 255); // (N, 28, 28) batch first, as ONNX takes it
      const { logits } = await session.run({ input: new ort.Tensor('float32', x, [N, 28, 28]) });
      const timeMajor = new Float64Array(N * 784);
      for (let b = 0; b < N; b++) for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) timeMajor[(r * N + b) * 28 + c] = x[b * 784 + r * 28 + c];
      const oracle = stackForward(ours.config, stackParamsOf(ours.config, toFloat64(ours.params)), timeMajor, new Uint8Array(N), N).logits;
      const got = logits.data as Float32Array;
      oracle.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-4 * Math.max(1, Math.abs(v)), `logit ${i}: ONNX Runtime ${got[i]}, oracle ${v}`));

      // As Keras: a Keras 3 .weights.h5 that reads back to the same model.
      await page.selectOption('#download-format', 'keras');
      const [kerasDownload] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#btn-download')]);
      assert.match(kerasDownload.suggestedFilename(), /^webgpu-lstm-h16-24-step\d+\.weights\.h5$/);
      const kerasPath = join(artifactsDir, 'downloaded-model.weights.h5');
      await kerasDownload.saveAs(kerasPath);
      const fromKeras = await loadAnyModelBytes(new Uint8Array(await readFile(kerasPath)), 'keras');
      assert.deepEqual(fromKeras.config.layers, ours.config.layers);
      const refolded = toPytorchStateDict(fromKeras.config, fromKeras.params); // both forget biases folded: comparable
      for (const [name, t] of Object.entries(toPytorchStateDict(ours.config, ours.params))) {
        assert.deepEqual([...refolded[name].data], [...t.data], `${name} survives the Keras file`);
      }
      // And a Keras 2 model file loads (h5wasm, fetched by the worker only for HDF5 files).
      await page.setInputFiles('#file-input', join(repoRoot, 'test/fixtures/keras/keras2-lstm.h5'));
      await page.waitForFunction(() => /Loaded keras2-lstm\.h5/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      await waitForState(page, 'paused', 10_000);
      await page.click('#btn-clear');
      await drawStroke(page, seven);
      const pk = await settledProbabilities(page);
      assert.ok(Math.abs(pk.reduce((a, b) => a + b, 0) - 1) < 1e-6, 'the Keras model predicts');
      const before = errors.length;
      await page.setInputFiles('#file-input', join(repoRoot, 'test/fixtures/keras/keras2-gru.h5'));
      await page.waitForFunction(() => /keras2-gru\.h5: .*GRU/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      const refused = errors.splice(before);
      assert.ok(refused.length === 1 && /layer "gru" \(GRU\) is not a layer this engine runs/.test(refused[0]), `the refusal is the one error logged: ${refused.join(' | ')}`);

      await page.setInputFiles('#file-input', join(repoRoot, 'test/fixtures/pytorch/lstm2-f16.safetensors'));
      await page.waitForFunction(() => /Loaded lstm2-f16\.safetensors \(converted 10 tensors from float16 to float32 \(exact\)\): an LSTM of 2 layers of 6, 6 units/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      assert.equal(await page.locator('#f-layers').inputValue(), '6,6', 'the form takes the state_dict\'s layers');
      await page.selectOption('#download-format', 'webgpu-lstm');
    });

    await t.test('the CLI continues the page\'s checkpoint; the page loads what the CLI wrote', async (st) => {
      const cliModel = join(artifactsDir, 'cli-model.safetensors');
      const args = ['--import', 'tsx', 'src/cli/train.ts', '--resume', checkpointPath, '--steps', String(checkpointStep + 2), '--out', cliModel, '--no-tune'];
      const cli = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
      if (cli.status !== 0 && /no adapter|no WebGPU/i.test(cli.stderr)) return skipUnlessStrict(st, `the CLI found no WebGPU adapter in Node: ${cli.stderr.trim()}`);
      assert.equal(cli.status, 0, `npm run train -- --resume exits 0: ${cli.stderr}`);
      assert.match(cli.stdout, new RegExp(`resuming at step ${checkpointStep}`), 'the CLI resumed the page\'s checkpoint');

      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      await page.fill('#f-layers', '64');
      await page.setInputFiles('#file-input', cliModel);
      await page.waitForFunction(() => /Loaded cli-model/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      assert.equal(await page.locator('#f-layers').inputValue(), '16,24', 'the form takes the file\'s layers');
      assert.equal(await page.locator('#f-batch').inputValue(), '32', 'and its batch');
      assert.equal(await shownStep(page), checkpointStep + 2, 'and counts on from its steps');
      await page.click('#btn-clear');
      await drawStroke(page, seven);
      const p = await settledProbabilities(page);
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'its probabilities sum to 1');

      // The checkpoint the CLI wrote on (it keeps checkpointing to --resume's file) continues here exactly.
      await page.setInputFiles('#file-input', checkpointPath);
      await page.waitForFunction(() => /Loaded the checkpoint/.test(document.getElementById('banners')?.textContent ?? ''), undefined, { timeout: 60_000 });
      assert.equal(await shownStep(page), checkpointStep + 2, 'the CLI\'s checkpoint is at its last step');
      await page.click('#btn-resume');
      await waitForStep(page, checkpointStep + 3, 60_000);
      await page.click('#btn-pause');
      await waitForState(page, 'paused', 60_000);
    });

    await t.test('a short run finishes with the test-set accuracy; reset clears it', async () => {
      await page.click('#btn-reset');
      await waitForState(page, 'idle', 30_000);
      for (const [field, value] of Object.entries({ layers: '8', batch: '100', length: '3', validateEvery: '100' })) await page.fill(`#f-${field}`, value);
      assert.ok(await page.locator('#f-autotune').isChecked(), 'autotune is on again after the reload');
      await page.click('#btn-start');
      await waitForState(page, 'done', 120_000);
      assert.equal(await page.locator('#s-tuning').getAttribute('data-source'), 'cached', 'the tuning of this shape survived the reload');
      assert.match(await page.locator('#s-test').innerText(), /^\d+\.\d\d% of 10,000$/, 'the test accuracy is shown');
      assert.ok(await page.locator('#btn-resume').isDisabled(), 'a finished run cannot be resumed');
    });

    assert.deepEqual(errors, [], 'no console errors or uncaught exceptions');
}));

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
