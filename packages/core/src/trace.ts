import type { Observable } from 'rxjs';
import { observableClass } from './rx.js';
import type { TraceeEvent } from './generated/schema.js';
import { TraceSession, type TraceInfo, type TraceOptions, type TraceStats } from './session.js';

export interface TraceObserverOptions extends TraceOptions {
  /** Called once every program is attached, with what was attached and live stats. */
  onAttach?: (info: TraceInfo, stats: () => TraceStats) => void;
}

/**
 * Traces the host: each subscription loads and attaches the eBPF programs
 * for `options.events` and emits every decoded event; unsubscribing detaches
 * everything, after which the process can exit by itself.
 *
 * ## Example
 * ```ts
 * const sub = trace({ events: ['execve', 'openat'] }).subscribe((e) => console.log(e.eventName, e.args));
 * // later
 * sub.unsubscribe();
 * ```
 */
export function trace(options: TraceObserverOptions = {}): Observable<TraceeEvent> {
  const Observable = observableClass();
  return new Observable<TraceeEvent>((subscriber) => {
    const { onAttach, ...sessionOptions } = options;
    let session: TraceSession;
    try {
      session = TraceSession.start(sessionOptions);
    } catch (e) {
      subscriber.error(e);
      return;
    }
    try {
      onAttach?.(session.info, () => session.stats());
    } catch (e) {
      // no teardown is registered yet: detach here, then tell the subscriber
      try {
        session.stop();
      } catch {
        // the error to report is onAttach's
      }
      subscriber.error(e);
      return;
    }

    // each event emitted as it is decoded (nextEach: memory); once the
    // subscriber has left, the rest of that batch is decoded for nobody
    // (RxJS drops next() on a closed subscriber) and no other batch is taken
    const emit = (e: TraceeEvent): void => subscriber.next(e);
    const pump = (): void => {
      session.nextEach(emit).then(
        (more) => {
          if (subscriber.closed) return;
          if (!more) {
            subscriber.complete();
            return;
          }
          pump();
        },
        (err) => subscriber.error(err),
      );
    };
    pump();

    return () => {
      try {
        session.stop();
      } catch {
        // The trace ended with an error after the subscriber left: nobody to tell.
      }
    };
  });
}
