import { CstParser, type IParserErrorMessageProvider } from 'chevrotain';
import {
  ALL_TOKENS,
  AtName,
  Colon,
  Comma,
  DenseKw,
  Equals,
  FloatLit,
  GraphKw,
  Ident,
  IntLit,
  LAngle,
  LBrace,
  LBracket,
  LocKw,
  LParen,
  Minus,
  RAngle,
  RBrace,
  RBracket,
  ReturnKw,
  RParen,
  Star,
  StringLit,
  ValueName,
  WeightsKw,
} from './tokens.js';

/**
 * The concrete grammar of the text IR. It is deliberately generic: attribute values, dense
 * elements and dims all parse as the same few literal shapes, and the graph builder reads them
 * against the op's attribute schema, so a new op needs no grammar change.
 *
 *   graph     := 'graph' @name '(' (param (',' param)*)? ')' ('weights' string)? '{' statement* '}'
 *   param     := %name ':' type
 *   statement := 'return' (%v (',' %v)*)?
 *              | %r (',' %r)* '=' op payload? ('(' %v,* ')')? ('{' attr,* '}')? (':' type (',' type)*)? ('loc' '(' string ')')?
 *   payload   := dense | @key                        (only for const)
 *   attr      := ident '=' (string | list | tensor | scalar)
 *   tensor    := (dense | @key) ':' type
 *   dense     := 'dense' '<' (list | scalar) '>'
 *   list      := '[' scalar,* ']'
 *   scalar    := '-'? (float | int ('*' ident)? | ident)
 *   type      := ident '[' scalar,* ']'
 */
export class VirParser extends CstParser {
  constructor(errorMessageProvider: IParserErrorMessageProvider) {
    super([...ALL_TOKENS], { recoveryEnabled: false, maxLookahead: 2, errorMessageProvider });
    this.performSelfAnalysis();
  }

  readonly graph = this.RULE('graph', () => {
    this.CONSUME(GraphKw);
    this.CONSUME(AtName);
    this.CONSUME(LParen);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(RParen);
    this.OPTION(() => {
      this.CONSUME(WeightsKw);
      this.CONSUME(StringLit);
    });
    this.CONSUME(LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(RBrace);
  });

  readonly param = this.RULE('param', () => {
    this.CONSUME(ValueName);
    this.CONSUME(Colon);
    this.SUBRULE(this.tensorType);
  });

  readonly statement = this.RULE('statement', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.returnStmt) }, { ALT: () => this.SUBRULE(this.nodeStmt) }]);
  });

  readonly returnStmt = this.RULE('returnStmt', () => {
    this.CONSUME(ReturnKw);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.CONSUME(ValueName) });
  });

  readonly nodeStmt = this.RULE('nodeStmt', () => {
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.CONSUME(ValueName) });
    this.CONSUME(Equals);
    this.CONSUME(Ident);
    this.OPTION1(() => this.SUBRULE(this.payload));
    this.OPTION2(() => this.SUBRULE(this.operands));
    this.OPTION3(() => this.SUBRULE(this.attrDict));
    this.OPTION4(() => {
      this.CONSUME(Colon);
      this.AT_LEAST_ONE_SEP2({ SEP: Comma, DEF: () => this.SUBRULE(this.tensorType) });
    });
    this.OPTION5(() => this.SUBRULE(this.nodeLoc));
  });

  readonly payload = this.RULE('payload', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.dense) }, { ALT: () => this.CONSUME(AtName) }]);
  });

  readonly operands = this.RULE('operands', () => {
    this.CONSUME(LParen);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.CONSUME(ValueName) });
    this.CONSUME(RParen);
  });

  readonly attrDict = this.RULE('attrDict', () => {
    this.CONSUME(LBrace);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.attr) });
    this.CONSUME(RBrace);
  });

  readonly attr = this.RULE('attr', () => {
    this.CONSUME(Ident);
    this.CONSUME(Equals);
    this.OR([
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.tensor) },
      { ALT: () => this.SUBRULE(this.scalar) },
    ]);
  });

  readonly tensor = this.RULE('tensor', () => {
    this.SUBRULE(this.payload);
    this.CONSUME(Colon);
    this.SUBRULE(this.tensorType);
  });

  readonly dense = this.RULE('dense', () => {
    this.CONSUME(DenseKw);
    this.CONSUME(LAngle);
    this.OR([{ ALT: () => this.SUBRULE(this.list) }, { ALT: () => this.SUBRULE(this.scalar) }]);
    this.CONSUME(RAngle);
  });

  readonly list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.scalar) });
    this.CONSUME(RBracket);
  });

  readonly scalar = this.RULE('scalar', () => {
    this.OPTION(() => this.CONSUME(Minus));
    this.OR([
      { ALT: () => this.CONSUME(FloatLit) },
      {
        ALT: () => {
          this.CONSUME(IntLit);
          this.OPTION1(() => {
            this.CONSUME(Star);
            this.CONSUME1(Ident);
          });
        },
      },
      { ALT: () => this.CONSUME2(Ident) },
    ]);
  });

  readonly tensorType = this.RULE('tensorType', () => {
    this.CONSUME(Ident);
    this.CONSUME(LBracket);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.scalar) });
    this.CONSUME(RBracket);
  });

  readonly nodeLoc = this.RULE('nodeLoc', () => {
    this.CONSUME(LocKw);
    this.CONSUME(LParen);
    this.CONSUME(StringLit);
    this.CONSUME(RParen);
  });
}
