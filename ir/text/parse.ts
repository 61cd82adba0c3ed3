import { VitcError } from '../errors.js';
import type { Graph } from '../graph.js';
import { buildGraph, type BuildOptions } from './build-graph.js';
import { createSyntaxVisitor } from './cst-to-syntax.js';
import { VirParser } from './grammar.js';
import type { GraphSyntax } from './syntax.js';
import { lexingError, PARSER_MESSAGES, parsingError } from './syntax-errors.js';
import { createLexer } from './tokens.js';

export type ParseOptions = BuildOptions;

/**
 * Chevrotain wants one lexer and one parser built up front (building them costs tens of
 * milliseconds: grammar analysis). The parser's only state is its current input, which `parseSyntax`
 * resets on every call and which never outlives a call (parsing is synchronous).
 */
const LEXER = createLexer();
const PARSER = new VirParser(PARSER_MESSAGES);
const VISITOR = createSyntaxVisitor(PARSER);

/** Lexes and parses text IR into its syntax tree; the first lexing or parsing error is thrown. */
export function parseSyntax(text: string, file?: string): GraphSyntax {
  const lexed = LEXER.tokenize(text);
  if (lexed.errors.length > 0) throw lexingError(lexed.errors[0]!, text, file);
  PARSER.input = lexed.tokens;
  const cst = PARSER.graph();
  const errors = PARSER.errors;
  PARSER.input = [];
  if (errors.length > 0) throw parsingError(errors[0]!, file);
  try {
    return VISITOR.toSyntax(cst);
  } catch (e) {
    throw e instanceof VitcError && file !== undefined ? e.withLoc({ file }) : e;
  }
}

/**
 * Parses a graph written in the text IR. Out-of-line weights (`@"key"`) are read through
 * `loadWeights`, given the path from the graph's `weights "..."` clause. Every problem is a
 * VitcError reading `file:line:col: message`.
 */
export function parseGraph(text: string, opts: ParseOptions = {}): Graph {
  const syntax = parseSyntax(text, opts.file);
  try {
    return buildGraph(syntax, opts);
  } catch (e) {
    throw e instanceof VitcError && opts.file !== undefined && e.loc?.line !== undefined ? e.withLoc({ file: opts.file }) : e;
  }
}
