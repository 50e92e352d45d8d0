import { loadBinding } from './binding.js';
import { TraceeError, type TraceeErrorCode } from './errors.js';
// DEFAULTS, EVENT_SETS and LIMITS are imported for the docs' {@link}s
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { DEFAULTS, SyscallHooks } from './generated/core.js';
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import { CorruptBatchError, decodeBatch, type ContainerView, type EVENT_SETS, type EventName, type EventSet, type LIMITS, type TraceeEvent } from './generated/schema.js';
import type { NativeContainer, NativeEnrichment, NativeProgramStats, NativeRingFill, NativeStats, NativeTraceInfo, NativeTracer } from './generated/native.js';
import { policyFromFlags, toNative, type Policy } from './policy.js';
import { ContainerEnricher, presentRuntimes } from './containers/enricher.js';
import { runtimeSockets, type ContainerEnrichment } from './containers/runtimes/enrichment.js';
// DEFAULT_SOCKETS and parseEnrichment are imported for the docs' {@link}s
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { DEFAULT_SOCKETS } from './containers/runtimes/types.js';
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { parseEnrichment } from './containers/runtimes/enrichment.js';
import type { TraceeJsonOptions } from './tracee-json.js';
import { BUILTIN_RULES } from './rules/builtin.js';
import type { DetectOptions } from './rules/detect.js';
import type { Rule } from './rules/rule.js';
import { isInternalPolicy, planSignatures, SignatureStage, userPolicyMessage, type SignaturePlan } from './rules/signature-events.js';

export interface TraceOptions {
  /**
   * Events as Tracee's --events takes them: names (`openat`), sets
   * ({@link EVENT_SETS}), patterns (`open*`), exclusions (`-close`) and
   * per-event filters (`openat.data.pathname=/etc/*`, `openat.retval<0`,
   * `openat.scope.comm=cat`). Default: {@link DEFAULTS}`.events`.
   */
  events?: readonly (EventName | EventSet | (string & {}))[];
  /** Scope filters as Tracee's --scope takes them (`comm=cat`, `uid>=1000`, `tree=1`, `follow`, `container`), ANDed. Default: every process. */
  scope?: readonly string[];
  /**
   * Policies (see `loadPolicies`), up to {@link LIMITS}`.MAX_POLICIES`; each
   * event carries the names of those it matched. Not with `events`/`scope`,
   * as in Tracee.
   */
  policies?: readonly Policy[];
  /**
   * Kernel ring buffer size in bytes: a power of two times the page size, up
   * to 2 GiB, as the kernel takes it (else an `EINVAL` naming the sizes that
   * work). Default: {@link DEFAULTS}`.ringBufferBytes`.
   */
  ringBufferBytes?: number;
  /** Records per batch handed to JavaScript: a whole number from 1 to 1,048,576 (else an `EINVAL`). Default: {@link DEFAULTS}`.batchEvents`. */
  batchEvents?: number;
  /**
   * Longest wait before a partial batch is delivered, in ms: a whole number
   * from 0 to 1000 (else an `EINVAL`); stopping waits for it too. Default:
   * {@link DEFAULTS}`.flushIntervalMs`.
   */
  flushIntervalMs?: number;
  /** Use a perf buffer even where the kernel has a BPF ring buffer (it is used anyway before Linux 5.8). */
  perfBuffer?: boolean;
  /** Use the programs for kernels before 5.2 (no global data, perf buffer, monotonic clock) even on newer ones. */
  legacyPrograms?: boolean;
  /**
   * How syscalls are hooked: `raw` (raw tracepoints sys_enter/sys_exit, every
   * syscall runs the program), `per-syscall` (the tracepoints of the selected
   * syscalls only; needs tracefs), or `auto` (per-syscall for up to
   * {@link DEFAULTS}`.perSyscallMax` selected syscalls where tracefs has
   * them). Default: {@link DEFAULTS}`.syscallHooks`.
   */
  syscallHooks?: SyscallHooks;
  /**
   * execve's `envp` as its strings (up to 32, as argv) instead of an
   * address: Tracee's `--output option:exec-env`. execveat's stays an address.
   */
  execEnv?: boolean;
  /**
   * The signatures that `events` and policies may name (Tracee's signatures
   * as events: `anti_debugging`, or the set `signatures`): each turns on the
   * events its rule needs, in the selecting policy's scope, and its findings
   * come out as events ({@link FindingEvent}). Default: the builtin rules.
   */
  rules?: readonly Rule[];
  /** Called when a selected rule throws: it stops, the trace goes on. Default: a line on stderr. */
  onRuleError?: DetectOptions['onRuleError'];
  /**
   * Seconds between the rootkit checks (`hooked_syscall`, `hooked_proc_fops`)
   * after the one at start, where one of them is selected. Default:
   * {@link DEFAULTS}`.rootkitCheckIntervalS`.
   */
  rootkitCheckInterval?: number;
  /**
   * Which container runtimes to ask for the names, images and pods of the
   * containers events come from (Tracee's `--enrichment`, parsed by
   * {@link parseEnrichment}); `false`: none, events carry container ids
   * only. Default: every runtime whose default socket exists
   * ({@link DEFAULT_SOCKETS}).
   */
  enrichment?: ContainerEnrichment | false;
  /**
   * How long `existing_container` and `container_create` wait for a
   * runtime to describe their container before they go without its
   * details, in ms (0 to 60000). Default: {@link DEFAULT_ENRICH_WAIT_MS}
   * where a runtime is asked, else 0.
   */
  enrichWaitMs?: number;
  /**
   * Let {@link TraceSession.reload} replace the policies while every
   * program stays attached. The kernel side then reads the scopes from a
   * map rather than from constants the verifier saw (a few ns more per
   * event that a scoped policy selects). Default: false.
   */
  reloadable?: boolean;
}

