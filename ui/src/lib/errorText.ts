// The text to show for a failed command, in the UI's language. Every error the core returns has a
// reason code (`code`); `invalid` adds the refused `field` and `why` with its facts, `not_found`
// the `kind` of record, `backup` and `mail` the `fault`. The core's English `message` is never shown: a code this build does not
// know reads as the generic internal error, with the code for support.
import { isApiError } from './api';

type Params = Record<string, string | number>;
type Translate = (key: string, params?: Params) => string;
type HasKey = (key: string) => boolean;

export function describeError(e: unknown, t: Translate, hasKey: HasKey): string {
  if (!isApiError(e)) return e instanceof Error ? e.message : String(e);
  if (e.code === 'invalid' && e.why) {
    const { why, ...facts } = e.why;
    const key = `errors.why.${why}`;
    if (hasKey(key)) {
      const fieldKey = `errors.field.${e.field ?? ''}`;
      const field = hasKey(fieldKey) ? t(fieldKey) : (e.field ?? '');
      return t(key, { ...(facts as Params), field });
    }
  }
  if ((e.code === 'backup' || e.code === 'mail') && e.fault && hasKey(`errors.${e.code}.${e.fault}`)) {
    return t(`errors.${e.code}.${e.fault}`);
  }
  if (e.code === 'not_found' && e.kind && hasKey(`errors.not_found.${e.kind}`)) {
    return t(`errors.not_found.${e.kind}`);
  }
  const key = `errors.code.${e.code}`;
  if (hasKey(key)) return t(key);
  return `${t('errors.code.internal')} (${e.code})`;
}
