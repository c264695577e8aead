import { describe, expect, it } from 'vitest';
import { messages } from '../i18n/settings';
import { messages as errorMessages } from '../i18n/errors';
import {
  afterValue,
  defaultPort,
  emptyMailForm,
  lastFetchText,
  mailInput,
  parseAfter,
  parsePort,
} from './mailForm';
import type { FetchSummary } from './generated/FetchSummary';

const cat: Record<string, string> = { ...messages.en, ...errorMessages.en };
const t = (k: string, p?: Record<string, string | number>) =>
  (cat[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => String(p?.[n] ?? `{${n}}`));
const has = (k: string) => k in cat;

describe('defaultPort', () => {
  it('is 993 for TLS, 143 otherwise', () => {
    expect(defaultPort('tls')).toBe(993);
    expect(defaultPort('starttls')).toBe(143);
    expect(defaultPort('none')).toBe(143);
  });
});

describe('afterValue and parseAfter', () => {
  it('builds keep, seen or move:FOLDER', () => {
    expect(afterValue('keep', 'ignored')).toBe('keep');
    expect(afterValue('seen', '')).toBe('seen');
    expect(afterValue('move', '  Factures/2026 ')).toBe('move:Factures/2026');
    expect(afterValue('move', '  ')).toBeNull();
  });
  it('reads them back', () => {
    expect(parseAfter('keep')).toEqual({ kind: 'keep', folder: '' });
    expect(parseAfter('seen')).toEqual({ kind: 'seen', folder: '' });
    expect(parseAfter('move:Archive:2026')).toEqual({ kind: 'move', folder: 'Archive:2026' });
  });
});

describe('parsePort', () => {
  it('is null when empty, undefined when not a port', () => {
    expect(parsePort(' ')).toBeNull();
    expect(parsePort('993')).toBe(993);
    expect(parsePort('0')).toBeUndefined();
    expect(parsePort('65536')).toBeUndefined();
    expect(parsePort('99a')).toBeUndefined();
  });
});

describe('mailInput', () => {
  const filled = {
    ...emptyMailForm(),
    name: ' factures ',
    host: ' imap.example.com ',
    user: ' marie@example.com ',
    password: ' secret with spaces ',
  };

  it('trims, defaults and keeps the password as typed', () => {
    expect(mailInput(filled)).toEqual({
      name: 'factures',
      host: 'imap.example.com',
      port: null,
      security: 'tls',
      user: 'marie@example.com',
      password: ' secret with spaces ',
      folder: 'INBOX',
      ca_pem: null,
      after: 'keep',
    });
    expect(
      mailInput({ ...filled, port: '1143', security: 'starttls', folder: ' ', after: 'move', moveFolder: 'Done', ca: '\n-----BEGIN CERTIFICATE-----\n' }),
    ).toMatchObject({ port: 1143, security: 'starttls', folder: null, after: 'move:Done', ca_pem: '-----BEGIN CERTIFICATE-----' });
  });

  it('is null while the form is incomplete', () => {
    expect(mailInput(emptyMailForm())).toBeNull();
    expect(mailInput({ ...filled, password: '' })).toBeNull();
    expect(mailInput({ ...filled, host: '  ' })).toBeNull();
    expect(mailInput({ ...filled, port: 'x' })).toBeNull();
    expect(mailInput({ ...filled, after: 'move', moveFolder: '' })).toBeNull();
  });
});

describe('lastFetchText', () => {
  const ok: FetchSummary = {
    at: '2026-11-23T12:00:00Z',
    imported: 3,
    duplicate: 1,
    skipped: 2,
    failed: 0,
    error_code: null,
    error_fault: null,
    error: null,
  };

  it('says never, the counts, or the error', () => {
    expect(lastFetchText(null, t, has)).toBe('Never fetched');
    expect(lastFetchText(ok, t, has)).toBe('3 imported, 1 duplicate, 2 skipped, 0 failed');
    const failed = { ...ok, imported: 0, duplicate: 0, skipped: 0, error_code: 'mail', error: 'mail: LOGIN refused' };
    expect(lastFetchText(failed, t, has)).toBe(errorMessages.en['errors.code.mail']);
    const refused = { ...failed, error_fault: 'login' as const };
    expect(lastFetchText(refused, t, has)).toBe(errorMessages.en['errors.mail.login']);
    expect(lastFetchText({ ...ok, error_code: 'interrupted', error: 'interrupted' }, t, has)).toBe(
      `3 imported, 1 duplicate, 2 skipped, 0 failed. ${errorMessages.en['errors.code.interrupted']}`,
    );
  });
});
