// rxjs, loaded where it is first used rather than when @tracee/core is
// imported. Node resolves `rxjs` to its CommonJS build, ~230 files that
// cost every start-up ~100 ms (npm run bench, start-up breakdown), and a
// trace that runs no rule needs none of it: the rules' operators run only
// once a rule is selected, Observable only once trace() or replay() is
// called. The values are rxjs's own (the same module `import ... from
// 'rxjs'` gives), reached on first use.
import { createRequire } from 'node:module';

type Rx = typeof import('rxjs');

const require = createRequire(import.meta.url);
let rxjs: Rx | undefined;
let observable: Rx['Observable'] | undefined;

/** rxjs itself, loaded on the first call. */
export function rx(): Rx {
  return (rxjs ??= require('rxjs') as Rx);
}

/**
 * rxjs's Observable class alone, from its exported internal path: the same
 * class (the same file) as `rxjs`'s, for ~15 files instead of ~230.
 */
export function observableClass(): Rx['Observable'] {
  return (observable ??= (require('rxjs/internal/Observable') as typeof import('rxjs/internal/Observable')).Observable);
}

/** An rxjs function that loads rxjs on its first call, typed as rxjs's own. */
function lazy<K extends 'filter' | 'map' | 'mergeMap'>(name: K): Rx[K] {
  return ((...args: unknown[]) => (rx()[name] as (...a: unknown[]) => unknown)(...args)) as Rx[K];
}

/** The operators the builtin rules use (rxjs's filter, map, mergeMap). */
export const filter = lazy('filter');
export const map = lazy('map');
export const mergeMap = lazy('mergeMap');
