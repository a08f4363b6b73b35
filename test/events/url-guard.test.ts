import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedAgent, guardedLookup } from '../../src/events/guarded-dispatcher.ts';
import { checkLiteralEventUrl, EventUrlError, isInternalAddress } from '../../src/events/url-guard.ts';
import { startReceiver, type Receiver } from './receiver.ts';

/** The SSRF guard of outbound event deliveries: address classes, and the check at connect time. */
describe('event URL guard', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('refuses every non-public prefix, the ones ipaddr.js misses included', () => {
    const internal = [
      '::127.0.0.1', '::a00:1', '::8.8.8.8', // IPv4-compatible ::/96
      '2002:7f00:1::1', '2002:808:808::1', // 6to4 2002::/16
      '2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo 2001::/32
      'fec0::1', 'feff::1', // site-local fec0::/10
      '64:ff9b::7f00:1', '100::1', '2001:db8::1', '192.0.2.1', '198.18.0.1', '255.255.255.255', '::ffff:0:7f00:1',
    ];
    for (const address of internal) expect(isInternalAddress(address), address).toBe(true);
    for (const address of ['2a00:1450:4001:80b::200e', '1.1.1.1', '::ffff:1.1.1.1']) expect(isInternalAddress(address), address).toBe(false);
    // Forms the URL parser never produces are refused rather than reinterpreted.
    for (const address of ['0x7f.1', '127.1', '']) expect(isInternalAddress(address), address).toBe(true);
  });

  it('checks IP literals before any request, and leaves host names to the connect-time lookup', () => {
    expect(() => checkLiteralEventUrl('http://[::ffff:10.0.0.1]/x', { allowPrivate: false })).toThrow(EventUrlError);
    expect(() => checkLiteralEventUrl('http://0x7f000001/x', { allowPrivate: false })).toThrow(/internal/);
    expect(checkLiteralEventUrl('http://127.0.0.1/x', { allowPrivate: true }).hostname).toBe('127.0.0.1');
    expect(checkLiteralEventUrl('https://hooks.example.com/x', { allowPrivate: false }).hostname).toBe('hooks.example.com');
  });

  it('does not connect when a name resolves to an internal address at connect time (DNS rebinding)', async () => {
    // A rebinding server answers a public address to the subscription check and loopback afterwards:
    // the dispatcher resolves at connect time, so it sees the loopback answer and refuses it.
    const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    let calls = 0;
    const resolver = async (_host: string) => answers[Math.min(calls++, 1)]!;
    expect(await resolver('hooks.example.com')).toEqual(answers[0]); // the check at subscribe time
    const port = new URL(receiver.url).port;
    const before = receiver.received.length;
    const agent = guardedAgent({ resolver });
    const error = await fetch(`http://hooks.example.com:${port}/x`, { method: 'POST', body: '{}', dispatcher: agent }).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    await agent.close();
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).cause).toBeInstanceOf(EventUrlError);
    expect(receiver.received.length).toBe(before);
  });

  it('connects to the addresses it checked (every address of a name must be public)', async () => {
    const lookup = guardedLookup(async () => [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }]);
    const all = await new Promise((resolve, reject) => lookup('hooks.example.com', { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));
    expect(all).toEqual([{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }]);
    const one = await new Promise((resolve, reject) => lookup('hooks.example.com', { family: 6 }, (error, address, family) => (error ? reject(error) : resolve({ address, family }))));
    expect(one).toEqual({ address: '2606:2800:220:1::1', family: 6 });
    const mixed = guardedLookup(async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }]);
    const refused = await new Promise((resolve) => mixed('hooks.example.com', { all: true }, (error) => resolve(error)));
    expect(refused).toBeInstanceOf(EventUrlError);
  });

  it('reaches a loopback receiver by name only when private URLs are allowed', async () => {
    const port = new URL(receiver.url).port;
    const strict = guardedAgent();
    await expect(fetch(`http://localhost:${port}/x`, { method: 'POST', body: '{}', dispatcher: strict })).rejects.toThrow();
    await strict.close();
    const before = receiver.received.length;
    const response = await fetch(`http://localhost:${port}/x`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(204);
    expect(receiver.received.length).toBe(before + 1);
  });
});
