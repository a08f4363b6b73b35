/**
 * The root logger. Redaction lives here, at the root, so no child logger can leak a secret:
 * tokens, passwords, Authorization headers and vendor credentials are censored wherever they appear:
 * the fixed paths below (fast), then every key named like a secret at any depth (redactDeep, for
 * nested objects and headers spelled `Authorization`).
 */
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { safeErrorSerializer } from './safe-error.ts';
import { redactDeep } from './security/scrub.ts';

export type { Logger };

export const REDACTED_PATHS = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'apiToken',
  'secret',
  'clientSecret',
  'securityToken',
  'credentials',
  'authorization',
  'databaseUrl',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiToken',
  '*.secret',
  '*.clientSecret',
  '*.securityToken',
  '*.privateKey',
  '*.credentials',
  '*.authorization',
  '*.databaseUrl',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-zendesk-webhook-signature"]',
  'headers["x-slack-signature"]',
  'headers["x-hub-signature"]',
];

export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, destination?: pino.DestinationStream): Logger {
  const pretty = config.LOG_FORMAT === 'pretty' || (config.LOG_FORMAT === 'auto' && process.stdout.isTTY && !destination);
  const options: pino.LoggerOptions = {
    level: config.LOG_LEVEL,
    base: { service: 'tuneloop' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { log: (object) => redactDeep(object) },
    // A failed query's parameters are ticket content: never logged (src/safe-error.ts).
    serializers: { err: safeErrorSerializer(pino.stdSerializers.err as (error: Error) => Record<string, unknown>) },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Removes the password from a connection URL before it is shown anywhere. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
