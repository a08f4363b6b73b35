/**
 * Shared files' bytes at their url_private / url_private_download, as Slack serves them: only
 * with a bot token that has files:read in the Authorization header
 * (https://docs.slack.dev/messaging/working-with-files#authenticating). Anything else gets what
 * Slack answers then: its sign-in page, as HTML with status 200, not an error status.
 */
import { Hono, type Context } from 'hono';
import type { SandboxState } from './state.ts';

const SIGN_IN_PAGE = '<!DOCTYPE html><html><head><title>Slack</title></head><body><h1>Sign in to Example Shop Support</h1><form action="/signin" method="post"><input name="email"></form></body></html>';

export function fileRoutes(state: SandboxState): Hono {
  const app = new Hono();
  const serve = (teamFile: string, token: string) => {
    const fileId = teamFile.split('-')[1] ?? '';
    const grant = state.tokens.get(token);
    if (!grant || grant.revoked || grant.type !== 'bot' || !grant.scopes.has('files:read')) return { fileId, file: null, refused: true };
    for (const channel of state.store.channels.values()) {
      for (const message of channel.byTs.values()) {
        const file = message.files.find((f) => f.id === fileId);
        if (file?.content) return { fileId, file, refused: false };
      }
    }
    return { fileId, file: null, refused: false };
  };
  const handler = (download: boolean) => (c: Context) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const { fileId, file, refused } = serve(c.req.param('teamFile') ?? '', token);
    state.store.fileDownloads.push({ fileId, served: Boolean(file) });
    if (refused) return c.html(SIGN_IN_PAGE, 200);
    if (!file?.content) return c.text('file_not_found', 404);
    return c.body(new Uint8Array(file.content), 200, {
      'Content-Type': file.mimetype,
      'Content-Length': String(file.content.byteLength),
      ...(download ? { 'Content-Disposition': `attachment; filename="${encodeURIComponent(file.name)}"` } : {}),
    });
  };
  app.get('/files-pri/:teamFile/download/:name', handler(true));
  app.get('/files-pri/:teamFile/:name', handler(false));
  return app;
}
