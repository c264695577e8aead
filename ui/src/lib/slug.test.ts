import { describe, expect, it } from 'vitest';
import { defaultBundlePath, parentDir, slugify } from './slug';

describe('slugify', () => {
  it('strips accents and punctuation', () => {
    expect(slugify('Cabinet Lefèvre & Associés')).toBe('cabinet-lefevre-associes');
    expect(slugify('  Müller GmbH. ')).toBe('muller-gmbh');
    expect(slugify('!!!')).toBe('');
  });
  it('is bounded without a trailing dash', () => {
    expect(slugify('a'.repeat(39) + ' bcd').length).toBeLessThanOrEqual(40);
    expect(slugify('abc def', 4)).toBe('abc');
  });
});

describe('defaultBundlePath', () => {
  it('builds the path with the separator', () => {
    expect(defaultBundlePath('/home/me/Documents', '/', 'Cabinet Dupont', '2026-Q3')).toBe(
      '/home/me/Documents/Coffre-cabinet-dupont-2026-Q3.zip',
    );
    expect(defaultBundlePath('C:\\Users\\me\\Documents\\', '\\', 'Émile', '2026-01-01..2026-06-30')).toBe(
      'C:\\Users\\me\\Documents\\Coffre-emile-2026-01-01_2026-06-30.zip',
    );
  });
  it('leaves out empty parts', () => {
    expect(defaultBundlePath('/d', '/', '', '')).toBe('/d/Coffre.zip');
  });
});

describe('parentDir', () => {
  it('gives the folder of a path', () => {
    expect(parentDir('/a/b/c.zip', '/')).toBe('/a/b');
    expect(parentDir('C:\\x\\y.zip', '\\')).toBe('C:\\x');
    expect(parentDir('y.zip', '/')).toBeNull();
  });
});
