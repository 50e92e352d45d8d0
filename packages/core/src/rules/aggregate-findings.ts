import type { MonoTypeOperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { TraceeEvent } from '../generated/schema.js';
import { observableClass, rx } from '../rx.js';
import { FindingAggregator, type AggregateOptions } from './aggregate.js';
import { isFindingEvent } from './signature-events.js';

export interface AggregateFindingsOptions extends Omit<AggregateOptions, 'now'> {
  /** Where windows are timed and their groups emitted (default: RxJS's asyncScheduler); its now() is the clock. */
  scheduler?: SchedulerLike;
}

/**
 * Aggregates identical findings ({@link FindingAggregator}): each group goes
 * out once its window closes (a timer on the scheduler), as one finding
 * event with `finding.aggregate`; other events pass through at once. On
 * completion, and before an error, every group still open goes out;
 * unsubscribing drops the groups held (no one is left to get them).
 *
 * ## Example
 * ```ts
 * trace({ events: ['anti_debugging'] })
 *   .pipe(aggregateFindings({ windowMs: 10_000 }))
 *   .subscribe((e) => console.log(e.eventName, isFindingEvent(e) ? e.finding.aggregate?.count : ''));
 * ```
 * @see FindingAggregator, what it runs.
 */
export function aggregateFindings(options: AggregateFindingsOptions): MonoTypeOperatorFunction<TraceeEvent> {
  const Observable = observableClass();
  return (source) =>
    new Observable<TraceeEvent>((subscriber) => {
      const scheduler = options.scheduler ?? rx().asyncScheduler;
      const aggregator = new FindingAggregator({ ...options, now: () => scheduler.now() });
      const emit = (events: readonly TraceeEvent[]) => {
        for (const e of events) subscriber.next(e);
      };
      // one timer, at the oldest open group's window's end
      let timer: Subscription | undefined;
      const arm = () => {
        const at = aggregator.nextDueAt();
        if (timer !== undefined || at === undefined) return;
        timer = scheduler.schedule(() => {
          timer = undefined;
          emit(aggregator.due());
          arm();
        }, Math.max(0, at - scheduler.now()));
      };
      const upstream = source.subscribe({
        next: (e) => {
          if (!isFindingEvent(e)) return subscriber.next(e);
          emit(aggregator.push([e]));
          arm();
        },
        error: (err: unknown) => {
          emit(aggregator.flush());
          subscriber.error(err);
        },
        complete: () => {
          emit(aggregator.flush());
          subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
