/** Where a command writes: results to `out` (stdout), diagnostics and instrument dumps to `err` (stderr). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export const PROCESS_IO: CommandIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};
