/** What every CLI command needs: .env, validated config, a logger, and a database for one command. */
import { existsSync, readFileSync } from 'node:fs';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { openDatabase, type OpenedDatabase } from '../db/open.ts';
import { createLogger, type Logger } from '../log.ts';

export function loadCliConfig(overrides: Partial<Record<string, string>> = {}): Config {
  if (existsSync('.env')) loadDotenv({ path: '.env', quiet: true });
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) fail(`config error: ${error.message}`, 2);
    throw error;
  }
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`tuneloop: ${message}\n`);
  process.exit(code);
}

/** Logger for one-shot commands: warnings and errors only, on stderr, so stdout stays the result. */
export function quietLogger(config: Config): Logger {
  return createLogger({ LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, LOG_FORMAT: 'json' }, process.stderr);
}

export async function withDatabase<T>(run: (database: OpenedDatabase, config: Config) => Promise<T>): Promise<T> {
  const config = loadCliConfig();
  const database = await openDatabase(config, quietLogger(config));
  try {
    return await run(database, config);
  } finally {
    await database.shutdown();
  }
}

/** A JSON object from a file the user named (credentials, dataset config); anything else stops the command. */
export function readJsonObject(path: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return fail(`${path}: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`, 2);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(`${path}: expected a JSON object`, 2);
  return parsed as Record<string, unknown>;
}
