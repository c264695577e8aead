// File-name helpers for the share screen.
import { periodForFile } from './periods';

/**
 * A short, portable slug of a name for a file name: accents removed, lower case, letters and
 * digits separated by single dashes, at most 40 characters. Empty input gives `''`.
 */
export function slugify(name: string, max = 40): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.slice(0, max).replace(/-+$/, '');
}

/** The default bundle path: `<dir><sep>Coffre-<recipient-slug>-<period>.zip`. */
export function defaultBundlePath(dir: string, sep: string, recipient: string, period: string): string {
  const parts = ['Coffre'];
  const slug = slugify(recipient);
  if (slug) parts.push(slug);
  const p = periodForFile(period);
  if (p) parts.push(p);
  const base = dir.endsWith(sep) || dir === '' ? dir : dir + sep;
  return `${base}${parts.join('-')}.zip`;
}

/** The folder part of a path (everything before the last separator), or null. */
export function parentDir(path: string, sep: string): string | null {
  const i = Math.max(path.lastIndexOf(sep), path.lastIndexOf('/'));
  return i > 0 ? path.slice(0, i) : null;
}