/** What {@link TraceSession.reload} replaces: the policies (or events and scope), and the rules they may name. */
export type ReloadOptions = Pick<TraceOptions, 'events' | 'scope' | 'policies' | 'rules' | 'onRuleError'>;

/** {@link TraceOptions}`.enrichWaitMs` where a runtime is asked: a runtime answers in ms; one that hangs holds the lifecycle events back no longer. */
export const DEFAULT_ENRICH_WAIT_MS = 1000;

/**
 * Every option of {@link TraceOptions}, by name: checked against what a
 * caller passes, so a misspelt one (\`evnets\`) is an error rather than a
 * trace of the defaults. The type check below fails the build if an option
 * is added to TraceOptions and not here.
 */
const TRACE_OPTION_NAMES = [
  'events',
  'scope',
  'policies',
  'ringBufferBytes',
  'batchEvents',
  'flushIntervalMs',
  'perfBuffer',
  'legacyPrograms',
  'syscallHooks',
  'execEnv',
  'rules',
  'onRuleError',
  'rootkitCheckInterval',
  'enrichment',
  'enrichWaitMs',
  'reloadable',
] as const satisfies readonly (keyof TraceOptions)[];
// every key of TraceOptions is listed (else: "Type 'false' is not assignable to type 'true'")
const everyOptionListed: Exclude<keyof TraceOptions, (typeof TRACE_OPTION_NAMES)[number]> extends never ? true : false = true;
void everyOptionListed;

/** An `EINVAL` for each option name `options` has that `known` lacks, with the nearest known name. */
export function checkOptionNames(options: object, known: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const [near] = loadBinding().nearestNames(name, [...known], 1, 3);
    throw new TraceeError('EINVAL', `unknown option '${name}'${near === undefined ? '' : `; did you mean ${near}?`} (the options: ${known.join(', ')})`);
  }
}

/** What was attached, and with which BTF. */
export type TraceInfo = NativeTraceInfo;

/** Counters of a trace (`lost` is exact: records the kernel could not write), and how it runs. */
export interface TraceStats extends NativeStats, Pick<TraceInfo, 'btf' | 'decisionCase' | 'transport'> {}

/**
 * One loaded program's run time (ns) and runs as the kernel counts them
 * (`struct bpf_prog_info`): they move only while the kernel's BPF stats
 * are on (sysctl `kernel.bpf_stats_enabled=1`).
 */
export type ProgramStats = NativeProgramStats;

