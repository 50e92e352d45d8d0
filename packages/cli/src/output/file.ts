// Tracee's `file` destination: events as JSON lines (Tracee's) or the CLI's
// table, appended to a file, or to stdout / stderr. Writes go out through
// the destination's bounded queue, one write(2) at a time, so a full disk or
// a pipe nobody reads never stalls the tracer: lines wait in the queue, and
// what does not fit is dropped and counted.
import { close, constants, fstatSync, ftruncateSync, open, openSync, write } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { TraceeError, type TraceeEvent } from '@tracee/core';
import { jsonLine, tableHeader, tableRow } from '../format.js';
import type { Destination, DestinationFormat, DestinationStats, JsonLines } from './destination.js';
import { DeliveryQueue, finishedWithin, type Batch, type QueueBound } from './queue.js';

/** Most bytes handed to one write(2). */
const WRITE_BYTES = 1024 * 1024;
/** How long a write that would block (EAGAIN: a full pipe) waits before it tries again, in ms. */
const EAGAIN_WAIT_MS = 10;
/**
 * O_APPEND: lines go after whatever is there (another writer's too);
 * O_NONBLOCK: a FIFO without a reader fails to open (ENXIO) instead of
 * hanging, and a full one answers EAGAIN instead of holding a thread.
 */
const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NONBLOCK;
/** A new file's mode (before the umask): events name processes, files and users, so not for everyone. */
const OPEN_MODE = 0o640;
/** Tracee's names for the standard streams as a file destination's path, and their fds. */
const STD_STREAMS: Record<string, number> = { stdout: 1, stderr: 2 };

const openAsync = promisify(open);
const writeAsync = promisify(write);

export interface FileDestinationOptions {
  /** Its name in the configuration. */
  name: string;
  /** A file, created if missing and appended to; or `stdout` (default) / `stderr`, as in Tracee. */
  path?: string;
  /** Tracee's JSON lines (default) or the CLI's table (with its header at the top of a new or empty file). */
  format?: DestinationFormat;
  /** JSON only: argument values as people read them (`O_RDONLY|O_CLOEXEC`), as `--parse-arguments`. */
  parseArguments?: boolean;
  /** The queue's bound (default: DEFAULT_QUEUE_EVENTS events, DEFAULT_QUEUE_BYTES bytes of lines, from queue.ts). */
  queue?: Partial<QueueBound>;
}

/**
 * Tracee's `file` destination. `sent` counts the lines write(2) took whole;
 * a write that fails (ENOSPC, EIO, EPIPE) counts one `failed`, and the lines
 * of that write it did not take are `dropped` (the next write tries again
 * with the next lines). A full pipe (EAGAIN) is waited for, every 10 ms,
 * while the queue absorbs what comes meanwhile. stdout and stderr are
 * written as they are: if one is a blocking pipe that is full, the write
 * waits in one of libuv's threads, never on the event loop.
 */
export class FileDestination implements Destination {
  readonly name: string;
  readonly type = 'file' as const;
  readonly path: string;
  readonly format: DestinationFormat;
  /** Why the last write or reopen failed (errno code and message), if one did. */
  lastError: string | undefined;
  readonly #queue: DeliveryQueue<string>;
  readonly #line: (e: TraceeEvent) => string;
  readonly #parseArguments: boolean;
  #fd: number;
  /** The table's header goes before the next line written (a new or empty file, or the first line on stdout/stderr). */
  #needHeader: boolean;
  #reopenWanted = false;
  /** The loop writing the queue out, while it runs. */
  #draining: Promise<void> | undefined;
  /** The batch being written now, and how far its write got. */
  #current: Batch<string> | undefined;
  #progress: Progress | undefined;
  #closing: Promise<void> | undefined;
  /** close() ran out of time: the loop stops, what it still holds was counted as dropped. */
  #abandoned = false;

