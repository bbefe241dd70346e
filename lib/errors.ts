import type { DarknetErrorCode } from './error-codes.js';

export { ERROR_CODES, type DarknetErrorCode } from './error-codes.js';

/**
 * The one error class of this package. The native addon creates it too (it is
 * registered with the binding on load), so `instanceof DarknetError` holds for
 * errors from darknet's worker threads as well.
 */
export class DarknetError extends Error {
  readonly code: DarknetErrorCode;

  constructor(message: string, code: DarknetErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DarknetError';
    this.code = code;
  }
}

/**
 * Gives an error from a worker thread the stack of the JavaScript call that
 * started the work (the worker's own stack is empty of user frames).
 */
export function withCallerStack(error: unknown, callSite: Error): unknown {
  if (error instanceof Error) {
    const frames = (callSite.stack ?? '').split('\n').slice(1).join('\n');
    error.stack = `${error.name} [${(error as { code?: string }).code ?? ''}]: ${error.message}\n${frames}`;
  }
  return error;
}
