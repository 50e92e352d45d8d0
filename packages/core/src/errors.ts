/** Codes of the errors the tracer reports (see crates/tracee-core/src/error.rs). */
export type TraceeErrorCode =
  | 'EPRIVILEGES'
  | 'EUNKNOWNEVENT'
  | 'ENOEVENTS'
  | 'EVERIFIER'
  | 'ELOAD'
  | 'EATTACH'
  | 'EPOLL'
  | 'ETHREAD'
  | 'ECORRUPT'
  | 'EBPFNEEDSBTF'
  | 'ENOBTF'
  | 'EBTFFILE'
  | 'EBPFFILE'
  | 'EARCHIVE'
  | 'EBADKEY'
  | 'ENOKEY'
  | 'EINVAL'
  | 'EPOLICY'
  | 'EUNAVAILABLE';

/** An error of the tracer: `code` for programs, `message` for people (cause and fix). */
export class TraceeError extends Error {
  constructor(
    readonly code: TraceeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TraceeError';
  }

  /** Reads the `CODE: message` form the native binding throws. */
  static from(e: unknown): TraceeError | Error {
    if (e instanceof TraceeError) return e;
    const message = e instanceof Error ? e.message : String(e);
    const m = /^(E[A-Z]+): ([\s\S]*)$/.exec(message);
    return m ? new TraceeError(m[1] as TraceeErrorCode, m[2]) : e instanceof Error ? e : new Error(message);
  }
}
