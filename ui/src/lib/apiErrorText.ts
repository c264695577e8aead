// The text to show for a failed command: a translated sentence for the codes the user can act
// on, else the core's own message.
import { isApiError } from './api';

type Translate = (key: string, params?: Record<string, string | number>) => string;

export function apiErrorText(e: unknown, t: Translate): string {
  if (isApiError(e)) {
    switch (e.code) {
      case 'no_consent':
        return t('share.error.no_consent');
      case 'not_found':
        return t('share.error.not_found');
      case 'locked':
        return t('share.error.locked');
      case 'weak_password':
        return t('share.error.weak_password');
      case 'invalid':
        return e.message ? t('share.error.invalid_detail', { detail: e.message }) : t('share.error.invalid');
      default:
        return e.message || e.code;
    }
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
