/**
 * The trained name detector in informal support text, the model file's checks, and
 * `tuneloop pii scrub`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Scrubber } from '../../src/datasets/pii/index.ts';
import { loadNerModel, NER_MODEL_FILE, NerModelError, nerModelVersion } from '../../src/datasets/pii/ner/model.ts';
import { cliEnv } from '../support/cli.ts';

const scrubber = new Scrubber();
const names = (text: string) => scrubber.detect(text).filter((s) => s.type === 'NAME').map((s) => s.value);

describe('trained name detector, informal support text', () => {
  it('finds names in greetings, lower-cased', () => {
    expect(names('hi anna, my parcel never arrived')).toEqual(['anna']);
    expect(names('Hallo Herr müller, wo bleibt meine Bestellung?')).toEqual(['müller']);
    expect(names('hey tom, thx for the quick help!!')).toEqual(['tom']);
    expect(names('hallo lena, die rechnung stimmt nicht')).toEqual(['lena']);
  });

  it('finds names in signatures and sign-offs', () => {
    expect(names('Thanks for the refund.\n\nBest,\nTom')).toEqual(['Tom']);
    expect(names('Vielen Dank!\n\nViele Grüße\nKatharina Obermeier')).toEqual(['Katharina Obermeier']);
    expect(names('that fixed it, cheers\nsarah connor')).toEqual(['sarah connor']);
    expect(names('Mit freundlichen Grüßen\nJürgen Weißhaupt\nEinkauf')).toEqual(['Jürgen Weißhaupt']);
  });

  it('finds names next to an email address', () => {
    const text = 'Please add my colleague Lukas Brenner (lukas.brenner@example.com) to the account.';
    expect(names(text)).toEqual(['Lukas Brenner']);
    expect(scrubber.detect(text).map((s) => s.type)).toEqual(['NAME', 'EMAIL']);
    expect(names('Von: Petra Lindqvist <p.lindqvist@firma.de>\nBetreff: Rücksendung')).toEqual(['Petra Lindqvist']);
  });

  it('leaves common nouns, places and companies alone', () => {
    expect(names('Der Koch hat im Sommer den Fischer am Tor getroffen.')).toEqual([]);
    expect(names('Will the new price apply to my current plan?')).toEqual([]);
    expect(names('Mein Paket liegt seit Dienstag in Hamburg.')).toEqual([]);
    expect(names('Can I pay with PayPal or Apple Pay?')).toEqual([]);
    expect(names('Die Rechnung ging an die Stadtwerke Bochum.')).toEqual([]);
  });

  it('respects allowWords and the names remembered in a conversation', () => {
    expect(new Scrubber({ allowWords: ['Alexa'] }).detect('Hey Alexa, order more coffee.').filter((s) => s.type === 'NAME')).toEqual([]);
    const session = new Scrubber().session();
    expect(session.scrub('Mein Name ist Hannelore Brückner.').text).toBe('Mein Name ist [NAME_1].');
    expect(session.scrub('Rückruf bitte an Brückner, danke.').text).toBe('Rückruf bitte an [NAME_1], danke.');
  });
});

describe('name model file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tuneloop-ner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const shipped = readFileSync(NER_MODEL_FILE);

  it('has a version that names the model and its content', () => {
    expect(nerModelVersion()).toMatch(/^tuneloop-names-crf@[0-9a-f]{12}$/);
    expect(shipped.length).toBeLessThan(20 * 1024 * 1024);
  });

  it('refuses a missing, truncated, altered or foreign file, naming the file and the fix', () => {
    const missing = join(dir, 'missing.tlner');
    expect(() => loadNerModel(missing)).toThrow(NerModelError);
    expect(() => loadNerModel(missing)).toThrow(/missing\.tlner cannot be read \(ENOENT\).*git checkout -- .*train-ner/);
    const truncated = join(dir, 'truncated.tlner');
    writeFileSync(truncated, shipped.subarray(0, shipped.length - 1000));
    expect(() => loadNerModel(truncated)).toThrow(/truncated\.tlner is corrupt \(checksum mismatch/);
    const altered = Buffer.from(shipped);
    altered[altered.length >> 1] = (altered[altered.length >> 1] as number) ^ 0xff;
    writeFileSync(join(dir, 'altered.tlner'), altered);
    expect(() => loadNerModel(join(dir, 'altered.tlner'))).toThrow(/altered\.tlner is corrupt \(checksum mismatch/);
    writeFileSync(join(dir, 'pointer.tlner'), 'version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n');
    expect(() => loadNerModel(join(dir, 'pointer.tlner'))).toThrow(/pointer\.tlner is corrupt \(not a tuneloop name model\)/);
  });
});

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
function scrubCli(args: string[], input: string, env: Record<string, string | undefined> = {}) {
  const r = spawnSync(`${ROOT}node_modules/.bin/node`, ['--import', 'tsx', `${ROOT}src/cli.ts`, 'pii', 'scrub', ...args], { cwd: ROOT, env: cliEnv(env), input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tuneloop pii scrub', () => {
  it('writes one scrubbed line per input line, with spans into the input text', () => {
    const lines = [
      { text: 'Hallo Frau Schmidt, meine IBAN ist DE89 3704 0044 0532 0130 00.' },
      { text: 'hi anna, call me at +49 171 2345678. best, tom' },
      { text: 'Nothing personal here.' },
    ];
    const r = scrubCli(['--spans', '--lang', 'de'], `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { text: string; spans: { type: string; start: number; end: number }[] });
    expect(out).toHaveLength(3);
    expect(out[0]?.text).toBe('Hallo Frau [NAME_1], meine IBAN ist [IBAN_1].');
    expect(out[1]?.text).toBe('hi [NAME_1], call me at [PHONE_1]. best, [NAME_2]');
    expect(out[2]).toEqual({ text: 'Nothing personal here.', spans: [] });
    const spans = out[1]?.spans ?? [];
    expect(spans.map((s) => `${s.type}:${lines[1]?.text.slice(s.start, s.end)}`)).toEqual(['NAME:anna', 'PHONE:+49 171 2345678', 'NAME:tom']);
    expect(scrubCli([], `${JSON.stringify(lines[2])}\n`).stdout).toBe('{"text":"Nothing personal here."}\n');
  });

  it('stops at a bad line with its number, after writing the lines before it', () => {
    const r = scrubCli([], '{"text":"ok"}\n\n{"text": 42}\n{"text":"never"}\n');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('{"text":"ok"}\n');
    expect(r.stderr).toMatch(/line 3: expected a JSON object with a string "text"/);
    expect(scrubCli([], 'not json\n').stderr).toMatch(/line 1: not valid JSON/);
    expect(scrubCli(['--lang', 'fr'], '').status).toBe(2);
  });

  it('stops with a clear error when the model file is broken, before any output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuneloop-ner-cli-'));
    try {
      const bad = join(dir, 'names.tlner');
      writeFileSync(bad, 'not a model');
      const r = scrubCli([], '{"text":"Hallo Anna"}\n', { TUNELOOP_NER_MODEL: bad });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`PII name model ${bad} is corrupt`);
      expect(r.stderr).toContain('python -m tuneloop_worker train-ner');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
