import { html } from 'hono/html';
import type { DashboardUser } from '../auth.ts';

/** What Hono's escaping `html` template gives back; interpolated values are escaped unless wrapped in raw(). */
export type Html = ReturnType<typeof html>;

export const BRAND = 'Open-Claw-Fleet-Command-Center';

export type Section = 'overview' | 'org' | 'agents' | 'activity' | 'tasks' | 'shards';

/** `tasks`: shown only when the dashboard has the tasks service (a router without it keeps the other pages). */
const NAV: ReadonlyArray<{ section: Section; label: string; href: string; admin?: boolean; tasks?: boolean }> = [
  { section: 'overview', label: 'Overview', href: '/dashboard/' },
  { section: 'org', label: 'Org chart', href: '/dashboard/org' },
  { section: 'agents', label: 'Agents', href: '/dashboard/agents' },
  { section: 'activity', label: 'Activity', href: '/dashboard/activity' },
  { section: 'tasks', label: 'Tasks', href: '/dashboard/tasks', tasks: true },
  { section: 'shards', label: 'Shards', href: '/dashboard/shards', admin: true },
];

function head(title: string): Html {
  return html`<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="dark">
    <title>${title} · ${BRAND}</title>
    <link rel="icon" type="image/svg+xml" href="/logo.svg">
    <link rel="stylesheet" href="/dashboard/static/dashboard.css">
  </head>`;
}

const brand = html`<a class="brand" href="/dashboard/"><img src="/logo.svg" alt="" width="30" height="30"><span>${BRAND}</span></a>`;

/** Every signed-in page: the header with the sections this person may open, then the page. */
export function page(opts: { title: string; section: Section; user: DashboardUser; body: Html; scripts?: string[]; tasks?: boolean }): Html {
  const links = NAV.filter((n) => (!n.admin || opts.user.admin) && (!n.tasks || opts.tasks));
  return html`<!DOCTYPE html>
<html lang="en">
  ${head(opts.title)}
  <body>
    <header class="top">
      ${brand}
      <nav>${links.map((n) => html`<a href="${n.href}" class="${n.section === opts.section ? 'active' : ''}">${n.label}</a>`)}</nav>
      <div class="me">
        <a class="chat-link" href="/">Web chat</a>
        <span class="who" title="${opts.user.userId}">${opts.user.name}${opts.user.admin ? html` <span class="pill admin">admin</span>` : ''}</span>
        <form method="post" action="/dashboard/logout"><button type="submit" class="ghost">Log out</button></form>
      </div>
    </header>
    <main>
      <h1>${opts.title}</h1>
      ${opts.body}
    </main>
    ${(opts.scripts ?? []).map((s) => html`<script src="/dashboard/static/${s}" defer></script>`)}
  </body>
</html>`;
}

/** The one page without a session. */
export function loginPage(opts: { error?: string; next: string; user?: string }): Html {
  return html`<!DOCTYPE html>
<html lang="en">
  ${head('Sign in')}
  <body class="login">
    <form class="login-card" method="post" action="/dashboard/login">
      <img src="/logo.svg" alt="" width="72" height="72">
      <h1>${BRAND}</h1>
      <p class="muted">Sign in with your Matrix account on the company's homeserver.</p>
      ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
      <input type="hidden" name="next" value="${opts.next}">
      <label>User <input name="user" autocomplete="username" placeholder="morgan.blake" value="${opts.user ?? ''}" required autofocus></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
    </form>
  </body>
</html>`;
}

export function errorPage(opts: { user: DashboardUser; title: string; message: string; tasks?: boolean }): Html {
  return page({ title: opts.title, section: 'overview', user: opts.user, body: html`<p class="card">${opts.message}</p>`, ...(opts.tasks ? { tasks: true } : {}) });
}
