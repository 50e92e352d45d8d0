// `tracee-rs doctor`: a preflight anyone can run before trusting the tool
// on a host. Exit code 0 when tracing can start, 1 when it cannot.
import { doctor } from '@tracee/core';

export function doctorCommand(json: boolean): void {
  const checks = doctor();
  if (json) {
    process.stdout.write(JSON.stringify(checks, null, 2) + '\n');
  } else {
    for (const c of checks) {
      const line = `${c.status.toUpperCase().padEnd(5)} ${c.name.padEnd(16)} ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`;
      process.stdout.write(line + '\n');
    }
  }
  const canTrace = checks.every((c) => c.status !== 'fail');
  process.stdout.write(json ? '' : canTrace ? 'tracing can start on this host\n' : 'tracing cannot start on this host\n');
  process.exitCode = canTrace ? 0 : 1;
}
