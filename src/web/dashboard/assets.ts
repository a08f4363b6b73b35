/**
 * /assets: htmx and uPlot from node_modules (no CDN, no build step) and the dashboard's own small
 * scripts and stylesheet. Read once, then served from memory.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);
const own = (name: string) => new URL(`./assets/${name}`, import.meta.url);

const FILES: Record<string, { path: string | URL; type: string }> = {
  'htmx.min.js': { path: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript' },
  'uplot.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
  'uplot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
  'dashboard.css': { path: own('dashboard.css'), type: 'text/css' },
  'dashboard.js': { path: own('dashboard.js'), type: 'text/javascript' },
  'run-chart.js': { path: own('run-chart.js'), type: 'text/javascript' },
  'review-keys.js': { path: own('review-keys.js'), type: 'text/javascript' },
};

const cache = new Map<string, string>();

export function assetRoutes() {
  const app = new Hono();
  app.get('/:name', (c) => {
    const name = c.req.param('name');
    const file = FILES[name];
    if (!file) return c.text('no such asset', 404);
    let body = cache.get(name);
    if (body === undefined) {
      body = readFileSync(file.path, 'utf8');
      cache.set(name, body);
    }
    c.header('Content-Type', `${file.type}; charset=utf-8`);
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(body);
  });
  return app;
}
