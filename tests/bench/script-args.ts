import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * parseArgs for the bench scripts, with a user's failure modes handled: `--help` prints the
 * usage and exits 0; an unknown or malformed option prints one line and the usage and exits 2.
 */
export function parseScriptArgs<T extends ParseArgsConfig>(script: string, usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    process.stderr.write(`${script}: ${(e as Error).message.split('\n')[0]}\n${usage.trim()}\n`);
    process.exit(2);
  }
}
