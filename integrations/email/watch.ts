/**
 * New mail within seconds: one IMAP connection per mailbox, left idle (imapflow issues IDLE by
 * itself while nothing else runs) and told by the server when the mailbox grows. Each (re)connect
 * reports a change too, so mail that arrived while it was away is harvested. A dropped connection
 * is opened again with backoff; a mailbox that is gone is reported to `onError` each time.
 * https://imapflow.com/module-imapflow-ImapFlow.html#event:exists (RFC 2177 IDLE)
 */
import type { VendorLogger, WatchContext } from '../types.ts';
import type { ImapFlow } from 'imapflow';
import { classifyImapError, closeImap } from './client.ts';
import { connectMailbox, type MailboxLogin } from './oauth.ts';
import type { EmailSettings } from './settings.ts';

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

export async function watchMailbox(settings: EmailSettings, login: MailboxLogin, onChange: () => void, ctx: WatchContext): Promise<void> {
  const log: VendorLogger | undefined = ctx.log;
  let backoff = ctx.reconnectMs ?? 1_000;
  while (!ctx.signal.aborted) {
    let client: ImapFlow | null = null;
    try {
      client = await connectMailbox(settings, login, ctx.signal, log);
      await client.mailboxOpen(settings.mailbox, { readOnly: true });
      backoff = ctx.reconnectMs ?? 1_000;
      ctx.onConnected?.();
      onChange();
      await new Promise<void>((resolve) => {
        const open = client as ImapFlow;
        open.on('exists', () => onChange());
        open.on('close', () => resolve());
        open.on('error', () => resolve());
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } catch (error) {
      const failure = classifyImapError(error, settings);
      log?.warn({ kind: failure.kind }, `mailbox watch: ${failure.message}`);
      ctx.onError?.(failure.message);
    } finally {
      if (client) await closeImap(client, log);
    }
    if (ctx.signal.aborted) break;
    await sleep(backoff, ctx.signal);
    backoff = Math.min(backoff * 2, 60_000);
  }
}
