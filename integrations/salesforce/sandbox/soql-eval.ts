/**
 * Runs a parsed SOQL query against the sandbox's records: checks every name and literal against
 * the schema (INVALID_FIELD / INVALID_TYPE like Salesforce), filters, sorts, and shapes each row
 * the way the REST query resource does, with `attributes` and nested relationship objects.
 * https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_using.htm
 */
import { sameId } from './ids.ts';
import { objectDef, formatDate, formatDateTime, type FieldDef, type ObjectDef } from './schema.ts';
import { parseSoql, SoqlError, type Condition, type FieldPath, type SoqlQuery, type SoqlValue } from './soql.ts';

/** One stored record: canonical field names; datetimes and dates as epoch milliseconds. */
export type Row = Record<string, unknown>;

export interface RecordSource {
  rows(objectName: string): Iterable<Row>;
  get(id: string): { objectName: string; row: Row } | undefined;
  /** Rows of `objectName` whose reference `field` points at `parentId` (an index, not a scan). */
  children(objectName: string, field: string, parentId: string): Iterable<Row>;
}

interface ResolvedField {
  /** Reference fields to follow, in order (Contact.Account.Name: ContactId, then AccountId). */
  references: FieldDef[];
  field: FieldDef;
}

export interface QueryPlan {
  object: ObjectDef;
  select: ResolvedField[];
  run(source: RecordSource, options: { includeDeleted: boolean; apiVersion: string }): Row[];
  /** The same query over given rows (a subquery over one parent's children). */
  over(rows: Iterable<Row>, source: RecordSource, options: { includeDeleted: boolean; apiVersion: string }): Row[];
}

const NO_COLUMN_HINT = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

export function planQuery(soql: string): QueryPlan {
  const query = parseSoql(soql);
  const object = objectDef(query.object.name);
  if (!object) {
    throw new SoqlError('INVALID_TYPE', soql, query.object.position, `sObject type '${query.object.name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`);
  }
  return plan(query, object);
}

function plan(query: SoqlQuery, object: ObjectDef): QueryPlan {
  const soql = query.text;
  const subplans = query.subqueries.map((sub) => {
    const child = object.children.get(sub.relationship.toLowerCase());
    const childObject = child ? objectDef(child.object) : undefined;
    if (!child || !childObject) {
      throw new SoqlError('INVALID_TYPE', soql, sub.position, `Didn't understand relationship '${sub.relationship}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`);
    }
    return { name: child.name, object: childObject.name, field: child.field, plan: plan(sub.query, childObject) };
  });
  const seen = new Set<string>();
  const select = query.fields.map((path) => {
    const key = path.path.join('.').toLowerCase();
    if (seen.has(key)) throw new SoqlError('INVALID_FIELD', soql, path.position, `duplicate field selected: ${path.path.join('.')}`);
    seen.add(key);
    return resolve(query, object, path);
  });
  if (query.where) checkCondition(query, object, query.where);
  const where = query.where ? compile(query, object, query.where) : null;
  const order = query.orderBy.map((item) => {
    const resolved = resolve(query, object, item.field);
    if (!resolved.field.filterable) throw new SoqlError('INVALID_FIELD', soql, item.field.position, `field '${resolved.field.name}' can not be sorted in a query call`);
    return { resolved, descending: item.descending, nullsLast: item.nullsLast };
  });

  const over = (rows: Iterable<Row>, source: RecordSource, { includeDeleted, apiVersion }: { includeDeleted: boolean; apiVersion: string }): Row[] => {
      const hasIsDeleted = object.fields.has('isdeleted');
      const matches: Row[] = [];
      for (const row of rows) {
        if (hasIsDeleted && !includeDeleted && row.IsDeleted === true) continue;
        if (where && !where(row, source)) continue;
        matches.push(row);
      }
      if (order.length > 0) {
        const keyed = matches.map((row) => ({ row, keys: order.map((o) => read(row, o.resolved, source)) }));
        keyed.sort((a, b) => {
          for (let i = 0; i < order.length; i++) {
            const o = order[i]!;
            const result = compareForSort(a.keys[i], b.keys[i], o.resolved.field, o.descending, o.nullsLast);
            if (result !== 0) return result;
          }
          return 0;
        });
        matches.splice(0, matches.length, ...keyed.map((k) => k.row));
      }
      const start = query.offset ?? 0;
      const end = query.limit === null ? undefined : start + query.limit;
      return matches.slice(start, end).map((row) => {
        const out = project(row, object.name, select, source, apiVersion);
        for (const sub of subplans) {
          // An empty child relationship is null; otherwise a query result of its own.
          const records = sub.plan.over(source.children(sub.object, sub.field, String(row.Id)), source, { includeDeleted, apiVersion });
          out[sub.name] = records.length ? { totalSize: records.length, done: true, records } : null;
        }
        return out;
      });
  };
  return { object, select, over, run: (source, options) => over(source.rows(object.name), source, options) };
}

