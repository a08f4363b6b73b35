/**
 * A parser for the subset of SOQL the sandbox answers: SELECT fields (relationship paths allowed)
 * and parent-to-child subqueries ("(SELECT … FROM EmailMessages …)") FROM one object, WHERE with
 * comparisons, IN / NOT IN, LIKE, AND / OR / NOT and parentheses, ORDER BY, LIMIT and OFFSET. Anything else is rejected the way Salesforce rejects bad SOQL: an
 * error with the row and column and errorCode MALFORMED_QUERY.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select.htm
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_select_dateformats.htm
 */

export type SoqlValue =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; value: number }
  | { kind: 'date'; value: number };

export interface FieldPath {
  path: string[];
  position: number;
}

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Condition =
  | { kind: 'and' | 'or'; parts: Condition[] }
  | { kind: 'not'; part: Condition }
  | { kind: 'compare'; field: FieldPath; op: CompareOp; value: SoqlValue; position: number }
  | { kind: 'in'; field: FieldPath; negated: boolean; values: SoqlValue[]; position: number }
  | { kind: 'like'; field: FieldPath; pattern: string; position: number };

export interface OrderItem {
  field: FieldPath;
  descending: boolean;
  nullsLast: boolean;
}

export interface Subquery {
  /** The child relationship named in FROM (EmailMessages, CaseComments). */
  relationship: string;
  position: number;
  query: SoqlQuery;
}

export interface SoqlQuery {
  text: string;
  fields: FieldPath[];
  /** Parent-to-child relationship queries (https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_using.htm). */
  subqueries: Subquery[];
  object: { name: string; position: number };
  where: Condition | null;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
}

export type SoqlErrorCode = 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE' | 'INVALID_QUERY_FILTER_OPERATOR';

/** Carries Salesforce's errorCode and a message in its "ERROR at Row:1:Column:n" style. */
export class SoqlError extends Error {
  readonly errorCode: SoqlErrorCode;
  constructor(errorCode: SoqlErrorCode, soql: string, position: number, detail: string) {
    super(formatSoqlError(soql, position, detail));
    this.name = 'SoqlError';
    this.errorCode = errorCode;
  }
}

export function formatSoqlError(soql: string, position: number, detail: string): string {
  const before = soql.slice(0, position).split('\n');
  const row = before.length;
  const column = (before[before.length - 1]?.length ?? 0) + 1;
  const line = soql.split('\n')[row - 1] ?? '';
  return `\n${line}\n${' '.repeat(column - 1)}^\nERROR at Row:${row}:Column:${column}\n${detail}`;
}

type Token =
  | { type: 'word'; text: string; position: number }
  | { type: 'string'; value: string; raw: string; position: number }
  | { type: 'number'; value: number; raw: string; position: number }
  | { type: 'datetime' | 'date'; value: number; raw: string; position: number }
  | { type: 'op'; text: CompareOp; position: number }
  | { type: 'punct'; text: ',' | '(' | ')'; position: number }
  | { type: 'eof'; position: number };

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?![\dT])/;
const NUMBER = /^-?\d+(\.\d+)?(?![\w.])/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\', _: '\\_', '%': '\\%' };

function tokenText(token: Token): string {
  switch (token.type) {
    case 'eof':
      return '<EOF>';
    case 'word':
    case 'op':
    case 'punct':
      return token.text;
    default:
      return token.raw;
  }
}

