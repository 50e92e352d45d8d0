// `tracee-rs btf ...`: every run can explain which BTF it uses and why.
import { writeFileSync } from 'node:fs';
import { btfExtract, btfInfo, btfList, btfReport, TraceeError } from '@tracee/core';
import { fail } from './trace-command.js';

function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    fail(e instanceof TraceeError || e instanceof Error ? e.message : String(e));
  }
}

export function btfInfoCommand(json: boolean): void {
  const info = guard(btfInfo);
  if (json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
  } else {
    const row = (k: string, v: string) => `  ${k.padEnd(16)} ${v}\n`;
    let out = 'environment:\n';
    out += row('TRACEE_BPF_FILE', info.bpfFile ?? '(unset)');
    out += row('TRACEE_BTF_FILE', info.btfFile ?? '(unset)');
    out += row('kernel BTF', info.kernelBtfUsable ? info.kernelBtf : `none: ${info.kernelBtf}`);
    out += row('kernel', info.kernelKey);
    out += row('embedded', `${info.embeddedMatch ? 'this kernel is embedded' : 'this kernel is not embedded'} (${info.embeddedKernels} kernels, ${info.embeddedBlobs} distinct BTFs, ${info.embeddedBytes} bytes compressed)`);
    out += 'decision:\n';
    if (info.decisionCase != null) {
      out += row('case', String(info.decisionCase));
      out += row('object', info.object ?? '');
      out += row('BTF', info.btfSource ?? '');
      out += row('why', info.reason);
    } else {
      out += row('case', 'none: tracing cannot start');
      out += row('error', info.error ?? '');
    }
    process.stdout.write(out);
  }
  if (info.decisionCase == null) process.exitCode = 1;
}

export function btfListCommand(report: boolean): void {
  if (report) {
    process.stdout.write(guard(btfReport));
    return;
  }
  for (const { key, bytes } of guard(btfList)) process.stdout.write(`${key}\t${bytes}\n`);
}

export function btfExtractCommand(key: string, output: string): void {
  const bytes = guard(() => btfExtract(key));
  guard(() => writeFileSync(output, bytes));
  process.stderr.write(`tracee-rs: wrote ${bytes.length} bytes of minimized BTF for ${key} to ${output}\n`);
}
