import { expect } from 'vitest';
import { Fido2Error } from '../../src/errors.js';

/** The Fido2Error a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<Fido2Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Fido2Error);
    return e as Fido2Error;
  }
  throw new Error('expected a rejection');
}
