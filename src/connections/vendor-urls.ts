/**
 * Where a connection may send its credentials: every URL setting of a vendor (Zendesk baseUrl,
 * Salesforce instanceUrl/loginUrl, HubSpot baseUrl, Slack apiUrl, Intercom baseUrl) must be https
 * on the vendor's own domains (integrations/<vendor>/index.ts `apiDomains`), or on a host the
 * operator allows by name in VENDOR_ALLOWED_HOSTS (loopback sandboxes, a proxy), where http is
 * allowed too. Otherwise an API caller with the admin role could point a connection at an internal
 * service and have the hub send requests, with credentials, there.
 */
import type { Vendor } from '../../integrations/types.ts';

export interface VendorUrlPolicy {
  /** Host names (or IP addresses) allowed for any vendor, over http or https. */
  allowedHosts: readonly string[];
}

const bare = (host: string) => host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

/** Null when every URL setting is allowed, else a message naming the setting and the way out. */
export function vendorUrlProblem(vendor: Pick<Vendor, 'label' | 'apiDomains' | 'urlSettings'>, settings: Record<string, unknown>, policy: VendorUrlPolicy): string | null {
  const allowed = new Set(policy.allowedHosts.map(bare));
  for (const key of vendor.urlSettings) {
    const value = settings[key];
    if (value === undefined) continue;
    let url: URL;
    try {
      url = new URL(String(value));
    } catch {
      return `settings.${key}: not a valid URL`;
    }
    const host = bare(url.hostname);
    if (allowed.has(host)) continue;
    const onVendorDomain = vendor.apiDomains.some((domain) => host === domain || host.endsWith(`.${domain}`));
    if (url.protocol === 'https:' && onVendorDomain) continue;
    return `settings.${key}: ${vendor.label} URLs must be https on ${vendor.apiDomains.join(' or ')}; allow other hosts (a sandbox, a proxy) by name with VENDOR_ALLOWED_HOSTS (now ${policy.allowedHosts.length ? policy.allowedHosts.join(',') : 'empty'})`;
  }
  return null;
}
