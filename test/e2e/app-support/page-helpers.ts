// What the page tests do to the page: collect its errors, read its numbers, draw on its canvas.
import type { Page } from 'playwright-core';

/** Console errors and uncaught exceptions of the page and its workers, as they happen. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('worker', (w) => w.on('console', (m) => {
    if (m.type() === 'error') errors.push(`worker console.error: ${m.text()}`);
  }));
  return errors;
}

/** The step counter the page shows ("25 / 60" -> 25), or 0 before any. */
export async function shownStep(page: Page): Promise<number> {
  const text = await page.locator('#s-step').innerText();
  const m = /^([\d,]+)/.exec(text.trim());
  return m ? Number(m[1].replace(/,/g, '')) : 0;
}

export async function waitForStep(page: Page, atLeast: number, timeout: number): Promise<void> {
  await page.waitForFunction((n) => {
    const m = /^([\d,]+)/.exec(document.getElementById('s-step')?.textContent?.trim() ?? '');
    return m !== null && Number(m[1].replace(/,/g, '')) >= n;
  }, atLeast, { timeout, polling: 100 });
}

export async function waitForState(page: Page, state: string, timeout: number): Promise<void> {
  await page.waitForFunction((s) => window.lstmApp?.state === s, state, { timeout, polling: 100 });
}

/** Draws one stroke through `points` (in the canvas's 280x280 pixels) with the mouse. */
export async function drawStroke(page: Page, points: [number, number][]): Promise<void> {
  const box = await page.locator('#draw-canvas').boundingBox();
  if (!box) throw new Error('the drawing canvas is not visible');
  const at = ([x, y]: [number, number]): [number, number] => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
  await page.mouse.up();
}

/** A seven: a bar across the top and a stroke down to the bottom left. */
export const seven: [number, number][] = [[70, 60], [210, 60], [190, 110], [130, 230]];

/** The probabilities the page shows once it shows ten and they stay the same for `quietMs` (a stroke's
 * predictions arrive while it is drawn; the last one, for the whole stroke, arrives after the mouse is up). */
export async function settledProbabilities(page: Page, timeout = 30_000, quietMs = 800): Promise<number[]> {
  await page.waitForFunction(() => document.querySelectorAll('#probabilities li[data-p]').length === 10, undefined, { timeout, polling: 100 });
  const read = (): Promise<string> => page.$$eval('#probabilities li[data-p]', (items) => items.map((li) => (li as HTMLElement).dataset.p).join(','));
  let before = await read();
  for (;;) {
    await page.waitForTimeout(quietMs);
    const now = await read();
    if (now === before) return now.split(',').map(Number);
    before = now;
  }
}

/**
 * How the page's main thread fares for `ms`: the longest task it ran (the Long Tasks API reports each task
 * over 50 ms with its duration; 0 when none was that long), how many, and the longest gap between 10 ms
 * timer ticks. Only the tasks are the page's own work: the gaps also hold the time a loaded machine gave
 * other processes, so they are for diagnostics.
 */
export async function mainThreadLoad(page: Page, ms: number): Promise<{ longestTask: number; longTasks: number; longestGap: number }> {
  return page.evaluate((duration) => new Promise((resolve, reject) => {
    if (!PerformanceObserver.supportedEntryTypes.includes('longtask')) return reject(new Error('this Chromium does not report long tasks'));
    const tasks: number[] = [];
    const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)));
    observer.observe({ type: 'longtask' });
    let last = performance.now();
    let longestGap = 0;
    const started = last;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      if (now - started >= duration) {
        clearInterval(timer);
        tasks.push(...observer.takeRecords().map((e) => e.duration));
        observer.disconnect();
        resolve({ longestTask: Math.max(0, ...tasks), longTasks: tasks.length, longestGap });
      }
    }, 10);
  }), ms);
}
