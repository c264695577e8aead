import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from './errorText';
import { messages } from '../i18n/errors';

const GENERATED = join(__dirname, 'generated');

/** The string literals of a generated union type (`export type Code = "a" | "b";`). */
function literals(file: string, pattern: RegExp): string[] {
  const text = readFileSync(join(GENERATED, file), 'utf8');
  return [...text.matchAll(pattern)].map((m) => m[1]);
}

function translator(locale: 'en' | 'fr') {
  const cat: Record<string, string> = messages[locale];
  const t = (k: string, p?: Record<string, string | number>) =>
    (cat[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => String(p?.[n] ?? `{${n}}`));
  const has = (k: string) => k in cat;
  return { t, has };
}

describe('every error the core can return has a message in both languages', () => {
  const codes = literals('Code.ts', /"([a-z_]+)"/g);
  const whys = literals('Why.ts', /"why": "([a-z_]+)"/g);
  const kinds = literals('Kind.ts', /"([a-z_]+)"/g);
  const faults = literals('BackupFault.ts', /"([a-z_]+)"/g);
  const mailFaults = literals('MailFault.ts', /"([a-z_]+)"/g);

  it('reads the generated lists', () => {
    expect(codes).toContain('wrong_passphrase');
    expect(whys).toContain('not_a_siren');
    expect(kinds).toContain('document');
    expect(faults).toContain('altered');
    expect(mailFaults).toContain('login');
  });

  for (const locale of ['en', 'fr'] as const) {
    it(`${locale}: codes, reasons and kinds`, () => {
      const cat: Record<string, string> = messages[locale];
      const missing = [
        ...codes.map((c) => `errors.code.${c}`),
        ...whys.map((w) => `errors.why.${w}`),
        ...kinds.map((k) => `errors.not_found.${k}`),
        ...faults.map((f) => `errors.backup.${f}`),
        ...mailFaults.map((f) => `errors.mail.${f}`),
      ].filter((k) => !cat[k]?.trim());
      expect(missing).toEqual([]);
    });
  }
});

describe('describeError', () => {
  const fr = translator('fr');
  const en = translator('en');

  it('says a refused value in French, with the field’s French name and the facts', () => {
    const e = {
      code: 'invalid',
      message: 'request.siren: "732829321" is not a valid SIREN (nine digits)',
      field: 'request.siren',
      why: { why: 'not_a_siren', value: '732829321' },
    };
    expect(describeError(e, fr.t, fr.has)).toBe(
      'SIREN : « 732829321 » n’est pas un SIREN valide (neuf chiffres dont la clé de contrôle correspond).',
    );
    expect(describeError(e, en.t, en.has)).toContain('“732829321” is not a valid SIREN');
  });

  it('names the kind of a missing record', () => {
    const e = { code: 'not_found', message: 'no consent 4', kind: 'consent' };
    expect(describeError(e, fr.t, fr.has)).toBe('Ce consentement n’existe plus. Actualisez la page.');
  });

  it('says what is wrong with a mail server, by its fault', () => {
    const e = { code: 'mail', fault: 'login', message: 'mail: LOGIN refused: [AUTHENTICATIONFAILED]' };
    expect(describeError(e, fr.t, fr.has)).toContain('a refusé l’identifiant ou le mot de passe');
    expect(describeError(e, en.t, en.has)).toContain('refused the user name or password');
    const unknown = { code: 'mail', fault: 'something_new', message: 'mail: ?' };
    expect(describeError(unknown, en.t, en.has)).toBe('The mail server could not be used as asked.');
    const backup = { code: 'backup', fault: 'empty', message: 'backup: empty' };
    expect(describeError(backup, en.t, en.has)).toBe('This backup folder holds no backup yet.');
  });

  it('names a refused mail account value', () => {
    const e = {
      code: 'invalid',
      message: '"imap.example.com" is not this machine',
      field: 'security',
      why: { why: 'not_loopback', value: 'imap.example.com' },
    };
    expect(describeError(e, en.t, en.has)).toBe(
      'Security: “imap.example.com” is not this computer: use TLS or STARTTLS.',
    );
    const taken = { code: 'invalid', message: 'taken', field: 'name', why: { why: 'taken', value: 'factures' } };
    expect(describeError(taken, fr.t, fr.has)).toBe(
      'Nom du compte : « factures » est déjà pris. Choisissez-en un autre.',
    );
  });

  it('never shows the core’s English message', () => {
    const known = { code: 'io', message: '/tmp/x: No space left on device' };
    expect(describeError(known, fr.t, fr.has)).not.toContain('No space');
    const unknown = { code: 'something_new', message: 'an English sentence' };
    expect(describeError(unknown, fr.t, fr.has)).toBe('Une erreur est survenue. (something_new)');
  });

  it('falls back on plain errors', () => {
    expect(describeError(new Error('boom'), fr.t, fr.has)).toBe('boom');
    expect(describeError('plain', fr.t, fr.has)).toBe('plain');
  });
});
