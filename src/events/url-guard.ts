/**
 * Server-side request forgery guard for subscription URLs: http(s) only, no credentials in the URL,
 * and (unless EVENTS_ALLOW_PRIVATE_URLS) no loopback, private, link-local or otherwise internal
 * address, whether written literally or reached through a host name. Checked when a subscription
 * is created and again before every delivery (a name may resolve elsewhere later).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

export class EventUrlError extends Error {
  override name = 'EventUrlError';
}

const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return internal.check(address, 'ipv4');
  if (family !== 6) return true;
  // IPv4-mapped (::ffff:10.0.0.1) addresses reach the IPv4 network they embed.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return internal.check(mapped[1], 'ipv4');
  return internal.check(address, 'ipv6');
}

/** The URL, parsed; throws EventUrlError for anything that is not a plain http(s) URL. */
export function parseEventUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EventUrlError('url: not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EventUrlError('url: only http and https URLs can receive events');
  if (url.username || url.password) throw new EventUrlError('url: credentials in the URL are not allowed (the signature authenticates the hub)');
  return url;
}

/** Throws EventUrlError when the URL is not allowed; resolves host names to check every address. */
export async function checkEventUrl(raw: string, options: { allowPrivate: boolean }): Promise<URL> {
  const url = parseEventUrl(raw);
  if (options.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      throw new EventUrlError(`url: host ${host} could not be resolved`);
    }
  }
  if (!addresses.length || addresses.some(isInternalAddress)) {
    throw new EventUrlError(`url: ${host} is a loopback, private or internal address (set EVENTS_ALLOW_PRIVATE_URLS=true to allow it)`);
  }
  return url;
}
