import type { CstNode, IToken } from 'chevrotain';
import { VitcError } from '../errors.js';
import type { VirParser } from './grammar.js';
import { isReservedName } from './names.js';
import type {
  AttrSyntax,
  DenseSyntax,
  GraphSyntax,
  ListSyntax,
  NodeSyntax,
  ParamSyntax,
  Pos,
  ReturnSyntax,
  ScalarSyntax,
  TensorPayloadSyntax,
  TensorSyntax,
  TypeSyntax,
  ValueNameSyntax,
} from './syntax.js';

type Ctx = Record<string, (CstNode | IToken)[] | undefined>;

function toks(ctx: Ctx, key: string): IToken[] {
  return (ctx[key] ?? []) as IToken[];
}
function tok(ctx: Ctx, key: string): IToken {
  return toks(ctx, key)[0]!;
}
function nodes(ctx: Ctx, key: string): CstNode[] {
  return (ctx[key] ?? []) as CstNode[];
}
function posOf(t: IToken): Pos {
  return { line: t.startLine!, col: t.startColumn! };
}

/** The text of a JSON-style string literal. */
function unquote(t: IToken, image = t.image): string {
  try {
    return JSON.parse(image) as string;
  } catch {
    throw new VitcError(`invalid escape sequence in string ${image}`, posOf(t));
  }
}

/** `%name`, `%"name"` or `%12`. */
function valueName(t: IToken): ValueNameSyntax {
  const body = t.image.slice(1);
  const pos = posOf(t);
  if (/^[0-9]+$/.test(body)) {
    const id = Number(body);
    if (!Number.isSafeInteger(id)) throw new VitcError(`value number ${t.image} is too large`, pos);
    return { id, text: t.image, pos };
  }
  const name = body.startsWith('"') ? unquote(t, body) : body;
  if (name === '') throw new VitcError('empty value name', pos);
  if (isReservedName(name))
    throw new VitcError(`value name ${t.image} is only digits, which is reserved for anonymous values (write %${name} for value number ${name})`, pos);
  return { name, text: t.image, pos };
}

/** `@name` or `@"name"`. */
function atName(t: IToken): string {
  const body = t.image.slice(1);
  const name = body.startsWith('"') ? unquote(t, body) : body;
  if (name === '') throw new VitcError('empty name after @', posOf(t));
  return name;
}

/**
 * Creates the CST visitor of `parser`, which turns its parse trees into `GraphSyntax`.
 * Positions are line:col only; the caller adds the file name to errors.
 */
