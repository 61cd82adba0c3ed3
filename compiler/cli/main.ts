#!/usr/bin/env node
import { PROCESS_IO } from './io.js';
import type { UsageState } from './program.js';
import { reportFailure } from './report-error.js';

/** The `vitc` executable: exit 0 on success, 1 when a check fails, 2 on bad input or usage, 3 on a vitc bug. */
async function main(argv: readonly string[]): Promise<number> {
  const usage: UsageState = { command: undefined };
  try {
    // Loaded inside the try: a module that fails to load is reported like any other error.
    const { buildProgram } = await import('./program.js');
    await buildProgram(PROCESS_IO, usage).parseAsync([...argv]);
    return 0;
  } catch (e) {
    const { exitCode, text } = await reportFailure(e, argv.includes('--debug'), usage);
    process.stderr.write(text);
    return exitCode;
  }
}

process.exitCode = await main(process.argv);
