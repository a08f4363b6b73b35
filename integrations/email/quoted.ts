/**
 * A reply's new text apart from what it quotes: the lines starting with ">" and the attribution
 * line above them ("On Mon, Jane wrote:", "Am … schrieb …:"), or everything below an Outlook-style
 * "-----Original Message-----" / "From: … Sent: …" header. Only the new text is scanned, so a
 * violation quoted back by a customer is not raised again on their reply.
 */

const ATTRIBUTION = /^(On .{1,200} wrote:|Am .{1,200} schrieb .{0,200}:|Le .{1,200} a écrit ?:)\s*$/;
const ORIGINAL = /^(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Forwarded message)\s*-{2,}|_{10,})\s*$/i;

export function splitQuoted(text: string): { fresh: string; quoted: string } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const fresh: string[] = [];
  const quoted: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const trimmed = line.trim();
    if (ORIGINAL.test(trimmed) || (/^From:\s/.test(trimmed) && /^(Sent|Date|Gesendet):\s/.test(lines[index + 1]?.trim() ?? ''))) {
      quoted.push(...lines.slice(index));
      break;
    }
    const nextQuoted = (lines[index + 1] ?? '').startsWith('>');
    if (line.startsWith('>') || (ATTRIBUTION.test(trimmed) && nextQuoted)) quoted.push(line);
    else fresh.push(line);
  }
  return { fresh: fresh.join('\n').trim(), quoted: quoted.join('\n').trim() };
}
