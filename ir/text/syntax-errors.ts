import { EOF, type ILexingError, type IParserErrorMessageProvider, type IRecognitionException, type IToken, type TokenType } from 'chevrotain';
import { VitcError } from '../errors.js';

/** Chevrotain's multi-line messages rewritten as one line each: "expected X but found Y". */
export const PARSER_MESSAGES: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${label(expected)} but found ${describe(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) => `unexpected ${describe(firstRedundant)} after the end of the graph`,
  buildNoViableAltMessage: ({ expectedPathsPerAlt, actual }) =>
    `expected ${oneOf(expectedPathsPerAlt.flatMap((paths) => paths.map((p) => p[0])))} but found ${describe(actual[0]!)}`,
  buildEarlyExitMessage: ({ expectedIterationPaths, actual }) =>
    `expected ${oneOf(expectedIterationPaths.map((p) => p[0]))} but found ${describe(actual[0]!)}`,
};

function label(t: TokenType): string {
  return t === EOF ? 'end of input' : (t.LABEL ?? t.name);
}

function describe(tok: IToken): string {
  return tok.tokenType === EOF ? 'end of input' : `'${tok.image}'`;
}

function oneOf(types: readonly (TokenType | undefined)[]): string {
  const labels = [...new Set(types.filter((t): t is TokenType => t !== undefined).map(label))];
  if (labels.length <= 1) return labels[0] ?? 'something else';
  return `${labels.slice(0, -1).join(', ')} or ${labels[labels.length - 1]}`;
}

export function lexingError(e: ILexingError, text: string, file: string | undefined): VitcError {
  const ch = text[e.offset] ?? '';
  const message = ch === '"' ? 'unterminated string' : `unexpected character ${JSON.stringify(ch)}`;
  return new VitcError(message, { file, line: e.line ?? 1, col: e.column ?? 1 });
}

export function parsingError(e: IRecognitionException, file: string | undefined): VitcError {
  let tok = e.token;
  let line = tok.startLine;
  let col = tok.startColumn;
  if (tok.tokenType === EOF || line === undefined || Number.isNaN(line)) {
    // End of input has no position: point just past the last token.
    tok = (e as { previousToken?: IToken }).previousToken ?? tok;
    line = tok.endLine;
    col = tok.endColumn === undefined ? undefined : tok.endColumn + 1;
  }
  // Empty input: nothing precedes the end either.
  if (line === undefined || col === undefined || !Number.isFinite(line) || !Number.isFinite(col)) [line, col] = [1, 1];
  return new VitcError(e.message, { file, line, col });
}
