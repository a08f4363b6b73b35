/**
 * Server-side request forgery guard for subscription URLs: http(s) only, no credentials in the URL,
 * and (unless EVENTS_ALLOW_PRIVATE_URLS) only public unicast addresses, whether written literally or
 * reached through a host name. Checked when a subscription is created (early, clear feedback) and
 * enforced again at connect time by guarded-dispatcher.ts, which connects to the very addresses it
 * checked, so a name that resolves elsewhere later (DNS rebinding) cannot reach the inside.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export class EventUrlError extends Error {
  override name = 'EventUrlError';
}

// Prefixes ipaddr.js does not classify (or parses away): IPv4-compatible `::a.b.c.d` (::/96, which
// ipaddr.js reads as IPv4-mapped) is routed to the embedded IPv4 address by some stacks.
const unclassified = new BlockList();
unclassified.addSubnet('::', 96, 'ipv6');

/**
 * True unless the address is public unicast. ipaddr.js names every special range (private,
 * loopback, link-local, CGNAT, reserved, 6to4 2002::/16, Teredo 2001::/32, site-local fec0::/10,
 * NAT64 64:ff9b::/96, …); IPv4-mapped IPv6 is judged by the IPv4 address it embeds.
 */
export function isInternalAddress(address: string): boolean {
  // net.isIP accepts only canonical forms; ipaddr.js would also take "0x7f.1" or "127.1".
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && unclassified.check(address, 'ipv6')) return true;
  return ipaddr.process(address).range() !== 'unicast';
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

export function internalAddressError(host: string): EventUrlError {
  return new EventUrlError(`url: ${host} is a loopback, private or internal address (set EVENTS_ALLOW_PRIVATE_URLS=true to allow it)`);
}

/** Every address of a host name (or the literal address), all of them public, else EventUrlError. */
export async function resolvePublic(host: string): Promise<{ address: string; family: number }[]> {
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new EventUrlError(`url: host ${host} could not be resolved`);
    }
  }
  if (!addresses.length || addresses.some((entry) => isInternalAddress(entry.address))) throw internalAddressError(host);
  return addresses;
}

/** The URL, parsed, with an IP-literal host checked; host names are left to guarded-dispatcher.ts. */
export function checkLiteralEventUrl(raw: string, options: { allowPrivate: boolean }): URL {
  const url = parseEventUrl(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!options.allowPrivate && isIP(host) && isInternalAddress(host)) throw internalAddressError(host);
  return url;
}

/** Throws EventUrlError when the URL is not allowed; resolves host names to check every address. */
export async function checkEventUrl(raw: string, options: { allowPrivate: boolean }): Promise<URL> {
  const url = parseEventUrl(raw);
  if (options.allowPrivate) return url;
  await resolvePublic(url.hostname.replace(/^\[|\]$/g, ''));
  return url;
}