export function createSyntaxVisitor(parser: VirParser): { toSyntax(cst: CstNode): GraphSyntax } {
  const Base = parser.getBaseCstVisitorConstructor();

  class SyntaxVisitor extends Base {
    constructor() {
      super();
      this.validateVisitor();
    }

    toSyntax(cst: CstNode): GraphSyntax {
      return this.visit(cst) as GraphSyntax;
    }

    graph(ctx: Ctx): GraphSyntax {
      const weightsTok = toks(ctx, 'StringLit')[0];
      return {
        name: atName(tok(ctx, 'AtName')),
        params: nodes(ctx, 'param').map((n) => this.visit(n) as ParamSyntax),
        ...(weightsTok ? { weights: { path: unquote(weightsTok), pos: posOf(weightsTok) } } : {}),
        body: nodes(ctx, 'statement').map((n) => this.visit(n) as NodeSyntax | ReturnSyntax),
        endPos: posOf(tok(ctx, 'RBrace')),
      };
    }

    param(ctx: Ctx): ParamSyntax {
      return { value: valueName(tok(ctx, 'ValueName')), type: this.visit(nodes(ctx, 'tensorType')[0]!) as TypeSyntax };
    }

    statement(ctx: Ctx): NodeSyntax | ReturnSyntax {
      return this.visit(nodes(ctx, 'returnStmt')[0] ?? nodes(ctx, 'nodeStmt')[0]!) as NodeSyntax | ReturnSyntax;
    }

    returnStmt(ctx: Ctx): ReturnSyntax {
      return { kind: 'return', values: toks(ctx, 'ValueName').map(valueName), pos: posOf(tok(ctx, 'Return')) };
    }

    nodeStmt(ctx: Ctx): NodeSyntax {
      const results = toks(ctx, 'ValueName').map(valueName);
      const opTok = tok(ctx, 'Ident');
      const payload = nodes(ctx, 'payload')[0];
      const operands = nodes(ctx, 'operands')[0];
      const attrDict = nodes(ctx, 'attrDict')[0];
      const loc = nodes(ctx, 'nodeLoc')[0];
      const types = nodes(ctx, 'tensorType');
      return {
        kind: 'node',
        results,
        op: opTok.image,
        opPos: posOf(opTok),
        ...(payload ? { payload: this.visit(payload) as TensorPayloadSyntax } : {}),
        operands: operands ? (this.visit(operands) as ValueNameSyntax[]) : [],
        attrs: attrDict ? (this.visit(attrDict) as AttrSyntax[]) : [],
        ...(ctx.Colon ? { types: types.map((n) => this.visit(n) as TypeSyntax) } : {}),
        ...(loc ? { name: this.visit(loc) as string } : {}),
        pos: results[0]!.pos,
      };
    }

    payload(ctx: Ctx): TensorPayloadSyntax {
      const dense = nodes(ctx, 'dense')[0];
      if (dense) return this.visit(dense) as DenseSyntax;
      const t = tok(ctx, 'AtName');
      return { kind: 'weight', key: atName(t), pos: posOf(t) };
    }

    operands(ctx: Ctx): ValueNameSyntax[] {
      return toks(ctx, 'ValueName').map(valueName);
    }

    attrDict(ctx: Ctx): AttrSyntax[] {
      return nodes(ctx, 'attr').map((n) => this.visit(n) as AttrSyntax);
    }

    attr(ctx: Ctx): AttrSyntax {
      const keyTok = tok(ctx, 'Ident');
      const str = toks(ctx, 'StringLit')[0];
      const sub = nodes(ctx, 'list')[0] ?? nodes(ctx, 'tensor')[0] ?? nodes(ctx, 'scalar')[0];
      const value = str ? { kind: 'string' as const, value: unquote(str), pos: posOf(str) } : (this.visit(sub!) as ListSyntax | TensorSyntax | ScalarSyntax);
      return { key: keyTok.image, keyPos: posOf(keyTok), value };
    }

    tensor(ctx: Ctx): TensorSyntax {
      const payload = this.visit(nodes(ctx, 'payload')[0]!) as TensorPayloadSyntax;
      return { kind: 'tensor', payload, type: this.visit(nodes(ctx, 'tensorType')[0]!) as TypeSyntax, pos: payload.pos };
    }

    dense(ctx: Ctx): DenseSyntax {
      const body = this.visit(nodes(ctx, 'list')[0] ?? nodes(ctx, 'scalar')[0]!) as ListSyntax | ScalarSyntax;
      return { kind: 'dense', body, pos: posOf(tok(ctx, 'Dense')) };
    }

    list(ctx: Ctx): ListSyntax {
      return { kind: 'list', items: nodes(ctx, 'scalar').map((n) => this.visit(n) as ScalarSyntax), pos: posOf(tok(ctx, 'LBracket')) };
    }

    scalar(ctx: Ctx): ScalarSyntax {
      const minus = toks(ctx, 'Minus')[0];
      const float = toks(ctx, 'FloatLit')[0];
      const int = toks(ctx, 'IntLit')[0];
      const ident = toks(ctx, 'Ident')[0];
      const main = float ?? int ?? ident!;
      return {
        kind: 'scalar',
        negative: minus !== undefined,
        token: float ? 'float' : int ? 'int' : 'ident',
        text: main.image,
        ...(int && ident ? { times: ident.image } : {}),
        pos: posOf(minus ?? main),
      };
    }

    tensorType(ctx: Ctx): TypeSyntax {
      const dtype = tok(ctx, 'Ident');
      return { dtype: dtype.image, dims: nodes(ctx, 'scalar').map((n) => this.visit(n) as ScalarSyntax), pos: posOf(dtype) };
    }

    nodeLoc(ctx: Ctx): string {
      return unquote(tok(ctx, 'StringLit'));
    }
  }

  return new SyntaxVisitor();
}
