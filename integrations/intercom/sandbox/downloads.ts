/**
 * Attachment downloads as Intercom serves them: an attachment's `url` is a signed link on
 * Intercom's file host (downloads.intercomcdn.com), valid for a while and good without the access
 * token; an expired or altered link answers 403. The sandbox serves the same kind of link on its
 * own origin, with an HMAC over the path and the expiry time.
 * https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/conversation (attachments: url)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';

/** What a link serves: a stored attachment (store.ts), kept apart here so the two files do not import each other. */
interface LinkedFile {
  name: string;
  contentType: string;
  content?: Uint8Array;
}

/** How long a link stays good after the conversation was read. */
const LINK_TTL_S = 3600;

export class DownloadLinks {
  private readonly secret = randomBytes(32);
  private readonly keys = new WeakMap<LinkedFile, string>();
  private readonly byKey = new Map<string, LinkedFile>();
  /** Downloads answered, for tests: which links were fetched and with what Authorization header. */
  readonly served: Array<{ key: string; status: number; authorization: string | null }> = [];

  private keyOf(attachment: LinkedFile): string {
    let key = this.keys.get(attachment);
    if (!key) {
      key = String(1_000_000 + this.byKey.size);
      this.keys.set(attachment, key);
      this.byKey.set(key, attachment);
    }
    return key;
  }

  private sign(path: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${path}?${expires}`).digest('hex');
  }

  url(origin: string, attachment: LinkedFile, nowMs = Date.now()): string {
    const path = `/i/o/${this.keyOf(attachment)}/${encodeURIComponent(attachment.name)}`;
    const expires = Math.floor(nowMs / 1000) + LINK_TTL_S;
    return `${origin}/downloads${path}?expires=${expires}&signature=${this.sign(path, expires)}`;
  }

  routes(): Hono {
    const app = new Hono();
    app.get('/downloads/i/o/:key/:name', (c) => {
      const key = c.req.param('key');
      const answer = (status: 403 | 404, message: string) => {
        this.served.push({ key, status, authorization: c.req.header('authorization') ?? null });
        return c.text(message, status);
      };
      const path = `/i/o/${key}/${encodeURIComponent(c.req.param('name'))}`;
      const expires = Number(c.req.query('expires'));
      const given = Buffer.from(c.req.query('signature') ?? '', 'hex');
      const wanted = Buffer.from(this.sign(path, expires), 'hex');
      if (!Number.isInteger(expires) || given.length !== wanted.length || !timingSafeEqual(given, wanted)) return answer(403, 'AccessDenied: Request has an invalid signature');
      if (expires < Date.now() / 1000) return answer(403, 'AccessDenied: Request has expired');
      const attachment = this.byKey.get(key);
      if (!attachment?.content) return answer(404, 'NoSuchKey');
      this.served.push({ key, status: 200, authorization: c.req.header('authorization') ?? null });
      return c.body(new Uint8Array(attachment.content), 200, { 'Content-Type': attachment.contentType, 'Content-Length': String(attachment.content.byteLength) });
    });
    return app;
  }
}
