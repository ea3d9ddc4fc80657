// Error kinds shared by every subsystem (STYLE "Errors"): protocol replies are values;
// expected operational failures carry a category; everything else is a bug.

/** Category of an expected operational failure; each protocol maps it to its own code. */
export type FailureCategory = 'not-found' | 'exists' | 'no-quota' | 'perm' | 'temp' | 'not-possible' | 'invalid';

/** An expected failure with a category and a message that names the constraint and value. */
export class TandemError extends Error {
  constructor(
    readonly code: string,
    readonly category: FailureCategory,
    message: string,
  ) {
    super(message);
    this.name = 'TandemError';
  }
}

export function isTandemError(err: unknown, category?: FailureCategory): err is TandemError {
  return err instanceof TandemError && (category === undefined || err.category === category);
}

/** Exhaustiveness check for discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** A short id to correlate an internal error in logs with the generic reply a client got. */
export function errorId(): string {
  return Math.random().toString(36).slice(2, 10);
}
