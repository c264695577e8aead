import { describe, expect, it } from 'vitest';
import { apiErrorText } from './apiErrorText';

const t = (k: string, p?: Record<string, string | number>) => (p ? `${k}:${JSON.stringify(p)}` : k);

describe('apiErrorText', () => {
  it('translates the codes the user can act on', () => {
    expect(apiErrorText({ code: 'no_consent', message: 'x' }, t)).toBe('share.error.no_consent');
    expect(apiErrorText({ code: 'not_found', message: 'x' }, t)).toBe('share.error.not_found');
    expect(apiErrorText({ code: 'weak_password', message: 'too short' }, t)).toBe('share.error.weak_password');
    expect(apiErrorText({ code: 'invalid', message: 'bad date' }, t)).toBe('share.error.invalid_detail:{"detail":"bad date"}');
    expect(apiErrorText({ code: 'invalid', message: '' }, t)).toBe('share.error.invalid');
  });
  it('falls back on the message', () => {
    expect(apiErrorText({ code: 'io', message: 'disk full' }, t)).toBe('disk full');
    expect(apiErrorText(new Error('boom'), t)).toBe('boom');
    expect(apiErrorText('plain', t)).toBe('plain');
  });
});
