/** Raw RFC 5322 mails for the Dovecot tests. */
let counter = 0;

export interface MailSpec {
  from: string;
  to?: string;
  subject: string;
  body: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  date?: Date;
}

export function rawMail(spec: MailSpec): { raw: string; messageId: string } {
  const messageId = spec.messageId ?? `<m${Date.now()}.${++counter}@mail.test>`;
  const headers = [
    `From: ${spec.from}`,
    `To: ${spec.to ?? 'compliance@company.test'}`,
    `Subject: ${spec.subject}`,
    `Message-ID: ${messageId}`,
    `Date: ${(spec.date ?? new Date()).toUTCString()}`,
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references?.length ? [`References: ${spec.references.join(' ')}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  return { raw: `${headers.join('\r\n')}\r\n\r\n${spec.body.replace(/\r?\n/g, '\r\n')}\r\n`, messageId };
}
