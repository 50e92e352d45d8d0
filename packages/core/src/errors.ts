import { ERROR_CODES, type TraceeErrorCode } from './generated/core.js';

export type { TraceeErrorCode };

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** An error of the tracer: `code` for programs, `message` for people (cause and fix). */
export class TraceeError extends Error {
  constructor(
    readonly code: TraceeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TraceeError';
  }

  /**
   * The error a native call threw as a TraceeError: the binding's errors
   * carry tracee-core's code as `code` (one of {@link ERROR_CODES}) and the
   * message as it is. Any other error comes back unchanged.
   */
  static from(e: unknown): TraceeError | Error {
    if (e instanceof TraceeError) return e;
    if (!(e instanceof Error)) return new Error(String(e));
    const { code } = e as { code?: unknown };
    return typeof code === 'string' && CODES.has(code) ? new TraceeError(code as TraceeErrorCode, e.message) : e;
  }
}
