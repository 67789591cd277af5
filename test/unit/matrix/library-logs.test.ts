import { AppserviceHttpError } from 'matrix-appservice-bridge';
import { describe, expect, it } from 'vitest';
import { isExpectedLibraryLog, NOT_AN_EMPLOYEE } from '../../../src/matrix/library-logs.ts';

/** The args as the bridge's JSON log format carries them (objects serialised once into the line). */
const args = (...a: unknown[]) => JSON.parse(JSON.stringify(a)) as unknown[];

describe('library log filter', () => {
  it('drops the outcomes that are normal here: a user registered by another process, a 404 we gave on purpose', () => {
    expect(isExpectedLibraryLog('Error registering user: User ID is in use', [])).toBe(true);
    const ours = new AppserviceHttpError({ errcode: 'M_NOT_FOUND', error: NOT_AN_EMPLOYEE }, 404);
    expect(isExpectedLibraryLog('Failed onUserQuery for @morgan.blake:anycompany.corp', args(ours))).toBe(true);
  });

  it('keeps every other M_NOT_FOUND: a missing room, event or profile may be the only trace of a fault', () => {
    expect(isExpectedLibraryLog('(REQ-12)', args({ errcode: 'M_NOT_FOUND', error: 'Room alias #all-employees:anycompany.corp not found' }))).toBe(false);
    expect(isExpectedLibraryLog('(REQ-13)', args({ errcode: 'M_NOT_FOUND', error: 'Unknown room' }))).toBe(false);
    const other = new AppserviceHttpError({ errcode: 'M_NOT_FOUND', error: 'profile missing' }, 404);
    expect(isExpectedLibraryLog('Failed onUserQuery for @aaron.phillips:anycompany.corp', args(other))).toBe(false);
    expect(isExpectedLibraryLog('M_NOT_FOUND somewhere in the message', [])).toBe(false);
  });
});
