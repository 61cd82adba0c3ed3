/*
 * Benchmarks (not tests): `npm run bench -- SUITE [options]`. Each suite prints a table to
 * stdout; timings on the shared CPU adapters are noisy and are reported as such.
 */
const SUITES: Readonly<Record<string, () => Promise<{ main(args: readonly string[]): Promise<void> }>>> = {
  tokens: () => import('./tokens.js'),
};

const [suite, ...args] = process.argv.slice(2);
const load = suite ? SUITES[suite] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- SUITE [options]; suites: ${Object.keys(SUITES).join(', ')}\n`);
  process.exitCode = 2;
} else await (await load()).main(args);
