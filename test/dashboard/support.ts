/** Logging in to the dashboard through its own forms, as a browser would, for app.request() tests. */
type Requester = { request: (path: string, init?: RequestInit) => Response | Promise<Response> };

/** name=value pairs of the Set-Cookie headers of a response. */
export function cookiesOf(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair?.indexOf('=') ?? -1;
    if (pair && at > 0) out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** The CSRF token a page's forms carry. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF field on the page');
  return match[1];
}

export function form(values: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(values).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
}

export interface Browserish {
  cookie: string;
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, values: Record<string, string>, options?: { csrf?: string | null }): Promise<Response>;
}

/** Logs in with `token`; returns a client that sends the session cookie and the page's CSRF token. */
export async function login(app: Requester, token: string): Promise<Browserish> {
  const page = await app.request('/login');
  const loginCookie = cookiesOf(page).tl_login_csrf ?? '';
  const response = await app.request('/login', { method: 'POST', ...withCookie(form({ token, _csrf: csrfOf(await page.text()) }), `tl_login_csrf=${loginCookie}`) });
  if (response.status !== 303) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const cookie = `tl_session=${cookiesOf(response).tl_session}`;
  const overview = await app.request('/', { headers: { cookie } });
  const csrf = csrfOf(await overview.text());
  return {
    cookie,
    csrf,
    get: async (path, headers = {}) => app.request(path, { headers: { cookie, ...headers } }),
    post: async (path, values, options = {}) => {
      const token = options.csrf === undefined ? csrf : options.csrf;
      return app.request(path, { method: 'POST', ...withCookie(form(token === null ? values : { ...values, _csrf: token }), cookie) });
    },
  };
}

function withCookie(init: { body: string; headers: Record<string, string> }, cookie: string) {
  return { body: init.body, headers: { ...init.headers, cookie } };
}