/** How full the kernel's BPF ring buffer is, in bytes: used (written or reserved, not yet read) of size. */
export type RingFill = NativeRingFill;

/**
 * The tracer's policies for `options`: the given policies (or one of
 * events and scope), with the signature policies of the rules they name.
 * Throws EINVAL for policies together with events or scope.
 */
function tracerPolicies(options: ReloadOptions): { rules: readonly Rule[]; plan: SignaturePlan | undefined; policies: readonly Policy[] } {
  if (options.policies && (options.events || options.scope)) {
    throw new TraceeError('EINVAL', 'policies cannot be combined with events or scope (as in Tracee): put those events and scopes in a policy');
  }
  const rules = options.rules ?? BUILTIN_RULES;
  const given = options.policies ?? [policyFromFlags(options.scope, options.events, rules.map((r) => r.eventName))];
  const plan = planSignatures(given, rules);
  return { rules, plan, policies: plan?.policies ?? given };
}

/**
 * One trace, pulled batch by batch: the next batch is read from the kernel
 * side only when the last one was taken, so a slow consumer backs up into
 * the kernel ring (where loss is counted) instead of into memory.
 */
export class TraceSession {
  readonly info: TraceInfo;
  #native: NativeTracer;
  #stopped = false;
  #signatures: SignatureStage | undefined;
  #ended = false;
  /** How the batches are taken: by next(), or written by writeJson() (one or the other). */
  #reader: 'next' | 'writeJson' | undefined;
  /** Buffers nextBatch copies batches into, free for the next (see #decodeNext). */
  #buffers: Buffer[] = [];

  private constructor(native: NativeTracer, signatures: SignatureStage | undefined) {
    this.#native = native;
    this.#signatures = signatures;
    this.info = native.info();
  }

  /** Loads and attaches; throws a {@link TraceeError} naming the cause and the fix. */
  static start(options: TraceOptions = {}): TraceSession {
    const { NativeTracer } = loadBinding();
    checkOptionNames(options, TRACE_OPTION_NAMES);
    const { plan, policies } = tracerPolicies(options);
    const execEnv = options.execEnv || [...(plan?.selections.keys() ?? [])].some((r) => r.execEnv);
    const enrichment = options.enrichment ?? { enabled: true, sockets: {}, cgroupfs: { force: false } };
    const runtimes = enrichment ? presentRuntimes(runtimeSockets(enrichment)) : [];
    let session: TraceSession;
    try {
      session = new TraceSession(
        NativeTracer.start({
          policies: policies.map(toNative),
          ringBufferBytes: options.ringBufferBytes,
          batchEvents: options.batchEvents,
          flushIntervalMs: options.flushIntervalMs,
          perfBuffer: options.perfBuffer,
          legacyPrograms: options.legacyPrograms,
          syscallHooks: options.syscallHooks,
          execEnv,
          rootkitCheckIntervalS: options.rootkitCheckInterval,
          enrichWaitMs: options.enrichWaitMs ?? (runtimes.length ? DEFAULT_ENRICH_WAIT_MS : 0),
          // Tracee's container.cgroupfs.path: where the hierarchy that tells containers is mounted
          cgroupfs: enrichment ? enrichment.cgroupfs.path : undefined,
          reloadable: options.reloadable,
        }),
        plan && new SignatureStage(plan, { onRuleError: options.onRuleError }),
      );
    } catch (e) {
      const error = TraceeError.from(e);
      error.message = userPolicyMessage(error.message);
      throw error;
    }
    if (plan) session.#signaturesAvailable(plan);
    if (runtimes.length) session.#enricher = new ContainerEnricher(session.#native, runtimes);
    return session;
  }