  /** Opens `path` at once; throws a TraceeError (`EOUTPUT`) naming the path and the cause. */
  constructor(options: FileDestinationOptions) {
    this.name = options.name;
    this.path = options.path ?? 'stdout';
    this.format = options.format ?? 'json';
    const parseArguments = (this.#parseArguments = options.parseArguments ?? false);
    this.#line = this.format === 'table' ? tableRow : (e) => jsonLine(e, parseArguments);
    this.#queue = new DeliveryQueue(options.queue, (line) => Buffer.byteLength(line));
    const std = STD_STREAMS[this.path];
    if (std !== undefined) {
      this.#fd = std;
      this.#needHeader = this.format === 'table';
    } else {
      try {
        this.#fd = openSync(this.path, OPEN_FLAGS, OPEN_MODE);
      } catch (e) {
        throw new TraceeError('EOUTPUT', `destination ${this.name}: cannot open ${this.path}: ${(e as Error).message}`);
      }
      this.#needHeader = this.#headerWanted(this.#fd);
    }
  }

  write(events: readonly TraceeEvent[], json?: JsonLines): void {
    if (this.#closing) return this.#queue.reject(events.length);
    const lines = this.format === 'json' && json?.parseArguments === this.#parseArguments ? json.lines : undefined;
    if (lines) for (let i = 0; i < events.length; i++) this.#queue.offer(() => lines[i] + '\n');
    else for (const e of events) this.#queue.offer(() => this.#line(e));
    this.#kick();
  }

  stats(): DestinationStats {
    return this.#queue.stats();
  }

  /**
   * Opens the path anew before the next write (logrotate moved the file:
   * what was written before is in the moved file, what comes after in a new
   * one at the path; nothing is lost or written twice). If the path cannot
   * be opened, writing goes on to the file open now and `failed` counts it.
   * A no-op for stdout and stderr.
   */
  reopen(): void {
    if (STD_STREAMS[this.path] !== undefined || this.#closing) return;
    this.#reopenWanted = true;
    this.#kick();
  }

  /**
   * Writes what is queued, for at most `timeoutMs`; then what is still
   * queued is counted as dropped, but for the lines of the write under way
   * that went out whole. Closes the file (once no write holds it). Idempotent.
   */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  async #close(timeoutMs: number): Promise<void> {
    const draining = this.#draining;
    if (draining) {
      const timedOut = !(await finishedWithin(draining, timeoutMs));
      if (timedOut) {
        this.#abandoned = true;
        this.#queue.dropWaiting();
        // of the write under way, what went out whole is sent
        if (this.#current && !this.#current.settled) this.#queue.settle(this.#current, this.#progress ? wholeLines(this.#progress) : 0);
      }
    }
    // a write(2) still under way keeps the fd until it returns: closing it
    // earlier could let a new open take its number and the write land there
    if (this.#draining) void this.#draining.then(() => this.#closeFd());
    else this.#closeFd();
  }

  #closeFd(): void {
    if (STD_STREAMS[this.path] === undefined) close(this.#fd, () => undefined);
  }

  /** Starts the loop writing the queue out, unless it runs. */
  #kick(): void {
    if (this.#draining || this.#abandoned) return;
    if (this.#queue.waiting === 0 && !this.#reopenWanted) return;
    this.#draining = this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    while (!this.#abandoned) {
      if (this.#reopenWanted) await this.#reopenNow();
      if (this.#queue.waiting === 0) return;
      const batch = (this.#current = this.#queue.take(Infinity, WRITE_BYTES));
      const sent = await this.#writeLines(batch.items);
      // close() may have counted it dropped meanwhile
      if (!batch.settled) this.#queue.settle(batch, sent);
      this.#current = this.#progress = undefined;
    }
  }

  async #reopenNow(): Promise<void> {
    this.#reopenWanted = false;
    let fd: number;
    try {
      fd = await openAsync(this.path, OPEN_FLAGS, OPEN_MODE);
    } catch (e) {
      this.#queue.failed();
      this.lastError = `cannot reopen ${this.path}: ${(e as Error).message}`;
      return;
    }
    const old = this.#fd;
    this.#fd = fd;
    this.#needHeader = this.#headerWanted(fd);
    close(old, () => undefined);
  }

  /** Writes `lines` whole; returns how many were written whole (all, unless a write failed or close() gave up). */
  async #writeLines(lines: readonly string[]): Promise<number> {
    const header = this.#needHeader ? tableHeader() : '';
    const buffer = Buffer.from(header + lines.join(''));
    const progress = (this.#progress = { lines, headerBytes: Buffer.byteLength(header), done: 0 });
    try {
      while (progress.done < buffer.length && !this.#abandoned) {
        try {
          progress.done += (await writeAsync(this.#fd, buffer, progress.done, buffer.length - progress.done, null)).bytesWritten;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          await sleep(EAGAIN_WAIT_MS);
        }
      }
    } catch (e) {
      this.#queue.failed();
      this.lastError = `writing ${this.path} failed: ${(e as Error).message}`;
      this.#dropPartialLine(progress);
    }
    if (progress.done >= progress.headerBytes) this.#needHeader = false;
    return wholeLines(progress);
  }

  /**
   * After a failed write (a full disk) that left part of a line in a file,
   * cuts the file back to the end of its last whole line: the next line
   * must not be appended to half of one, and a reader must not find a line
   * that does not parse. (stdout and stderr, not files of ours, are left.)
   */
  #dropPartialLine(progress: Progress): void {
    if (STD_STREAMS[this.path] !== undefined) return;
    const whole = wholeLines(progress);
    const wholeBytes = progress.headerBytes + progress.lines.slice(0, whole).reduce((n, l) => n + Buffer.byteLength(l), 0);
    const partial = progress.done - Math.max(wholeBytes, Math.min(progress.done, progress.headerBytes));
    if (partial <= 0) return;
    try {
      ftruncateSync(this.#fd, fstatSync(this.#fd).size - partial);
      progress.done -= partial;
    } catch (e) {
      this.lastError += `; cutting its partial line failed: ${(e as Error).message}`;
    }
  }

  /** The table's header goes at the top of a file that is empty when opened (new, or emptied). */
  #headerWanted(fd: number): boolean {
    return this.format === 'table' && fstatSync(fd).size === 0;
  }
}

/** A write under way: its lines, the bytes of the table header before them, and how many bytes went out. */
interface Progress {
  lines: readonly string[];
  headerBytes: number;
  done: number;
}

/** How many of the lines went out whole. */
function wholeLines({ lines, headerBytes, done }: Progress): number {
  let whole = 0;
  for (let end = headerBytes; whole < lines.length; whole++) {
    end += Buffer.byteLength(lines[whole]);
    if (end > done) break;
  }
  return whole;
}
