// `tracee-rs reload`: asks a running tracee-rs to re-read its configuration
// (--config, its policy files, --rules-dir) and apply it while its programs
// stay attached: SIGHUP to the process its --pid-file names. What the agent
// made of it goes to its stderr and to tracee_rs_reloads_total.
import { readFileSync } from 'node:fs';

/** Where `tracee-rs reload` looks when no --pid-file is given: the systemd unit's (deploy/systemd: RuntimeDirectory=tracee-rs). */
export const DEFAULT_PID_FILE = '/run/tracee-rs/tracee-rs.pid';

/** Exit 0: signalled; 1: the file names no running tracee-rs; 2: no such file. */
export function reloadCommand(pidFile: string): void {
  const out = (code: number, line: string): never => {
    (code === 0 ? process.stdout : process.stderr).write(`${code === 0 ? '' : 'tracee-rs: error: '}${line}\n`);
    process.exit(code);
  };
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch (e) {
    return out(2, `cannot read ${pidFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): start the agent with --pid-file ${pidFile}, or give its --pid-file here`);
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return out(1, `${pidFile} names process ${pid}, which is not running (a stale file): nothing reloaded`);
  }
  // the file may be stale and its pid reused: signal only a tracee-rs
  if (!/tracee-rs|cli\.js/.test(cmdline)) return out(1, `${pidFile} names process ${pid}, which is not tracee-rs (${cmdline.split('\0')[0]}): nothing signalled`);
  process.kill(pid, 'SIGHUP');
  out(0, `sent SIGHUP to tracee-rs (pid ${pid}): it re-reads its configuration and applies it while attached; its stderr (and tracee_rs_reloads_total) says whether it was applied or refused`);
}
