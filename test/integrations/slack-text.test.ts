/** Slack's message markup turned into the plain text tuneloop stores. */
import { describe, expect, it } from 'vitest';
import { mentionedUsers, mrkdwnToText } from '../../integrations/slack/text.ts';

const names: Record<string, string> = { U0AGENT001: 'Julia Hoffmann' };
const nameOf = (id: string) => names[id] ?? null;

describe('slack text', () => {
  it.each([
    ['Hi <@U0AGENT001>, thanks', 'Hi @Julia Hoffmann, thanks'],
    ['ask <@U0UNKNOWN|sam>', 'ask @sam'],
    ['ask <@U0UNKNOWN>', 'ask @U0UNKNOWN'],
    ['see <#C0SUPPORT01|support> and <#C0VIPSUPP01>', 'see #support and #C0VIPSUPP01'],
    ['<!here> <!channel> <!everyone> <!subteam^S0SUPPORT01|@support-team>', '@here @channel @everyone @support-team'],
    ['due <!date^1392734382^{date_short}|Feb 18, 2014>', 'due Feb 18, 2014'],
    ['read <https://shop.example/faq|the FAQ> or <https://shop.example/help>', 'read the FAQ (https://shop.example/faq) or https://shop.example/help'],
    ['mail <mailto:help@shop.example|help@shop.example>', 'mail help@shop.example'],
    ['a &lt;b&gt; &amp;lt; c', 'a <b> &lt; c'],
    ['*bold* _italic_ ~gone~\n\n  ', '*bold* _italic_ ~gone~'],
  ])('%s', (text, expected) => {
    expect(mrkdwnToText(text, nameOf)).toBe(expected);
  });

  it('finds the people a text mentions', () => {
    expect(mentionedUsers('<@U0AGENT001> and <@W123ABC|x>, not <#C0SUPPORT01>')).toEqual(['U0AGENT001', 'W123ABC']);
  });
});
