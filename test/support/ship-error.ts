// The ShipError a call throws (or a promise rejects with); fails the test when there is none.
import { expect } from 'vitest';
import { ShipError } from '../../src/errors.js';

export function caughtShipError(fn: () => unknown): ShipError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ShipError);
    return e as ShipError;
  }
  throw new Error('expected a ShipError');
}

export async function rejectedShipError(p: Promise<unknown>): Promise<ShipError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ShipError);
    return e as ShipError;
  }
  throw new Error('expected a ShipError');
}
