import { Fragment, useEffect, useState, type ReactNode } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';
import { NavLink } from 'react-router';
import { LanguageSwitch } from '../../ui/Layout';
import { Alert, Loading, Page } from '../../ui/kit';
import { Markdown } from './Markdown';
import {
  examplesOf,
  isObject,
  merged,
  operationsByTag,
  parseDocument,
  problemCodes,
  refName,
  resolve,
  types,
  type Document,
  type MediaType,
  type OperationEntry,
  type Parameter,
  type Response,
  type Schema,
} from './openapi';
import './docs.css';

// The document is the same for every reader and no session's data, so it is kept here rather than
// in the query cache, which the app clears whenever nobody is signed in.
let loading: Promise<Document> | undefined;

function loadDocument(): Promise<Document> {
  loading ??= fetch('/openapi.yaml', { headers: { Accept: 'application/yaml' } })
    .then(async (res) => {
      if (!res.ok) throw new Error(`GET /openapi.yaml: ${res.status}`);
      return parseDocument(await res.text());
    })
    .catch((err: unknown) => {
      loading = undefined; // the next visit tries again
      throw err;
    });
  return loading;
}

function useDocument(): { doc?: Document; error?: unknown } {
  const [state, setState] = useState<{ doc?: Document; error?: unknown }>({});
  useEffect(() => {
    let live = true;
    loadDocument().then(
      (doc) => live && setState({ doc }),
      (error: unknown) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

// ApiDocs is the API's reference at /docs: the OpenAPI document the API serves at /openapi.yaml,
// read in the browser and shown by tag, with each operation's roles, parameters, bodies, responses
// and examples, the problem codes and the schemas. It loads only when opened. The heavier parts
// open on demand, so that even a large document makes a page quick to show and to scan.
export default function ApiDocs() {
  const intl = useIntl();
  const { doc, error } = useDocument();
  // A link to a part of the reference goes there once the document has been read, and a link to an
  // operation or a schema opens its details.
  useEffect(() => {
    if (!doc) return;
    const visit = () => {
      const el = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (!el) return;
      const details = el.closest('article')?.querySelector<HTMLDetailsElement>(':scope > details');
      if (details && !details.open) details.open = true;
      el.scrollIntoView();
    };
    visit();
    window.addEventListener('hashchange', visit);
    return () => window.removeEventListener('hashchange', visit);
  }, [doc]);
  return (
    <>
      <a className="skip-link" href="#main">
        <FormattedMessage id="skip" />
      </a>
      <header className="topbar">
        <NavLink to="/" className="brand">
          <FormattedMessage id="app.name" />
        </NavLink>
        <div className="topbar-end">
          <LanguageSwitch />
        </div>
      </header>
      <div className="docs-layout">
        {doc && <Contents doc={doc} />}
        <main id="main" className="docs-main">
          <Page title={intl.formatMessage({ id: 'docs.title' })}>
            {error ? (
              <Alert>
                <FormattedMessage id="docs.error" />
              </Alert>
            ) : doc ? (
              <Reference doc={doc} />
            ) : (
              <Loading />
            )}
          </Page>
        </main>
      </div>
    </>
  );
}

function Contents({ doc }: { doc: Document }) {
  const intl = useIntl();
  return (
    <nav className="docs-toc" aria-label={intl.formatMessage({ id: 'docs.contents' })}>
      <ul>
        <li>
          <a href="#overview">
            <FormattedMessage id="docs.overview" />
          </a>
        </li>
        {operationsByTag(doc).map((g) => (
          <li key={g.tag}>
            <a href={`#tag-${g.tag}`}>{g.tag}</a>
            <ul>
              {g.operations.map((o) => (
                <li key={o.id}>
                  <a href={`#${o.id}`}>
                    <Method method={o.method} />{' '}
                    <span>
                      <Path path={o.path} />
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          </li>
        ))}
        <li>
          <a href="#problem-codes">
            <FormattedMessage id="docs.problems.title" />
          </a>
        </li>
        <li>
          <a href="#schemas">
            <FormattedMessage id="docs.schemas" />
          </a>
        </li>
      </ul>
    </nav>
  );
}

function Reference({ doc }: { doc: Document }) {
  return (
    <>
      <section className="docs-section" aria-labelledby="overview">
        <h2 id="overview" tabIndex={-1}>
          {doc.info.title}
        </h2>
        <p className="muted">
          <FormattedMessage id="docs.version" values={{ version: doc.info.version, openapi: doc.openapi }} />{' '}
          <a href="/openapi.yaml">
            <FormattedMessage id="docs.download" />
          </a>
        </p>
        <p className="hint">
          <FormattedMessage id="docs.asWritten" />
        </p>
        <Markdown text={doc.info.description} />
        {doc.servers?.map((s) => (
          <p key={s.url}>
            <FormattedMessage id="docs.server" />: <code>{s.url}</code>
          </p>
        ))}
        {Object.entries(doc.components?.securitySchemes ?? {}).map(([name, s]) => (
          <Fragment key={name}>
            <h3>
              <FormattedMessage id="docs.auth" />: <code>{name}</code> ({[s.type, s.scheme, s.bearerFormat].filter(Boolean).join(', ')})
            </h3>
            <Markdown text={s.description} />
          </Fragment>
        ))}
      </section>
      {operationsByTag(doc).map((g) => (
        <section key={g.tag} className="docs-section" aria-labelledby={`tag-${g.tag}`}>
          <h2 id={`tag-${g.tag}`} tabIndex={-1}>
            {g.tag}
          </h2>
          <Markdown text={g.description} />
          {g.operations.map((o) => (
            <OperationView key={o.id} doc={doc} entry={o} />
          ))}
        </section>
      ))}
      <ProblemCodes doc={doc} />
      <Schemas doc={doc} />
    </>
  );
}

// Path lets a long path break after its slashes, never inside a segment.
function Path({ path }: { path: string }) {
  return (
    <>
      {path.split('/').map((seg, i) => (
        <Fragment key={i}>
          {i > 0 && (
            <>
              /<wbr />
            </>
          )}
          {seg}
        </Fragment>
      ))}
    </>
  );
}

function Method({ method }: { method: string }) {
  return <span className={`docs-method docs-method-${method}`}>{method.toUpperCase()}</span>;
}

// OperationView shows an operation's path, summary and roles, and on demand its description,
// parameters, request body and responses (a link to the operation opens them).
function OperationView({ doc, entry }: { doc: Document; entry: OperationEntry }) {
  const intl = useIntl();
  const { op, method, path } = entry;
  const params = (op.parameters ?? []).map((p) => resolve(doc, p));
  const secured = op.security ? op.security.some((s) => Object.keys(s).length > 0) : true;
  const body = op.requestBody;
  return (
    <article className="docs-op card" aria-labelledby={entry.id}>
      <h3 id={entry.id} tabIndex={-1} className="docs-op-title">
        <Method method={method} /> <span className="docs-path">
          <Path path={path} />
        </span>
      </h3>
      {op.summary && <p className="docs-summary">{op.summary}</p>}
      {op['x-roles'] && (
        <p>
          <FormattedMessage id="docs.roles" />:{' '}
          {op['x-roles'].map((r) => (
            <Fragment key={r}>
              <span className="badge badge-neutral docs-role">{r}</span>{' '}
            </Fragment>
          ))}
          <span className="muted">
            <FormattedMessage id={secured ? 'docs.auth.bearer' : 'docs.auth.none'} />
          </span>
        </p>
      )}
      <Disclosure className="docs-op-details" summary={intl.formatMessage({ id: 'docs.opDetails' })}>
        {() => (
          <>
            <Markdown text={op.description} />
            {params.length > 0 && (
              <>
                <h4>
                  <FormattedMessage id="docs.parameters" />
                </h4>
                <Parameters doc={doc} params={params} />
              </>
            )}
            {body?.content && (
              <>
                <h4>
                  <FormattedMessage id="docs.requestBody" />
                  {body.required && (
                    <>
                      {' '}
                      <Required />
                    </>
                  )}
                </h4>
                <Markdown text={body.description} />
                {Object.entries(body.content).map(([type, media]) => (
                  <Content key={type} doc={doc} type={type} media={media} expand />
                ))}
              </>
            )}
            <h4>
              <FormattedMessage id="docs.responses" />
            </h4>
            {Object.entries(op.responses ?? {}).map(([status, r]) => (
              <ResponseView key={status} doc={doc} status={status} response={resolve(doc, r)} />
            ))}
          </>
        )}
      </Disclosure>
    </article>
  );
}

function Required() {
  return (
    <span className="docs-required">
      <FormattedMessage id="docs.required" />
    </span>
  );
}

function Parameters({ doc, params }: { doc: Document; params: Parameter[] }) {
  return (
    <table className="docs-table">
      <thead>
        <tr>
          <th scope="col">
            <FormattedMessage id="docs.col.name" />
          </th>
          <th scope="col">
            <FormattedMessage id="docs.col.description" />
          </th>
        </tr>
      </thead>
      <tbody>
        {params.map((p) => (
          <tr key={`${p.in}-${p.name}`}>
            <td>
              <code>{p.name}</code>
              {p.required && (
                <>
                  {' '}
                  <Required />
                </>
              )}
              <div className="docs-meta">
                {p.in}
                {p.schema && (
                  <>
                    {' · '}
                    <TypeLabel doc={doc} schema={p.schema} />
                  </>
                )}
              </div>
            </td>
            <td>
              <Markdown text={p.description} />
              {p.schema && <Facts doc={doc} schema={p.schema} />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ResponseView({ doc, status, response }: { doc: Document; status: string; response: Response }) {
  const ok = /^[123]/.test(status);
  const headers = Object.entries(response.headers ?? {}).map(([name, h]) => [name, resolve(doc, h)] as const);
  return (
    <Disclosure
      className="docs-response"
      open={ok}
      summary={
        <>
          <span className={`docs-status docs-status-${status[0]}`}>{status}</span> <Markdown text={response.description} inline />
        </>
      }
    >
      {() => (
        <div className="docs-response-body">
          {headers.length > 0 && (
            <>
              <p className="docs-label">
                <FormattedMessage id="docs.headers" />:
              </p>
              <dl className="dl docs-headers">
                {headers.map(([name, h]) => (
                  <Fragment key={name}>
                    <dt>
                      <code>{name}</code>
                    </dt>
                    <dd>
                      <Markdown text={h.description} inline /> {h.schema && <TypeLabel doc={doc} schema={h.schema} />}
                    </dd>
                  </Fragment>
                ))}
              </dl>
            </>
          )}
          {Object.entries(response.content ?? {}).map(([type, media]) => (
            <Content key={type} doc={doc} type={type} media={media} expand={ok} />
          ))}
        </div>
      )}
    </Disclosure>
  );
}

// Disclosure is a native <details>, keyboard-usable as it is, whose content is made only once it
// is opened: the reference stays a page of moderate size however large the document.
function Disclosure({ summary, open: initial = false, className, children }: { summary: ReactNode; open?: boolean; className: string; children: () => ReactNode }) {
  const [open, setOpen] = useState(initial);
  return (
    <details className={className} open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{summary}</summary>
      {open && children()}
    </details>
  );
}

// Content shows a body of one media type: its schema (in full when expand, else its name) and its
// examples.
function Content({ doc, type, media, expand }: { doc: Document; type: string; media: MediaType; expand: boolean }) {
  const intl = useIntl();
  const json = type.endsWith('json');
  const examples = json ? examplesOf(doc, media) : [];
  return (
    <div className="docs-content">
      <p>
        <FormattedMessage id="docs.contentType" />: <code>{type}</code>
        {media.schema && (
          <>
            {' '}
            · <TypeLabel doc={doc} schema={media.schema} />
          </>
        )}
      </p>
      {expand && media.schema && <SchemaView doc={doc} schema={media.schema} />}
      {expand &&
        examples.map((ex, i) => (
          <Disclosure
            key={i}
            className="docs-example"
            summary={
              ex.made
                ? intl.formatMessage({ id: 'docs.exampleMade' })
                : ex.name
                  ? intl.formatMessage({ id: 'docs.exampleNamed' }, { name: ex.name })
                  : intl.formatMessage({ id: 'docs.example' })
            }
          >
            {() => (
              <pre>
                <code>{JSON.stringify(ex.value, null, 2)}</code>
              </pre>
            )}
          </Disclosure>
        ))}
    </div>
  );
}

// TypeLabel names a schema's type in a few words: a component by its name (a link to it), an array
// as its items' type followed by [], alternatives joined by |, a format in parentheses.
function TypeLabel({ doc, schema }: { doc: Document; schema: Schema }): ReactNode {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return (
      <a href={`#schema-${name}`} className="docs-ref">
        {name}
      </a>
    );
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return join(alternatives.map((a, i) => <TypeLabel key={i} doc={doc} schema={a} />), ' | ');
  if (schema.allOf) return join(schema.allOf.map((a, i) => <TypeLabel key={i} doc={doc} schema={a} />), ' & ');
  const ts = types(schema);
  if (ts.length === 0) return <span className="docs-type">any</span>;
  return join(
    ts.map((t) =>
      t === 'array' && schema.items ? (
        <span key={t} className="docs-type">
          <TypeLabel doc={doc} schema={schema.items} />
          []
        </span>
      ) : (
        <span key={t} className="docs-type">
          {t}
          {schema.format && t !== 'null' ? ` (${schema.format})` : ''}
        </span>
      ),
    ),
    ' | ',
  );
}

function join(parts: ReactNode[], sep: string): ReactNode {
  return parts.map((p, i) => (
    <Fragment key={i}>
      {i > 0 && sep}
      {p}
    </Fragment>
  ));
}

// Facts lists a schema's constraints and example under its description.
function Facts({ doc, schema }: { doc: Document; schema: Schema }) {
  const s = schema.$ref ? null : schema;
  if (!s) return null;
  const facts: [string, ReactNode][] = [];
  const literal = (v: unknown) => <code>{JSON.stringify(v)}</code>;
  if (s.enum) facts.push(['docs.values', join(s.enum.map((v, i) => <Fragment key={i}>{literal(v)}</Fragment>), ', ')]);
  if (s.const !== undefined) facts.push(['docs.values', literal(s.const)]);
  if (s.pattern) facts.push(['docs.pattern', <code key="p">{s.pattern}</code>]);
  if (s.minimum !== undefined) facts.push(['docs.minimum', s.minimum]);
  if (s.maximum !== undefined) facts.push(['docs.maximum', s.maximum]);
  if (s.minLength !== undefined) facts.push(['docs.minLength', s.minLength]);
  if (s.maxLength !== undefined) facts.push(['docs.maxLength', s.maxLength]);
  if (s.default !== undefined) facts.push(['docs.default', literal(s.default)]);
  if (s.examples?.length) facts.push(['docs.example', join(s.examples.map((v, i) => <Fragment key={i}>{literal(v)}</Fragment>), ', ')]);
  else if (s.example !== undefined) facts.push(['docs.example', literal(s.example)]);
  if (s.propertyNames) facts.push(['docs.otherKeys', <TypeLabel key="k" doc={doc} schema={s.propertyNames} />]);
  if (facts.length === 0) return null;
  return (
    <ul className="docs-facts">
      {facts.map(([id, v], i) => (
        <li key={i}>
          <FormattedMessage id={id} />: {v}
        </li>
      ))}
    </ul>
  );
}

// SchemaView shows a schema in full: an object as a table of its properties (inline objects among
// them nested, components linked), alternatives one by one, anything else by its type and facts.
function SchemaView({ doc, schema, depth = 0 }: { doc: Document; schema: Schema; depth?: number }) {
  const intl = useIntl();
  const s = resolve(doc, schema);
  if (isObject(doc, s)) {
    const m = merged(doc, s);
    const required = new Set(m.required ?? []);
    const other = typeof m.additionalProperties === 'object' ? m.additionalProperties : null;
    return (
      <>
        {depth === 0 && schema.$ref && <Markdown text={m.description} />}
        <table className="docs-table">
          <thead>
            <tr>
              <th scope="col">
                <FormattedMessage id="docs.col.name" />
              </th>
              <th scope="col">
                <FormattedMessage id="docs.col.description" />
              </th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(m.properties ?? {}).map(([name, p]) => {
              const inline = nestedObject(doc, p);
              return (
                <tr key={name}>
                  <td>
                    <code>{name}</code>
                    {required.has(name) && (
                      <>
                        {' '}
                        <Required />
                      </>
                    )}
                    <div className="docs-meta">
                      <TypeLabel doc={doc} schema={p} />
                    </div>
                  </td>
                  <td>
                    <Markdown text={p.description} />
                    <Facts doc={doc} schema={p} />
                    {inline && depth < 4 && (
                      <Disclosure className="docs-nested" summary={intl.formatMessage({ id: 'docs.properties' }, { name })}>
                        {() => <SchemaView doc={doc} schema={inline} depth={depth + 1} />}
                      </Disclosure>
                    )}
                  </td>
                </tr>
              );
            })}
            {other && (
              <tr>
                <td>
                  <FormattedMessage id="docs.otherKeys" />
                  <div className="docs-meta">
                    <TypeLabel doc={doc} schema={other} />
                  </div>
                </td>
                <td>
                  <Markdown text={other.description} />
                  <Facts doc={doc} schema={other} />
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </>
    );
  }
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) {
    return (
      <>
        {schema.$ref && <Markdown text={s.description} />}
        <p>
          <FormattedMessage id="docs.oneOf" />:
        </p>
        <ul className="docs-alternatives">
          {alternatives.map((a, i) => (
            <li key={i}>
              <TypeLabel doc={doc} schema={a} /> <Markdown text={resolve(doc, a).description} inline />
              <Facts doc={doc} schema={a} />
            </li>
          ))}
        </ul>
      </>
    );
  }
  if (s.items && isObject(doc, s.items) && !s.items.$ref && depth < 4) return <SchemaView doc={doc} schema={s.items} depth={depth + 1} />;
  return (
    <>
      {schema.$ref && <Markdown text={s.description} />}
      <Facts doc={doc} schema={s} />
    </>
  );
}

// nestedObject is the inline object schema a property holds, directly or as its items, which has no
// page of its own to link to.
function nestedObject(doc: Document, p: Schema): Schema | null {
  if (p.$ref) return null;
  if (isObject(doc, p) || (p.oneOf ?? p.anyOf)?.some((a) => !a.$ref && isObject(doc, a))) return p;
  if (p.items && !p.items.$ref && isObject(doc, p.items)) return p.items;
  if (typeof p.additionalProperties === 'object' && !p.additionalProperties.$ref && isObject(doc, p.additionalProperties)) return p.additionalProperties;
  return null;
}

function ProblemCodes({ doc }: { doc: Document }) {
  const { description, codes } = problemCodes(doc);
  return (
    <section className="docs-section" aria-labelledby="problem-codes">
      <h2 id="problem-codes" tabIndex={-1}>
        <FormattedMessage id="docs.problems.title" />
      </h2>
      <p>
        <FormattedMessage id="docs.problems.intro" />{' '}
        <FormattedMessage id="docs.problems.outcome" />
      </p>
      <Markdown text={description} />
      <table className="docs-table docs-codes">
        <thead>
          <tr>
            <th scope="col">
              <FormattedMessage id="docs.col.code" />
            </th>
            <th scope="col">
              <FormattedMessage id="docs.col.statuses" />
            </th>
            <th scope="col">
              <FormattedMessage id="docs.col.meaning" />
            </th>
          </tr>
        </thead>
        <tbody>
          {codes.map((c) => (
            <tr key={c.code} id={`code-${c.code}`}>
              <td>
                <code>{c.code}</code>
              </td>
              <td>{c.statuses.length > 0 ? c.statuses.join(', ') : '—'}</td>
              <td>
                <Markdown text={c.meaning} inline />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// Schemas lists every component schema with its description; an object's properties open on
// demand (a link to the schema opens them).
function Schemas({ doc }: { doc: Document }) {
  const intl = useIntl();
  const schemas = Object.entries(doc.components?.schemas ?? {});
  return (
    <section className="docs-section" aria-labelledby="schemas">
      <h2 id="schemas" tabIndex={-1}>
        <FormattedMessage id="docs.schemas" />
      </h2>
      {schemas.map(([name, s]) => (
        <article key={name} className="docs-schema card" aria-labelledby={`schema-${name}`}>
          <h3 id={`schema-${name}`} tabIndex={-1}>
            {name} <span className="docs-schema-type">{isObject(doc, s) ? 'object' : <TypeLabel doc={doc} schema={s} />}</span>
          </h3>
          <Markdown text={s.description} />
          {isObject(doc, s) ? (
            <Disclosure className="docs-nested" summary={intl.formatMessage({ id: 'docs.properties' }, { name })}>
              {() => <SchemaView doc={doc} schema={s} depth={1} />}
            </Disclosure>
          ) : (
            <SchemaView doc={doc} schema={s} depth={1} />
          )}
        </article>
      ))}
    </section>
  );
}