  /**
   * Replaces the policies (or events and scope) and the rules they name,
   * while every program stays attached: no record is lost across it, and
   * one read after it resolves carries the new policies (a policy keeps
   * its name in matchedPolicies; a removed one's name stays on the records
   * made before). Needs a session started with `reloadable: true`. The
   * rules selected start afresh (their state, the process tree, is new).
   * Keep taking batches while it runs: the kernel side applies it between
   * two batches, and waits for room to hand the next one over.
   *
   * Rejects with a {@link TraceeError}, the running policies kept: `EINVAL`
   * (not reloadable, stopped, or events whose hooks this trace did not
   * attach at start: such events need a new trace), `EPOLICY`,
   * `EUNKNOWNEVENT`.
   */
  async reload(options: ReloadOptions): Promise<void> {
    checkOptionNames(options, ['events', 'scope', 'policies', 'rules', 'onRuleError']);
    const { plan, policies } = tracerPolicies(options);
    const refused = await this.#native.reload(policies.map(toNative));
    if (refused) {
      throw new TraceeError(refused.code as TraceeErrorCode, userPolicyMessage(refused.message));
    }
    // the rules' last findings go out with the next batch
    const pending = this.#signatures?.end() ?? [];
    this.#signatures = plan && new SignatureStage(plan, { onRuleError: options.onRuleError });
    this.#pending.push(...pending);
    this.#refreshPolicies();
  }

  /** Findings of the rules a reload replaced, emitted with the next batch. */
  #pending: TraceeEvent[] = [];
  #policiesGeneration = 0;

  /** The policy names by bit as the last reload left them. */
  #refreshPolicies(): void {
    if (this.#native.policiesGeneration === this.#policiesGeneration) return;
    this.#policiesGeneration = this.#native.policiesGeneration;
    this.info.policies = this.#native.policies();
  }

  /** Asks the runtimes about the table's containers (none where enrichment is off or no runtime is here). */
  #enricher: ContainerEnricher | undefined;

  /** Resolves once every container the table holds now has been described by the runtimes (or found unknown to them). */
  async containersDescribed(): Promise<void> {
    await this.#enricher?.settled();
  }

