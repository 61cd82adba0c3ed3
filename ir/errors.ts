/** Where a problem is: a text-IR position, an ONNX node, or just a file. */
export interface SourceLoc {
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  /** ONNX node name or op, or a pass name; printed after the file position. */
  readonly context?: string;
}

export function formatLoc(loc: SourceLoc | undefined): string {
  if (!loc) return '';
  let s = loc.file ?? '';
  if (loc.line !== undefined) s += `${s ? ':' : ''}${loc.line}${loc.col !== undefined ? `:${loc.col}` : ''}`;
  if (loc.context) s += `${s ? ': ' : ''}${loc.context}`;
  return s;
}

/**
 * An error caused by the user's input (model, IR text, options). The CLI prints it as one line,
 * `loc: message`, and exits 2. Anything else that escapes is an internal bug.
 */
export class VitcError extends Error {
  readonly loc: SourceLoc | undefined;
  readonly bareMessage: string;
  constructor(message: string, loc?: SourceLoc) {
    const where = formatLoc(loc);
    super(where ? `${where}: ${message}` : message);
    this.name = 'VitcError';
    this.loc = loc;
    this.bareMessage = message;
  }
  /** The same error with more location filled in (fields already set win). */
  withLoc(loc: SourceLoc): VitcError {
    const merged: SourceLoc = { ...loc, ...stripUndefined(this.loc ?? {}) };
    if (this.loc?.context && loc.context && this.loc.context !== loc.context) {
      return new VitcError(this.bareMessage, { ...merged, context: `${loc.context}: ${this.loc.context}` });
    }
    return new VitcError(this.bareMessage, merged);
  }
}

/** A check the user asked for failed (numerical mismatch, verification): exit 1. */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

function stripUndefined(loc: SourceLoc): SourceLoc {
  const out: { -readonly [K in keyof SourceLoc]: SourceLoc[K] } = {};
  for (const [k, v] of Object.entries(loc)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Shape and type inference failures carry no location; the caller adds it. */
export function fail(message: string): never {
  throw new VitcError(message);
}
