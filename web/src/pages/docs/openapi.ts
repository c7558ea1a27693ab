import { parse } from 'yaml';

// The parts of an OpenAPI 3.1 document the reference shows. The document is read as data, never
// trusted as markup: every text in it is rendered as text.

export interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  example?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  propertyNames?: Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

export interface MediaType {
  schema?: Schema;
  example?: unknown;
  examples?: Record<string, { summary?: string; value?: unknown }>;
}

export interface Header {
  $ref?: string;
  description?: string;
  required?: boolean;
  schema?: Schema;
}

export interface Response {
  $ref?: string;
  description?: string;
  headers?: Record<string, Header>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  $ref?: string;
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
  example?: unknown;
}

export interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; description?: string; content?: Record<string, MediaType> };
  responses?: Record<string, Response>;
  security?: Record<string, string[]>[];
  'x-roles'?: string[];
}

export interface Document {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: {
    schemas?: Record<string, Schema>;
    responses?: Record<string, Response>;
    headers?: Record<string, Header>;
    parameters?: Record<string, Parameter>;
    securitySchemes?: Record<string, { type: string; scheme?: string; bearerFormat?: string; description?: string }>;
  };
}

export const methods = ['get', 'put', 'post', 'delete', 'patch', 'options'] as const;

// parseDocument reads the document's YAML text.
export function parseDocument(text: string): Document {
  const doc = parse(text) as Document | null;
  if (!doc || typeof doc !== 'object' || typeof doc.openapi !== 'string' || !doc.paths) {
    throw new Error('not an OpenAPI document');
  }
  return doc;
}

// refName is the component a local $ref names ("#/components/schemas/Account" is Account).
export function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

// resolve follows a local $ref ("#/components/...") to what it names; other values are returned
// as they are.
export function resolve<T extends { $ref?: string }>(doc: Document, value: T): T {
  let v: T = value;
  for (let hops = 0; v.$ref && hops < 16; hops++) {
    const path = v.$ref.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = doc;
    for (const p of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
    if (!node || typeof node !== 'object') return v;
    v = node as T;
  }
  return v;
}

export interface OperationEntry {
  method: string;
  path: string;
  op: Operation;
  id: string; // the anchor of the operation on the page
}

// operationsByTag lists every operation under each of its tags, in the document's order of tags
// (tags used but not declared come last).
export function operationsByTag(doc: Document): { tag: string; description?: string; operations: OperationEntry[] }[] {
  const groups = new Map<string, OperationEntry[]>();
  for (const t of doc.tags ?? []) groups.set(t.name, []);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of methods) {
      const op = item[method];
      if (!op) continue;
      const entry = { method, path, op, id: `op-${op.operationId ?? `${method}-${path}`}` };
      for (const tag of op.tags?.length ? op.tags : ['default']) {
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag)!.push(entry);
      }
    }
  }
  const described = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
  return [...groups].filter(([, ops]) => ops.length > 0).map(([tag, operations]) => ({ tag, description: described.get(tag), operations }));
}

export interface ProblemCode {
  code: string;
  statuses: string[]; // the statuses documented with this code, ascending
  meaning?: string; // what the Code schema's description says of it, in parentheses after its name
}

// problemCodes lists the Code schema's values with the statuses whose descriptions name them
// (a response described as "`insufficient_funds`: ..." answers with that code).
export function problemCodes(doc: Document): { description?: string; codes: ProblemCode[] } {
  const schema = doc.components?.schemas?.Code;
  const values = (schema?.enum ?? []).filter((v): v is string => typeof v === 'string');
  const statuses = new Map<string, Set<string>>(values.map((v) => [v, new Set()]));
  const note = (status: string, text: string | undefined) => {
    for (const m of (text ?? '').matchAll(/`([a-z_]+)`/g)) statuses.get(m[1]!)?.add(status);
  };
  for (const item of Object.values(doc.paths)) {
    for (const method of methods) {
      for (const [status, r] of Object.entries(item[method]?.responses ?? {})) {
        if (/^[45]\d\d$/.test(status)) note(status, resolve(doc, r).description);
      }
    }
  }
  return {
    description: schema?.description,
    codes: values.map((code) => ({ code, statuses: [...statuses.get(code)!].sort(), meaning: aside(schema?.description ?? '', code) })),
  };
}