  /**
   * A selected signature none of whose events could be attached here
   * (rootkit checks without kallsyms, an LSM hook without fentry or
   * kprobes) is unavailable, with the reason, as an event is; if no
   * signature is left and no plain event was selected, the trace stops
   * with that error.
   */
  #signaturesAvailable(plan: SignaturePlan): void {
    const attached = new Set(this.info.events);
    const reasons = new Map(this.info.disabled.flatMap((d) => d.events.map((e) => [e, d.reason] as const)));
    const selected = [...plan.selections.keys()];
    const off = selected.filter((r) => !r.events.some((e) => attached.has(e.event)));
    for (const r of off) {
      const needs = [...new Set(r.events.map((e) => e.event))];
      const why = [...new Set(needs.map((e) => reasons.get(e)).filter((x) => x !== undefined))];
      this.info.disabled.push({ events: [r.eventName], reason: `the signature needs ${needs.join(', ')}${why.length ? `: ${why.join('; ')}` : ', not attached here'}` });
    }
    if (off.length > 0 && off.length === selected.length && plan.policies.every((p) => isInternalPolicy(p.name))) {
      this.stop();
      throw new TraceeError('EUNAVAILABLE', `none of the selected events can be traced here: ${this.info.disabled.filter((d) => off.some((r) => d.events.includes(r.eventName))).map((d) => `${d.events.join(',')}: ${d.reason}`).join('; ')}`);
    }
  }

  /**
   * The next batch of decoded events; null once the trace has stopped and
   * every batch the kernel side handed over has been taken.
   */
  async next(): Promise<TraceeEvent[] | null> {
    const events: TraceeEvent[] = [];
    if (!(await this.#decodeNext((e) => events.push(e)))) {
      // the rules' last findings first
      const last = this.#ended ? [] : (this.#signatures?.end() ?? []);
      this.#ended = true;
      return last.length > 0 ? last : null;
    }
    const out = this.#signatures ? this.#signatures.process(events) : events;
    if (this.#pending.length === 0) return out;
    const pending = this.#pending;
    this.#pending = [];
    return [...pending, ...out];
  }

  /**
   * The events of the next batch, each handed to `emit` as soon as it is
   * decoded, in order; resolves true, or false once the trace has stopped
   * and every batch has been taken (as {@link next}'s null). Where
   * signatures run, the batch goes through them whole first, as next()'s.
   * What trace() delivers by: a batch's events are never all alive at once,
   * so a garbage collection that comes mid-batch keeps one event alive, not
   * up to {@link DEFAULTS}`.batchEvents` of them, and V8's young generation
   * (grown by what its collections keep) grows more slowly: 8 MiB instead
   * of 32 after 30 s at 1 M events/s (`npm run bench -- --sections memory`).
   */
  async nextEach(emit: (event: TraceeEvent) => void): Promise<boolean> {
    if (this.#signatures || this.#pending.length > 0) {
      const events = await this.next();
      for (const e of events ?? []) emit(e);
      return events !== null;
    }
    if (await this.#decodeNext(emit)) return true;
    this.#ended = true;
    return false;
  }

  /**
   * The next batch of decoded events with each event's line of Tracee's
   * JSON (with `options` as {@link traceeJson}'s, without the newline),
   * `lines[i]` the line of `events[i]`: made by the native JSON writer
   * (what {@link writeJson} writes) on the libuv thread that takes the
   * batch, not by traceeJson on the event loop (~0.2 µs an event against
   * ~3.5). Null once the trace has stopped and every batch has been taken,
   * as {@link next}'s. Beside next(), not beside writeJson(). Throws a
   * {@link TraceeError}: `EINVAL` where signatures run (their findings and
   * the policies they rewrite are made in JavaScript: read the events with
   * next()), `ECORRUPT` as next().
   */
  async nextWithJson(options: TraceeJsonOptions = {}): Promise<{ events: TraceeEvent[]; lines: string[] } | null> {
    if (this.#signatures) throw new TraceeError('EINVAL', 'nextWithJson cannot make the JSON of findings of signatures, which run in JavaScript: read the events with next()');
    const events: TraceeEvent[] = [];
    const made: { lines?: string[] | null } = {};
    const taken = await this.#decodeNext(
      (e) => events.push(e),
      async (into) => {
        const batch = await this.#native.nextBatchJson(into, options.parseArguments);
        made.lines = batch?.lines;
        return batch?.length ?? null;
      },
    );
    if (!taken) return null;
    // both decoders take a record or refuse the batch: one line per event
    const lines = made.lines;
    if (!lines || lines.length !== events.length) {
      this.stop();
      throw new TraceeError('ECORRUPT', `corrupt batch from the kernel side: ${events.length} events decoded, ${lines ? lines.length : 'no'} JSON lines written`);
    }
    return { events, lines };
  }

  /**
   * Decodes the next batch into `emit`: true, or false once the trace has
   * stopped and every batch has been taken (then stopped here too, which
   * throws the error that ended the trace if one did). A corrupt batch
   * stops the trace, an `ECORRUPT`.
   */
  async #decodeNext(emit: (event: TraceeEvent) => void, take: (into: Buffer) => Promise<number | null> = (into) => this.#native.nextBatch(into)): Promise<boolean> {
    if (this.#reader === 'writeJson') throw new TraceeError('EINVAL', 'next() cannot read a trace whose events writeJson() writes: each batch is taken once');
    this.#reader = 'next';
    // the native side copies each batch into a buffer of ours, reused
    // (nextBatch: its memory is freed at once, not when V8 collects a
    // Buffer); a second one only while calls to next() overlap
    const buf = this.#buffers.pop() ?? Buffer.allocUnsafeSlow(this.#native.maxBatchBytes());
    try {
      const length = await take(buf);
      if (length === null) {
        // The poll thread ended: by stop(), or by an error stop() reports.
        this.stop();
        return false;
      }
      if (this.#native.containersGeneration !== this.#containersGeneration) this.#refreshContainers();
      this.#refreshPolicies();
      decodeBatch(buf.subarray(0, length), emit, this.info.policies, this.#containerOf);
      return true;
    } catch (e) {
      this.stop();
      if (e instanceof CorruptBatchError) throw new TraceeError('ECORRUPT', `corrupt batch from the kernel side: ${e.message}`);
      throw e;
    } finally {
      this.#buffers.push(buf);
    }
  }

  /**
   * The container table as of {@link #containersGeneration}: each cgroup of
   * a container to what its events carry (parsed from the native side's
   * JSON of it, so that both outputs say the same).
   */
  #containers = new Map<number, ContainerView>();
  #containersGeneration = -1;
  readonly #containerOf = (cgroupId: number): ContainerView | undefined => this.#containers.get(cgroupId);

  #refreshContainers(): void {
    this.#containersGeneration = this.#native.containersGeneration;
    const next = new Map<number, ContainerView>();
    for (const c of this.#native.containers()) {
      const view = Object.freeze(JSON.parse(`{${c.json}}`) as ContainerView);
      for (const id of c.cgroupIds) next.set(id, view);
    }
    this.#containers = next;
  }

  /**
   * The containers running (or removed lately), as the trace's container
   * table holds them: from cgroupfs at start and the kernel's
   * cgroup_mkdir/cgroup_rmdir since; names and images where a runtime said
   * them ({@link enrichContainer}).
   */
  containers(): NativeContainer[] {
    return this.#native.containers();
  }

  /**
   * Sets what a runtime said of container `id` (its full id): the events of
   * it carry it from then on. False if the table has no such container.
   */
  enrichContainer(id: string, info: NativeEnrichment): boolean {
    return this.#native.enrichContainer(id, info);
  }

  /** True where signatures run in this trace (their findings are made in JavaScript, so {@link writeJson} cannot write them). */
  get hasSignatures(): boolean {
    return this.#signatures !== undefined;
  }

  /**
   * Writes every event as a line of Tracee's JSON to file descriptor `fd`
   * (1: stdout), the text {@link traceeJson} makes of it (with `options`
   * as there), from the packed
   * records on a native thread of its own, in large writes: the CLI's
   * `--output json`, at the rate the kernel side delivers. Instead of
   * {@link next}, not beside it. Resolves once the trace has stopped and
   * every batch is written, with the count written and `readerGone` if it
   * ended early because the reader went away (EPIPE, `| head`), which stops
   * the trace. Throws a {@link TraceeError}: `EINVAL` where signatures run
   * (read those events with next()), for an `fd` that is not a whole number
   * >= 0, or where next() or writeJson() already reads the trace;
   * `ECORRUPT`; `EOUTPUT` (another write error); or the error that ended the
   * trace.
   */
  async writeJson(fd: number, options: TraceeJsonOptions = {}): Promise<{ written: number; readerGone: boolean }> {
    if (this.#signatures) throw new TraceeError('EINVAL', 'writeJson cannot write the findings of signatures, which run in JavaScript: read the events with next()');
    if (!Number.isInteger(fd) || fd < 0) throw new TraceeError('EINVAL', `writeJson: fd must be an open file descriptor (a whole number >= 0, 1 for stdout), not ${String(fd)}`);
    if (this.#reader !== undefined) throw new TraceeError('EINVAL', `writeJson cannot run beside ${this.#reader}(): each batch is taken once; call one of them once`);
    this.#reader = 'writeJson';
    const { written, readerGone, error } = await this.#native.writeJson(fd, options.parseArguments);
    if (error) {
      try {
        this.stop();
      } catch {
        // the write error is the one to report
      }
      throw new TraceeError(error.code as TraceeErrorCode, error.message);
    }
    // stopped by stop(), or by an error stop() reports; or the reader went away
    this.stop();
    return { written, readerGone };
  }

  /** Events {@link writeJson} has written so far (while a write blocks: what reached the reader). */
  get written(): number {
    return this.#native.written;
  }

  stats(): TraceStats {
    const { btf, decisionCase, transport } = this.info;
    return { ...this.#native.stats(), btf, decisionCase, transport };
  }

  /**
   * Each loaded program's run time and runs, read from the kernel now
   * (see {@link ProgramStats}); empty once the trace has ended.
   */
  programStats(): ProgramStats[] {
    return this.#native.programStats();
  }

  /** How full the kernel's ring buffer is now; null with a perf buffer (not measured) and once the trace has ended. */
  ringFill(): RingFill | null {
    return this.#native.ringFill();
  }

  /**
   * True while the poll thread runs: every program attached and polled;
   * false once the trace has ended, by {@link stop} or by an error (which
   * the next read or stop() throws).
   */
  get polling(): boolean {
    return !this.#native.stopped;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Detaches every program and frees every map; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#enricher?.close();
    try {
      this.#native.stop();
    } catch (e) {
      throw TraceeError.from(e);
    }
  }
}
