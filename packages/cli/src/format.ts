import { decodedArgs, eventById, formatReturn, formatStruct, isFindingEvent, traceeJson, type TraceeEvent } from '@tracee/core';

const SEVERITY = ['info', 'low', 'medium', 'high', 'critical'];

/** A table cell: `-` for an empty value, so a column is never blank (and `awk` counts fields right). */
export function cell(text: string): string {
  return text === '' ? '-' : text;
}

/**
 * Text a terminal shows as it is: the C0 and C1 control characters and DEL
 * (a comm or a path may hold any byte: an escape sequence would recolour
 * or move the cursor, a newline would split the row) as `\u001b`, as JSON
 * writes them.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** One JSON object per line, as Tracee prints events (see traceeJson). */
export function jsonLine(e: TraceeEvent, parseArguments = false): string {
  return traceeJson(e, { parseArguments }) + '\n';
}

const COLUMNS = [
  ['TIME', 16],
  ['UID', 6],
  ['COMM', 16],
  ['PID', 8],
  ['TID', 8],
  ['RET', 12],
  ['EVENT', 20],
] as const;

/** The header line of the table output. */
export function tableHeader(): string {
  return COLUMNS.map(([name, width]) => name.padEnd(width)).join(' ') + ' ARGS\n';
}

/**
 * One aligned row, like Tracee's table: seconds since boot, uid, comm, pid,
 * tid, return value (`-2 ENOENT` for a failure), event, and the arguments
 * decoded (`flags: O_RDONLY|O_CLOEXEC`).
 */
export function tableRow(e: TraceeEvent): string {
  const cells = [
    (e.timestamp / 1e9).toFixed(6),
    String(e.userId),
    printable(e.processName),
    String(e.hostProcessId),
    String(e.hostThreadId),
    formatReturn(e),
    e.eventName,
  ];
  if (isFindingEvent(e)) {
    // a signature's finding: the rule, its severity, what it says, and what triggered it
    const { rule, data, event } = e.finding;
    const said = Object.entries(data).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    return cells.map((c, i) => c.padEnd(COLUMNS[i][1])).join(' ') + ' ' + printable([`${rule.id} ${SEVERITY[rule.severity]}`, ...said, `triggeredBy: ${event.eventName}`].join(', ')) + '\n';
  }
  const defs = eventById(e.eventId)?.args;
  const show = (v: ReturnType<typeof decodedArgs>[number]['value'], quote: boolean) =>
    Array.isArray(v) ? JSON.stringify(v) : typeof v === 'object' ? formatStruct(v) : quote ? JSON.stringify(v) : String(v);
  // quoted by the argument's definition, found by name (e.args may skip some: decodedArgs)
  const args = decodedArgs(e).map((a) => `${a.name}: ${show(a.value, defs?.find((d) => d.name === a.name)?.kind === 'Str')}`);
  return cells.map((c, i) => c.padEnd(COLUMNS[i][1])).join(' ') + ' ' + printable(args.join(', ')) + '\n';
}

/** `10s`, `500ms`, `2m`, `1h`, or plain seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration '${text}': use e.g. 10s, 500ms, 2m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] as number;
  return Number(m[1]) * unit;
}
