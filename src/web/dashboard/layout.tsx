/** The page frame: navigation by role, who is logged in, logout; scripts and styles from /assets (no CDN). */
import type { Child } from 'hono/jsx';
import { allows, type Role } from '../../auth/roles.ts';
import { ActionForm } from './components.tsx';
import type { DashboardSession } from './sessions.ts';

const NAV: Array<{ href: string; label: string; role: Role }> = [
  { href: '/', label: 'Overview', role: 'viewer' },
  { href: '/connections', label: 'Connections', role: 'viewer' },
  { href: '/datasets', label: 'Datasets', role: 'viewer' },
  { href: '/runs', label: 'Runs', role: 'viewer' },
  { href: '/models', label: 'Models', role: 'viewer' },
  { href: '/drafts', label: 'Drafts & reviews', role: 'viewer' },
  { href: '/alerts', label: 'Alerts', role: 'compliance' },
  { href: '/audit', label: 'Audit log', role: 'compliance' },
];

function Head(props: { title: string; scripts?: string[] | undefined; styles?: string[] | undefined }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {/* htmx must not inject an inline <style>: the Content-Security-Policy forbids inline code. */}
      <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false}' />
      <title>{props.title} · tuneloop</title>
      <link rel="stylesheet" href="/assets/dashboard.css" />
      {(props.styles ?? []).map((href) => (
        <link rel="stylesheet" href={href} />
      ))}
      <script src="/assets/htmx.min.js" defer></script>
      <script src="/assets/dashboard.js" defer></script>
      {(props.scripts ?? []).map((src) => (
        <script src={src} defer></script>
      ))}
    </head>
  );
}

export function Layout(props: { title: string; session: DashboardSession; path: string; children: Child; scripts?: string[]; styles?: string[] }) {
  const { session } = props;
  const active = (href: string) => (href === '/' ? props.path === '/' : props.path === href || props.path.startsWith(`${href}/`));
  return (
    <html lang="en">
      <Head title={props.title} scripts={props.scripts} styles={props.styles} />
      <body hx-headers={JSON.stringify({ 'X-CSRF-Token': session.csrf })}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <strong class="brand">tuneloop</strong>
          <nav aria-label="Main">
            <ul>
              {NAV.filter((item) => allows(session.token.roles, item.role)).map((item) => (
                <li>
                  <a href={item.href} aria-current={active(item.href) ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span title="token name and roles">
              {session.token.name} · {session.token.roles.join(', ')}
            </span>
            <ActionForm action="/logout" csrf={session.csrf}>
              <button type="submit" class="link">
                Log out
              </button>
            </ActionForm>
          </div>
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A page without a session: the login form and error pages. */
export function Bare(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <Head title={props.title} />
      <body>
        <main id="main" class="narrow">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}
