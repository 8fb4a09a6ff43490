// A node:test reporter that writes one JSON object when the run ends: every test's outcome, with the
// reason of each skip. scripts/test.mjs reads it for the closing line and the strict check.
export default async function* summary(source) {
  const tests = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, file, skip, todo, details } = event.data;
    if (details?.type === 'suite') continue; // a describe() block: its tests are counted one by one
    const outcome = event.type === 'test:fail' ? 'failed' : skip !== undefined && skip !== false ? 'skipped' : todo ? 'todo' : 'passed';
    tests.push({ name, file, outcome, reason: typeof skip === 'string' ? skip : undefined });
  }
  yield JSON.stringify({ tests }) + '\n';
}