function resolve(query: SoqlQuery, object: ObjectDef, path: FieldPath): ResolvedField {
  const references: FieldDef[] = [];
  let current = object;
  for (const relationship of path.path.slice(0, -1)) {
    const reference = current.relationships.get(relationship.toLowerCase());
    const target = reference?.referenceTo?.[0] ? objectDef(reference.referenceTo[0]) : undefined;
    if (!reference || !target) {
      throw new SoqlError('INVALID_FIELD', query.text, path.position, `Didn't understand relationship '${relationship}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`);
    }
    references.push(reference);
    current = target;
  }
  const name = path.path[path.path.length - 1] ?? '';
  const field = current.fields.get(name.toLowerCase());
  if (!field) throw new SoqlError('INVALID_FIELD', query.text, path.position, `No such column '${name}' on entity '${current.name}'. ${NO_COLUMN_HINT}`);
  return { references, field };
}

const TYPE_NAMES: Record<FieldDef['type'], string> = {
  id: 'id',
  reference: 'id',
  string: 'string',
  picklist: 'string',
  email: 'string',
  textarea: 'string',
  boolean: 'boolean',
  datetime: 'dateTime',
  date: 'date',
  int: 'int',
};

function checkValue(query: SoqlQuery, field: FieldDef, value: SoqlValue, position: number): void {
  if (value.kind === 'null') return;
  const expected = field.type === 'id' || field.type === 'reference' ? 'string' : field.type === 'boolean' ? 'boolean' : field.type === 'datetime' ? 'datetime' : field.type === 'date' ? 'date' : field.type === 'int' ? 'number' : 'string';
  if (value.kind !== expected) {
    const quoting = expected === 'string' ? 'should be enclosed in quotes' : 'should not be enclosed in quotes';
    throw new SoqlError('INVALID_FIELD', query.text, position, `value of filter criterion for field '${field.name}' must be of type ${TYPE_NAMES[field.type]} and ${quoting}`);
  }
  if ((field.type === 'id' || field.type === 'reference') && value.kind === 'string' && !/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(value.value)) {
    throw new SoqlError('INVALID_QUERY_FILTER_OPERATOR', query.text, position, `invalid ID field: ${value.value}`);
  }
}

function checkCondition(query: SoqlQuery, object: ObjectDef, condition: Condition): void {
  switch (condition.kind) {
    case 'and':
    case 'or':
      condition.parts.forEach((part) => checkCondition(query, object, part));
      return;
    case 'not':
      checkCondition(query, object, condition.part);
      return;
    default: {
      const { field } = resolve(query, object, condition.field);
      if (!field.filterable) throw new SoqlError('INVALID_FIELD', query.text, condition.field.position, `field '${field.name}' can not be filtered in a query call`);
      if (condition.kind === 'compare') checkValue(query, field, condition.value, condition.position);
      else if (condition.kind === 'in') condition.values.forEach((value) => checkValue(query, field, value, condition.position));
      else if (TYPE_NAMES[field.type] !== 'string' || field.type === 'id' || field.type === 'reference') {
        throw new SoqlError('INVALID_QUERY_FILTER_OPERATOR', query.text, condition.position, `invalid operator on ${TYPE_NAMES[field.type]} field: LIKE`);
      }
    }
  }
}

function read(row: Row, resolved: ResolvedField, source: RecordSource): unknown {
  let current: Row = row;
  for (const reference of resolved.references) {
    const id = current[reference.name];
    const target = typeof id === 'string' ? source.get(id) : undefined;
    if (!target) return null;
    current = target.row;
  }
  return current[resolved.field.name] ?? null;
}

function literal(value: SoqlValue): unknown {
  return value.kind === 'null' ? null : value.value;
}

