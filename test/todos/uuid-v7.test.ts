import { describe, expect, it } from 'vitest';
import { uuidV7 } from '../../functions/todos/uuid-v7';

describe('uuidV7', () => {
  it('sets version 7, the RFC 9562 variant and the millisecond timestamp', () => {
    // Prepare
    const at = Date.UTC(2026, 10, 27, 20, 0, 0, 123);

    // Act
    const id = uuidV7(at);

    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('is strictly increasing for many ids in the same millisecond', () => {
    // Prepare
    const at = Date.UTC(2030, 0, 1);

    // Act
    const ids = Array.from({ length: 5_000 }, () => uuidV7(at));

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    for (let index = 1; index < ids.length; index++) expect(ids[index]! > ids[index - 1]!).toBe(true);
  });

  it('stays increasing when the clock steps back', () => {
    // Act
    const later = uuidV7(Date.UTC(2031, 0, 1, 0, 0, 1));
    const earlier = uuidV7(Date.UTC(2031, 0, 1, 0, 0, 0));

    // Assess
    expect(earlier > later).toBe(true);
  });
});