// aside is the parenthesis that follows `code` in text ("`hold_expired` (the reserved funds
// expired ...)"), nested parentheses included.
export function aside(text: string, code: string): string | undefined {
  const at = text.indexOf(`\`${code}\` (`);
  if (at < 0) return undefined;
  const start = at + code.length + 4;
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) return text.slice(start, i).replace(/\s+/g, ' ');
  }
  return undefined;
}

// merged reads an allOf as one object schema: its parts' properties and required fields together.
export function merged(doc: Document, schema: Schema): Schema {
  const s = resolve(doc, schema);
  if (!s.allOf) return s;
  const out: Schema = { ...s, properties: { ...s.properties }, required: [...(s.required ?? [])] };
  delete out.allOf;
  for (const part of s.allOf) {
    const p = merged(doc, part);
    Object.assign(out.properties!, p.properties);
    out.required!.push(...(p.required ?? []));
    out.type ??= p.type;
    out.description ??= p.description;
  }
  return out;
}

// types lists a schema's JSON types: its type (one or several), or what its keywords imply.
export function types(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (s.type) return [s.type];
  if (s.properties || s.additionalProperties) return ['object'];
  if (s.items) return ['array'];
  return [];
}

// isObject tells a schema whose properties are worth a table of their own.
export function isObject(doc: Document, s: Schema): boolean {
  const m = merged(doc, s);
  return !!m.properties && Object.keys(m.properties).length > 0;
}

const formatSamples: Record<string, unknown> = {
  uuid: '3f2b8c1e-9d4a-4e6f-8b21-6c0d5a7e9f13',
  'date-time': '2026-01-31T12:00:00Z',
  date: '2026-01-31',
  uri: 'https://bank.example/',
  email: 'name@example.com',
};

// sample makes an example value of a schema: its own examples first, then its const, default or
// first enum value, then one built from its type and format.
export function sample(doc: Document, schema: Schema, depth = 0): unknown {
  const s = resolve(doc, schema);
  if (s.examples?.length) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  const e = s.enum?.find((v) => v !== null);
  if (e !== undefined) return e;
  if (s.allOf) return sample(doc, merged(doc, s), depth);
  const alt = (s.oneOf ?? s.anyOf)?.find((a) => !types(resolve(doc, a)).every((t) => t === 'null'));
  if (alt) return sample(doc, alt, depth);
  const type = types(s).find((t) => t !== 'null') ?? (types(s).includes('null') ? 'null' : 'object');
  switch (type) {
    case 'null':
      return null;
    case 'object': {
      if (depth > 6) return {};
      const out: Record<string, unknown> = {};
      for (const [name, p] of Object.entries(s.properties ?? {})) out[name] = sample(doc, p, depth + 1);
      if (!s.properties && typeof s.additionalProperties === 'object') {
        const key = s.propertyNames ? sample(doc, s.propertyNames, depth + 1) : 'key';
        out[String(key)] = sample(doc, s.additionalProperties, depth + 1);
      }
      return out;
    }
    case 'array':
      return depth > 6 || !s.items ? [] : [sample(doc, s.items, depth + 1)];
    case 'string':
      return (s.format && formatSamples[s.format]) ?? 'string';
    case 'integer':
    case 'number':
      return s.minimum ?? 0;
    case 'boolean':
      return true;
  }
  return null;
}

// examplesOf lists a media type's examples by name, or one made from its schema.
export function examplesOf(doc: Document, media: MediaType): { name: string; value: unknown; made: boolean }[] {
  if (media.examples && Object.keys(media.examples).length > 0) {
    return Object.entries(media.examples).map(([name, ex]) => ({ name: ex.summary ?? name, value: ex.value, made: false }));
  }
  if (media.example !== undefined) return [{ name: '', value: media.example, made: false }];
  if (!media.schema) return [];
  return [{ name: '', value: sample(doc, media.schema), made: true }];
}
