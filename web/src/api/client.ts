import createClient, { type Middleware } from 'openapi-fetch';
import { parseJSON, stringifyJSON } from './json';
import { ApiError, isProblem } from './problem';
import type { paths } from './schema';
import { session } from './session';

// A Response whose json() reads int64s as bigints.
class Int64Response extends Response {
  override async json(): Promise<unknown> {
    const text = await this.text();
    return text === '' ? undefined : parseJSON(text);
  }
}

// int64Fetch answers with an Int64Response. Its body is read whole first and its length set:
// openapi-fetch parses a body without Content-Length (a chunked or streamed answer) with a plain
// JSON.parse instead of calling json(), which would read amounts as JS numbers.
export async function int64Fetch(input: Request): Promise<Response> {
  const res = await globalThis.fetch(input);
  if (res.status === 204 || res.status === 304 || input.method === 'HEAD') {
    return new Int64Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
  }
  const body = new Uint8Array(await res.arrayBuffer());
  const headers = new Headers(res.headers);
  headers.set('Content-Length', String(body.byteLength));
  headers.delete('Content-Encoding');
  headers.delete('Transfer-Encoding');
  return new Int64Response(body, { status: res.status, statusText: res.statusText, headers });
}

const options = { baseUrl: '', fetch: int64Fetch, bodySerializer: stringifyJSON };

// bare calls the API without credentials: sign-in, sign-up, and the session's own refresh.
export const bare = createClient<paths>(options);

// Requests are kept until answered, so one refused for an expired access token can be sent again
// once the session has a new one.
const retries = new Map<string, Request>();

const authenticate: Middleware = {
  async onRequest({ request, id }) {
    const token = await session.accessToken();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    retries.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const retry = retries.get(id);
    retries.delete(id);
    if (response.status !== 401 || !retry) return response;
    // The access token expired or the session ended: one refresh, one retry; a second refusal
    // signs the user out.
    if (!(await session.refresh())) {
      session.signedOut();
      return response;
    }
    const token = await session.accessToken();
    if (token) retry.headers.set('Authorization', `Bearer ${token}`);
    const again = await int64Fetch(retry);
    if (again.status === 401) session.signedOut();
    return again;
  },
  onError({ id }) {
    retries.delete(id);
  },
};

// api calls the API as the signed-in user.
export const api = createClient<paths>(options);
api.use(authenticate);

// downloadFile downloads a file the API serves to the signed-in user (a CSV statement or report) and
// hands it to the browser as a download named name.
export async function downloadFile(path: string, name: string): Promise<void> {
  const send = async () => {
    const token = await session.accessToken();
    return globalThis.fetch(path, { headers: token ? { Authorization: `Bearer ${token}`, Accept: 'text/csv' } : {} });
  };
  let res = await send();
  if (res.status === 401 && (await session.refresh())) res = await send();
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => undefined);
    throw new ApiError(res.status, isProblem(body) ? body : undefined);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
