/**
 * Slack message text → plain text (https://docs.slack.dev/messaging/formatting-message-text):
 * - <@U123> and <@U123|name> become "@Real Name" (the person's name, so the PII scrubber can find
 *   it); <#C123|support> becomes "#support"; <!here>, <!channel>, <!everyone> become "@here" etc.;
 *   <!subteam^S123|@support> becomes "@support"; <!date^…|fallback> becomes its fallback;
 * - <https://x|label> becomes "label (https://x)", <https://x> and <mailto:a@b|a@b> their address;
 * - &amp; &lt; &gt; are unescaped last, so escaped text never turns into markup.
 * *bold*, _italic_ and ~strike~ markers are kept: they are part of how the agent wrote.
 */

/** The display name for a user id, or null when unknown. */
export type NameOf = (userId: string) => string | null;

const MENTION = /<([@#!])([^<>|]*)(?:\|([^<>]*))?>|<([^<>|]+)(?:\|([^<>]*))?>/g;

function special(command: string, label: string | undefined): string {
  const [name = ''] = command.split('^');
  if (label) return label.startsWith('@') || name === 'date' ? label : `@${label}`;
  if (name === 'here' || name === 'channel' || name === 'everyone') return `@${name}`;
  return `@${name}`;
}

export function mrkdwnToText(text: string, nameOf: NameOf): string {
  const replaced = text.replace(MENTION, (_match, sigil: string | undefined, target: string | undefined, label: string | undefined, link: string | undefined, linkLabel: string | undefined) => {
    if (sigil === '@') return `@${nameOf(target ?? '') ?? label ?? target ?? ''}`;
    if (sigil === '#') return `#${label ?? target ?? ''}`;
    if (sigil === '!') return special(target ?? '', label);
    const address = (link ?? '').replace(/^mailto:/, '');
    if (!linkLabel || linkLabel === address || linkLabel === link) return address;
    return `${linkLabel} (${address})`;
  });
  return replaced.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
}

/** User ids mentioned in a text, so their names can be looked up before it is turned into text. */
export function mentionedUsers(text: string): string[] {
  return [...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>/g)].map((match) => match[1] ?? '').filter(Boolean);
}
