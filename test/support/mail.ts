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

/** A multipart/mixed mail: a text part and base64 attachments. */
export function rawMailWithAttachments(spec: MailSpec, files: Array<{ name: string; contentType: string; content: Uint8Array }>): { raw: string; messageId: string } {
  const boundary = `b${Date.now()}x${++counter}`;
  const { raw: plain, messageId } = rawMail(spec);
  const [head] = plain.split('\r\n\r\n');
  const headers = (head ?? '').split('\r\n').filter((line) => !/^Content-(Type|Transfer-Encoding):/i.test(line));
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64').replace(/.{76}/g, '$&\r\n');
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${spec.body}\r\n`,
    ...files.map((file) => `--${boundary}\r\nContent-Type: ${file.contentType}; name="${file.name}"\r\nContent-Disposition: attachment; filename="${file.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64(file.content)}\r\n`),
  ];
  return { raw: `${[...headers, `Content-Type: multipart/mixed; boundary="${boundary}"`].join('\r\n')}\r\n\r\n${parts.join('')}--${boundary}--\r\n`, messageId };
}
