// Recorded events (JSON lines: `tracee-rs -o json`, or Tracee's JSON
// output) as an Observable, for running rules offline.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Observable } from 'rxjs';
import { TraceeError } from '../errors.js';
import { observableClass } from '../rx.js';
import type { TraceeEvent } from '../generated/schema.js';
import { parseEventJson } from '../tracee-json.js';

/**
 * The events of a JSON-lines file (`-`: standard input), in order; errors
 * (a missing file, a directory, a line that is not an event) name the file
 * and line.
 */
export function replay(file: string): Observable<TraceeEvent> {
  const Observable = observableClass();
  return new Observable<TraceeEvent>((sub) => {
    let input: NodeJS.ReadableStream & { destroy?: () => void };
    if (file === '-') {
      input = process.stdin;
    } else {
      try {
        if (!statSync(file).isFile()) throw new Error('not a file');
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
        sub.error(new TraceeError('EINVAL', `${file}: ${why}; give a file of JSON lines (tracee-rs -o json, or Tracee's JSON output), or - for standard input`));
        return;
      }
      input = createReadStream(file);
    }
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      sub.error(new TraceeError('EINVAL', `${file}: ${e.message}`));
    };
    input.on('error', fail);
    // readline passes its input's errors on
    lines.on('error', fail);
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
      if (input !== process.stdin) input.destroy?.();
    };
  });
}
