// Translated names of values that come from the core (categories, request kinds, audit
// actions), with the raw value as the fallback for anything unknown.
import { locale, t } from '../../lib/i18n.svelte';
import { GDPR_ARTICLE } from '../../lib/gdpr';
import { isKnownAction } from '../../lib/auditFormat';
import type { RequestKind } from '../../lib/api';

export const KNOWN_CATEGORIES = [
  'invoice-received',
  'invoice-issued',
  'credit-note',
  'receipt',
  'contract',
  'other',
] as const;

export function categoryLabel(c: string): string {
  return (KNOWN_CATEGORIES as readonly string[]).includes(c) ? t(`share.category.${c}`) : c;
}

export function categoriesLabel(list: string[]): string {
  return list.length === 0 ? t('share.categories.all') : list.map(categoryLabel).join(', ');
}

export function requestKindLabel(k: RequestKind | string): string {
  const article = GDPR_ARTICLE[k as RequestKind];
  return article === undefined ? k : t(`privacy.kind.${k}`, { article });
}

export function actionLabel(action: string): string {
  return isKnownAction(action) ? t(`audit.action.${action}`) : action;
}

/** `from – to` of a consent's period, "any date" when unbounded. */
export function consentScope(from: string | null, to: string | null, fmt: (iso: string) => string): string {
  if (!from && !to) return t('share.scope.any_date');
  if (from && to) return t('share.scope.between', { from: fmt(from), to: fmt(to) });
  if (from) return t('share.scope.from', { from: fmt(from) });
  return t('share.scope.until', { to: fmt(to as string) });
}

/** The Intl locale tag of the current language. */
export function intlLocale(): string {
  return locale.current === 'fr' ? 'fr-FR' : 'en-GB';
}

/** A month and day (`[12, 31]`) in words: "31 December", "31 décembre". */
export function monthDayLabel([m, d]: [number, number]): string {
  return new Intl.DateTimeFormat(intlLocale(), { day: 'numeric', month: 'long' }).format(new Date(2000, m - 1, d));
}
