/**
 * The HTTP dispatcher for outbound event deliveries. With private addresses refused, its connect
 * step resolves the host name once, checks every address, and connects to exactly those addresses
 * (undici passes `connect.lookup` to net/tls.connect), so a name that answers a public address to the
 * first check and an internal one to the connection (DNS rebinding) cannot reach the inside.
 * IP literals never go through lookup: deliver.ts checks them before the request.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import { internalAddressError, isInternalAddress } from './url-guard.ts';

/** Resolves a host name to all its addresses; injectable so tests can answer like a rebinding server. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

export function guardedLookup(resolver: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((entry) => entry.family === options.family) : addresses;
        if (!wanted.length || wanted.some((entry) => isInternalAddress(entry.address))) {
          callback(internalAddressError(hostname), '', 0);
          return;
        }
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** An undici Agent whose connections only reach public addresses. */
export function guardedAgent(options: { resolver?: Resolver; connectTimeoutMs?: number } = {}): Agent {
  return new Agent({ connect: { lookup: guardedLookup(options.resolver), timeout: options.connectTimeoutMs ?? 10_000 } });
}
