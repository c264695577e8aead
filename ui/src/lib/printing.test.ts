import { describe, expect, it, vi } from 'vitest';

vi.mock('./api', () => ({}));
vi.mock('./pdf', () => ({}));

const { toBytes } = await import('./printing.svelte');

describe('printing', () => {
  it('takes the bytes as the IPC answers them', () => {
    expect(toBytes([1, 2])).toEqual(new Uint8Array([1, 2]));
    expect(toBytes(new Uint8Array([3]).buffer)).toEqual(new Uint8Array([3]));
    expect(() => toBytes('x')).toThrow();
  });
});
