import { createToken, Lexer, type TokenType } from 'chevrotain';

/**
 * Tokens of the text IR. Keywords are in the `Ident` category, so wherever the grammar takes an
 * identifier (op names, attribute names, dtypes, symbols) a keyword spelling is accepted too.
 */
export const Ident = createToken({ name: 'Ident', label: 'identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), label: `'${word}'`, pattern: word, longer_alt: Ident, categories: [Ident] });
}

export const GraphKw = keyword('graph');
export const WeightsKw = keyword('weights');
export const ReturnKw = keyword('return');
export const DenseKw = keyword('dense');
export const LocKw = keyword('loc');

const QUOTED = String.raw`"(?:[^"\\\r\n]|\\.)*"`;
const NAME = String.raw`[A-Za-z_][A-Za-z0-9_.]*`;

/** `%name`, `%"any name"` or `%12` (an anonymous value). */
export const ValueName = createToken({ name: 'ValueName', label: 'value name (%...)', pattern: new RegExp(`%(?:${NAME}|[0-9]+|${QUOTED})`) });
/** `@name` or `@"any name"`: a graph name or a key into the weights file. */
export const AtName = createToken({ name: 'AtName', label: 'symbol (@...)', pattern: new RegExp(`@(?:${NAME}|${QUOTED})`) });
export const StringLit = createToken({ name: 'StringLit', label: 'string', pattern: new RegExp(QUOTED) });
export const FloatLit = createToken({ name: 'FloatLit', label: 'number', pattern: /[0-9]+(?:\.[0-9]*(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)/ });
export const IntLit = createToken({ name: 'IntLit', label: 'integer', pattern: /[0-9]+/ });

export const LParen = createToken({ name: 'LParen', label: "'('", pattern: '(' });
export const RParen = createToken({ name: 'RParen', label: "')'", pattern: ')' });
export const LBracket = createToken({ name: 'LBracket', label: "'['", pattern: '[' });
export const RBracket = createToken({ name: 'RBracket', label: "']'", pattern: ']' });
export const LBrace = createToken({ name: 'LBrace', label: "'{'", pattern: '{' });
export const RBrace = createToken({ name: 'RBrace', label: "'}'", pattern: '}' });
export const LAngle = createToken({ name: 'LAngle', label: "'<'", pattern: '<' });
export const RAngle = createToken({ name: 'RAngle', label: "'>'", pattern: '>' });
export const Comma = createToken({ name: 'Comma', label: "','", pattern: ',' });
export const Colon = createToken({ name: 'Colon', label: "':'", pattern: ':' });
export const Equals = createToken({ name: 'Equals', label: "'='", pattern: '=' });
export const Minus = createToken({ name: 'Minus', label: "'-'", pattern: '-' });
export const Star = createToken({ name: 'Star', label: "'*'", pattern: '*' });

const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });

/** Order matters: keywords before Ident, floats before integers. */
export const ALL_TOKENS: readonly TokenType[] = [
  WhiteSpace,
  LineComment,
  GraphKw,
  WeightsKw,
  ReturnKw,
  DenseKw,
  LocKw,
  Ident,
  ValueName,
  AtName,
  StringLit,
  FloatLit,
  IntLit,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  LAngle,
  RAngle,
  Comma,
  Colon,
  Equals,
  Minus,
  Star,
];

export function createLexer(): Lexer {
  return new Lexer([...ALL_TOKENS], { positionTracking: 'full', ensureOptimizations: false });
}
