// Skips that a strict run turns into failures. npm run setup installs the WebGPU adapters and Chromium,
// so in CI (CI=true) or with npm test -- --strict (scripts/test.mjs sets WEBGPU_LSTM_STRICT=1) a missing
// adapter or browser is a broken setup, and a skipped tier would hide it behind a green run.
import type { TestContext } from 'node:test';

const flag = process.env.WEBGPU_LSTM_STRICT;
const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);
export const strict = flag === '1' || (flag === undefined && ci);

/** Skips the test with `reason`, or fails it with the reason in a strict run. */
export function skipUnlessStrict(t: TestContext, reason: string): void {
  if (strict) throw new Error(`${reason.replace(/\.?\s*$/, '')}. A strict run (CI=true or npm test -- --strict) fails here instead of skipping: run npm run setup`);
  t.skip(reason);
}

/** The reason of a skip that strict runs allow: a permission test, which root cannot run. */
export const asRoot = (why: string): string => `as root: ${why}`;