function compareValues(a: unknown, b: unknown, field: FieldDef): number {
  if (field.type === 'id' || field.type === 'reference') {
    const x = String(a).slice(0, 15);
    const y = String(b).slice(0, 15);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    // SOQL compares text case-insensitively ('closed' = 'Closed').
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Number(a) - Number(b);
}

function equals(a: unknown, b: unknown, field: FieldDef): boolean {
  if (a === null || b === null) return a === b;
  if ((field.type === 'id' || field.type === 'reference') && typeof a === 'string' && typeof b === 'string') return sameId(a, b);
  return compareValues(a, b, field) === 0;
}

function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern.charAt(i);
    if (char === '\\' && i + 1 < pattern.length) {
      source += pattern.charAt(++i).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'is');
}

type Predicate = (row: Row, source: RecordSource) => boolean;

/** Resolves names once and turns the WHERE tree into closures; IN lists become Sets. */
function compile(query: SoqlQuery, object: ObjectDef, condition: Condition): Predicate {
  switch (condition.kind) {
    case 'and': {
      const parts = condition.parts.map((part) => compile(query, object, part));
      return (row, source) => parts.every((part) => part(row, source));
    }
    case 'or': {
      const parts = condition.parts.map((part) => compile(query, object, part));
      return (row, source) => parts.some((part) => part(row, source));
    }
    case 'not': {
      const part = compile(query, object, condition.part);
      return (row, source) => !part(row, source);
    }
    case 'compare': {
      const resolved = resolve(query, object, condition.field);
      const expected = literal(condition.value);
      const op = condition.op;
      return (row, source) => {
        const actual = read(row, resolved, source);
        if (op === '=') return equals(actual, expected, resolved.field);
        if (op === '!=') return !equals(actual, expected, resolved.field);
        if (actual === null || expected === null) return false;
        const order = compareValues(actual, expected, resolved.field);
        return op === '<' ? order < 0 : op === '>' ? order > 0 : op === '<=' ? order <= 0 : order >= 0;
      };
    }
    case 'in': {
      const resolved = resolve(query, object, condition.field);
      const key = (value: unknown) => (resolved.field.type === 'id' || resolved.field.type === 'reference' ? String(value).slice(0, 15) : typeof value === 'string' ? value.toLowerCase() : value);
      const wanted = new Set(condition.values.map(literal).filter((value) => value !== null).map(key));
      const negated = condition.negated;
      return (row, source) => {
        const actual = read(row, resolved, source);
        const found = actual !== null && wanted.has(key(actual));
        return negated ? !found : found;
      };
    }
    case 'like': {
      const resolved = resolve(query, object, condition.field);
      const pattern = likeToRegExp(condition.pattern);
      return (row, source) => {
        const actual = read(row, resolved, source);
        return typeof actual === 'string' && pattern.test(actual);
      };
    }
  }
}

function compareForSort(a: unknown, b: unknown, field: FieldDef, descending: boolean, nullsLast: boolean): number {
  if (a === null || b === null) {
    if (a === b) return 0;
    return (a === null) === nullsLast ? 1 : -1;
  }
  const order = compareValues(a, b, field);
  return descending ? -order : order;
}

function recordUrl(objectName: string, id: unknown, apiVersion: string): string {
  return `/services/data/v${apiVersion}/sobjects/${objectName}/${String(id)}`;
}

function outputValue(value: unknown, field: FieldDef): unknown {
  if (value === null || value === undefined) return null;
  if (field.type === 'datetime' && typeof value === 'number') return formatDateTime(value);
  if (field.type === 'date' && typeof value === 'number') return formatDate(value);
  return value;
}

/** Shapes a row like the REST API: attributes first, then fields in SELECT order, relationships nested. */
export function project(row: Row, objectName: string, select: ResolvedField[], source: RecordSource, apiVersion: string): Row {
  const out: Row = { attributes: { type: objectName, url: recordUrl(objectName, row.Id, apiVersion) } };
  for (const resolved of select) {
    let target: Row = out;
    let current: Row | null = row;
    for (const reference of resolved.references) {
      const key = reference.relationshipName ?? reference.name;
      const id: unknown = current?.[reference.name];
      const related: { objectName: string; row: Row } | undefined = typeof id === 'string' ? source.get(id) : undefined;
      if (!related) {
        if (!(key in target)) target[key] = null;
        current = null;
        break;
      }
      const existing = target[key];
      const nested: Row = existing && typeof existing === 'object' ? (existing as Row) : { attributes: { type: related.objectName, url: recordUrl(related.objectName, related.row.Id, apiVersion) } };
      target[key] = nested;
      target = nested;
      current = related.row;
    }
    if (current) target[resolved.field.name] = outputValue(current[resolved.field.name], resolved.field);
  }
  return out;
}
