// Recorded events (JSON lines: `tracee-rs -o json`, or Tracee's JSON
// output) as an Observable, for running rules offline.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Observable } from 'rxjs/internal/Observable';
import { TraceeError } from '../errors.js';
import type { TraceeEvent } from '../generated/schema.js';
import { parseEventJson } from '../tracee-json.js';

/** The events of a JSON-lines file, in order; errors name the file and line. */
export function replay(file: string): Observable<TraceeEvent> {
  return new Observable<TraceeEvent>((sub) => {
    const input = createReadStream(file);
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    let done = false;
    input.on('error', (e) => sub.error(new TraceeError('EINVAL', `${file}: ${e.message}`)));
    lines.on('line', (line) => {
      n++;
      if (done || !line.trim()) return;
      try {
        sub.next(parseEventJson(line));
      } catch (e) {
        done = true;
        sub.error(new TraceeError('EINVAL', `${file}:${n}: not an event in JSON (${(e as Error).message}); replay reads tracee-rs -o json or Tracee's JSON output`));
        lines.close();
      }
    });
    lines.on('close', () => !done && sub.complete());
    return () => {
      done = true;
      lines.close();
      input.destroy();
    };
  });
}