function parseDateTime(soql: string, position: number, match: RegExpExecArray): number {
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const offset = zone === 'Z' || zone === undefined ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${fraction ?? ''}${offset}`);
  if (Number.isNaN(ms)) throw new SoqlError('MALFORMED_QUERY', soql, position, `line 1:${position} no viable alternative at character '${match[0]}'`);
  return ms;
}

export function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const rest = soql.slice(i);
    const char = soql.charAt(i);
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= soql.length) throw new SoqlError('MALFORMED_QUERY', soql, i, `line 1:${i} mismatched character '<EOF>' expecting '''`);
        const c = soql.charAt(j);
        if (c === "'") break;
        if (c === '\\') {
          const escaped = ESCAPES[soql.charAt(j + 1)];
          if (escaped === undefined) throw new SoqlError('MALFORMED_QUERY', soql, j, `Invalid string literal '${soql.slice(i, j + 2)}'. Illegal character sequence '\\${soql.charAt(j + 1)}' in string literal.`);
          value += escaped;
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      tokens.push({ type: 'string', value, raw: soql.slice(i, j + 1), position: i });
      i = j + 1;
      continue;
    }
    const datetime = DATETIME.exec(rest);
    if (datetime) {
      tokens.push({ type: 'datetime', value: parseDateTime(soql, i, datetime), raw: datetime[0], position: i });
      i += datetime[0].length;
      continue;
    }
    const date = DATE.exec(rest);
    if (date) {
      tokens.push({ type: 'date', value: Date.parse(`${date[0]}T00:00:00Z`), raw: date[0], position: i });
      i += date[0].length;
      continue;
    }
    const number = NUMBER.exec(rest);
    if (number) {
      tokens.push({ type: 'number', value: Number(number[0]), raw: number[0], position: i });
      i += number[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ type: 'word', text: word[0], position: i });
      i += word[0].length;
      continue;
    }
    const op = /^(!=|<>|<=|>=|=|<|>)/.exec(rest);
    if (op) {
      tokens.push({ type: 'op', text: op[0] === '<>' ? '!=' : (op[0] as CompareOp), position: i });
      i += op[0].length;
      continue;
    }
    if (char === ',' || char === '(' || char === ')') {
      tokens.push({ type: 'punct', text: char, position: i });
      i++;
      continue;
    }
    throw new SoqlError('MALFORMED_QUERY', soql, i, `line 1:${i} no viable alternative at character '${char}'`);
  }
  tokens.push({ type: 'eof', position: soql.length });
  return tokens;
}

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(soql).parseQuery();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly soql: string) {
    this.tokens = tokenize(soql);
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { type: 'eof', position: this.soql.length };
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'eof') this.index++;
    return token;
  }

  private unexpected(token: Token): SoqlError {
    return new SoqlError('MALFORMED_QUERY', this.soql, token.position, `unexpected token: '${tokenText(token)}'`);
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.type === 'word' && token.text.toUpperCase() === keyword;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(this.peek(), keyword)) return false;
    this.index++;
    return true;
  }

  private expectKeyword(keyword: string): void {
    const token = this.next();
    if (!this.isKeyword(token, keyword)) throw this.unexpected(token);
  }

  private acceptComma(): boolean {
    const token = this.peek();
    if (token.type !== 'punct' || token.text !== ',') return false;
    this.index++;
    return true;
  }

  private expectPunct(text: ',' | '(' | ')'): void {
    const token = this.next();
    if (token.type !== 'punct' || token.text !== text) throw this.unexpected(token);
  }

  private fieldPath(): FieldPath {
    const token = this.next();
    if (token.type !== 'word' || RESERVED.has(token.text.toUpperCase())) throw this.unexpected(token);
    // A name followed by "(" is a function (COUNT(), toLabel(), …): not part of this subset.
    const after = this.peek();
    if (after.type === 'punct' && after.text === '(') throw this.unexpected(after);
    return { path: token.text.split('.'), position: token.position };
  }

  parseQuery(nested = false): SoqlQuery {
    this.expectKeyword('SELECT');
    const fields: FieldPath[] = [];
    const subqueries: Subquery[] = [];
    do {
      const token = this.peek();
      if (token.type === 'punct' && token.text === '(' && !nested) {
        this.index++;
        const query = this.parseQuery(true);
        this.expectPunct(')');
        subqueries.push({ relationship: query.object.name, position: query.object.position, query });
      } else fields.push(this.fieldPath());
    } while (this.acceptComma());
    this.expectKeyword('FROM');
    const objectToken = this.next();
    if (objectToken.type !== 'word' || objectToken.text.includes('.') || RESERVED.has(objectToken.text.toUpperCase())) throw this.unexpected(objectToken);
    const where = this.acceptKeyword('WHERE') ? this.expression() : null;
    const orderBy: OrderItem[] = [];
    if (this.acceptKeyword('ORDER')) {
      this.expectKeyword('BY');
      orderBy.push(this.orderItem());
      while (this.acceptComma()) orderBy.push(this.orderItem());
    }
    const limit = this.acceptKeyword('LIMIT') ? this.integer() : null;
    const offset = this.acceptKeyword('OFFSET') ? this.integer() : null;
    const end = this.peek();
    if (!nested && end.type !== 'eof') throw this.unexpected(end);
    if (nested && !(end.type === 'punct' && end.text === ')')) throw this.unexpected(end);
    return { text: this.soql, fields, subqueries, object: { name: objectToken.text, position: objectToken.position }, where, orderBy, limit, offset };
  }

  private orderItem(): OrderItem {
    const field = this.fieldPath();
    const descending = this.acceptKeyword('DESC');
    if (!descending) this.acceptKeyword('ASC');
    // Salesforce's default: nulls first when ascending, last when descending.
    let nullsLast = descending;
    if (this.acceptKeyword('NULLS')) {
      if (this.acceptKeyword('LAST')) nullsLast = true;
      else {
        this.expectKeyword('FIRST');
        nullsLast = false;
      }
    }
    return { field, descending, nullsLast };
  }

  private integer(): number {
    const token = this.next();
    if (token.type !== 'number' || !Number.isInteger(token.value) || token.value < 0) throw this.unexpected(token);
    return token.value;
  }

  /** SOQL refuses AND and OR side by side without parentheses, so one level holds one kind. */
  private expression(): Condition {
    const first = this.unary();
    let kind: 'and' | 'or' | null = null;
    const parts = [first];
    for (;;) {
      const token = this.peek();
      const keyword = this.isKeyword(token, 'AND') ? 'and' : this.isKeyword(token, 'OR') ? 'or' : null;
      if (!keyword) break;
      if (kind && keyword !== kind) throw this.unexpected(token);
      kind = keyword;
      this.index++;
      parts.push(this.unary());
    }
    return kind ? { kind, parts } : first;
  }

  private unary(): Condition {
    if (this.acceptKeyword('NOT')) return { kind: 'not', part: this.unary() };
    const token = this.peek();
    if (token.type === 'punct' && token.text === '(') {
      this.index++;
      const inner = this.expression();
      this.expectPunct(')');
      return inner;
    }
    return this.simple();
  }

  private simple(): Condition {
    const field = this.fieldPath();
    const token = this.next();
    if (token.type === 'op') return { kind: 'compare', field, op: token.text, value: this.value(), position: token.position };
    if (this.isKeyword(token, 'LIKE')) {
      const pattern = this.next();
      if (pattern.type !== 'string') throw this.unexpected(pattern);
      return { kind: 'like', field, pattern: pattern.value, position: token.position };
    }
    let negated = false;
    if (this.isKeyword(token, 'NOT')) {
      negated = true;
      const inToken = this.next();
      if (!this.isKeyword(inToken, 'IN')) throw this.unexpected(inToken);
    } else if (!this.isKeyword(token, 'IN')) throw this.unexpected(token);
    this.expectPunct('(');
    const values = [this.value()];
    while (this.acceptComma()) values.push(this.value());
    this.expectPunct(')');
    return { kind: 'in', field, negated, values, position: token.position };
  }

  private value(): SoqlValue {
    const token = this.next();
    switch (token.type) {
      case 'string':
        return { kind: 'string', value: token.value };
      case 'number':
        return { kind: 'number', value: token.value };
      case 'datetime':
        return { kind: 'datetime', value: token.value };
      case 'date':
        return { kind: 'date', value: token.value };
      case 'word': {
        const upper = token.text.toUpperCase();
        if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
        if (upper === 'NULL') return { kind: 'null' };
        throw this.unexpected(token);
      }
      default:
        throw this.unexpected(token);
    }
  }
}

// Words that end a field list or start a clause; also the clauses this subset leaves out.
const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ORDER', 'BY', 'LIMIT', 'OFFSET', 'GROUP', 'HAVING', 'WITH', 'FOR', 'USING', 'TYPEOF', 'NULLS', 'ASC', 'DESC', 'TRUE', 'FALSE', 'NULL', 'INCLUDES', 'EXCLUDES']);
