import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeUri, verifyHubSpotV3 } from '../../integrations/hubspot/webhook.ts';
import { verifySalesforce } from '../../integrations/salesforce/webhook.ts';
import { verifyZendesk } from '../../integrations/zendesk/webhook.ts';
import { sign } from '../support/sign.ts';

const body = new TextEncoder().encode('{"a":1}');
const now = Date.parse('2026-11-25T15:00:00Z');

describe('signature checks (pure)', () => {
  it('Zendesk: base64 HMAC of timestamp + raw body; ISO or Unix-seconds timestamps; 5-minute window', () => {
    const ts = '2026-11-25T14:58:00Z';
    const expected = createHmac('sha256', 's3cret').update(`${ts}{"a":1}`).digest('base64');
    expect(sign.zendesk('s3cret', ts, body)).toBe(expected);
    expect(verifyZendesk('s3cret', expected, ts, body, now)).toEqual({ ok: true });
    expect(verifyZendesk('s3cret', expected, ts, new TextEncoder().encode('{"a":2}'), now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyZendesk('s3cret', expected.slice(0, -4), ts, body, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyZendesk('s3cret', undefined, ts, body, now)).toEqual({ ok: false, reason: 'missing' });
    const unix = String(now / 1000 - 301);
    expect(verifyZendesk('s3cret', sign.zendesk('s3cret', unix, body), unix, body, now)).toEqual({ ok: false, reason: 'stale' });
  });

  it('HubSpot v3: method + decoded URI + body + timestamp (ms); only the documented escapes are decoded', () => {
    expect(decodeUri('https://h.example.com/webhooks/hubspot/x%3Fy%2Fz%40%2A%20')).toBe('https://h.example.com/webhooks/hubspot/x?y/z@*%20');
    const ts = String(now - 1000);
    const uri = 'https://h.example.com/webhooks/hubspot/abc?q=%3A';
    const expected = createHmac('sha256', 'client-secret').update(`POSThttps://h.example.com/webhooks/hubspot/abc?q=:{"a":1}${ts}`).digest('base64');
    expect(sign.hubspotV3('client-secret', 'POST', uri, body, ts)).toBe(expected);
    expect(verifyHubSpotV3('client-secret', { method: 'post', uri, signature: expected, timestamp: ts }, body, now)).toEqual({ ok: true });
    expect(verifyHubSpotV3('client-secret', { method: 'POST', uri, signature: expected, timestamp: String(now - 301_000) }, body, now).ok).toBe(false);
    expect(verifyHubSpotV3('client-secret', { method: 'POST', uri, signature: expected, timestamp: 'soon' }, body, now)).toEqual({ ok: false, reason: 'missing' });
  });

  it('Salesforce: sha256=hex HMAC of "timestamp.body", or a bearer secret', () => {
    const ts = String(now / 1000);
    const header = sign.salesforce('sf-secret', ts, body);
    expect(header).toBe(`sha256=${createHmac('sha256', 'sf-secret').update(`${ts}.{"a":1}`).digest('hex')}`);
    expect(verifySalesforce('sf-secret', { signature: header, timestamp: ts, authorization: undefined }, body, now)).toEqual({ ok: true });
    expect(verifySalesforce('sf-secret', { signature: header, timestamp: String(now / 1000 + 400), authorization: undefined }, body, now).ok).toBe(false);
    const fresh = new TextEncoder().encode(JSON.stringify({ timestamp: new Date(now - 3600_000).toISOString() }));
    const old = new TextEncoder().encode(JSON.stringify({ timestamp: new Date(now - 25 * 3600_000).toISOString() }));
    expect(verifySalesforce('sf-secret', { signature: undefined, timestamp: undefined, authorization: 'Bearer sf-secret' }, fresh, now)).toEqual({ ok: true });
    // A bearer signs nothing: the body's own timestamp is its replay window (a day), and it must have one.
    expect(verifySalesforce('sf-secret', { signature: undefined, timestamp: undefined, authorization: 'Bearer sf-secret' }, old, now)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySalesforce('sf-secret', { signature: undefined, timestamp: undefined, authorization: 'Bearer sf-secret' }, body, now)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySalesforce('sf-secret', { signature: undefined, timestamp: undefined, authorization: 'Bearer sf-secre' }, body, now).ok).toBe(false);
    // A signature header that is present but wrong is not rescued by a bearer token.
    expect(verifySalesforce('sf-secret', { signature: 'sha256=00', timestamp: ts, authorization: 'Bearer sf-secret' }, body, now).ok).toBe(false);
  });
});
