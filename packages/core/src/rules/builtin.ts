// The builtin rules: one per file under signatures/, each Tracee's
// signature of the same id (its conditions, events, data), with Tracee's
// own test cases beside it (signatures/<name>.test.ts).
import type { Rule } from './rule.js';
import stdioOverSocket from './signatures/stdio_over_socket.js';
import antiDebugging from './signatures/anti_debugging.js';
import ptraceCodeInjection from './signatures/ptrace_code_injection.js';
import processVmWriteInject from './signatures/process_vm_write_inject.js';
import dynamicCodeLoading from './signatures/dynamic_code_loading.js';
import filelessExecution from './signatures/fileless_execution.js';
import ldPreload from './signatures/ld_preload.js';
import cgroupNotifyOnRelease from './signatures/cgroup_notify_on_release.js';
import cgroupReleaseAgent from './signatures/cgroup_release_agent.js';
import corePatternModification from './signatures/core_pattern_modification.js';
import rcdModification from './signatures/rcd_modification.js';
import scheduledTaskMod from './signatures/scheduled_task_mod.js';
import sudoersModification from './signatures/sudoers_modification.js';
import systemRequestKeyMod from './signatures/system_request_key_mod.js';
import aslrInspection from './signatures/aslr_inspection.js';
import k8sServiceAccountToken from './signatures/k8s_service_account_token.js';
import k8sCertTheft from './signatures/k8s_cert_theft.js';
import procMemAccess from './signatures/proc_mem_access.js';
import procMemCodeInjection from './signatures/proc_mem_code_injection.js';
import defaultLoaderMod from './signatures/default_loader_mod.js';
import schedDebugRecon from './signatures/sched_debug_recon.js';
import procKcoreRead from './signatures/proc_kcore_read.js';
import kernelModuleLoading from './signatures/kernel_module_loading.js';
import hiddenFileCreated from './signatures/hidden_file_created.js';
import droppedExecutable from './signatures/dropped_executable.js';
import illegitimateShell from './signatures/illegitimate_shell.js';
import diskMount from './signatures/disk_mount.js';
import k8sApiConnection from './signatures/k8s_api_connection.js';
import dockerAbuse from './signatures/docker_abuse.js';
import procFopsHooking from './signatures/proc_fops_hooking.js';
import syscallHooking from './signatures/syscall_hooking.js';

/** Every builtin rule (the order is not an identity: see Rule.eventId). */
export const BUILTIN_RULES: readonly Rule[] = [
  stdioOverSocket,
  antiDebugging,
  ptraceCodeInjection,
  processVmWriteInject,
  dynamicCodeLoading,
  filelessExecution,
  ldPreload,
  cgroupNotifyOnRelease,
  cgroupReleaseAgent,
  corePatternModification,
  rcdModification,
  scheduledTaskMod,
  sudoersModification,
  systemRequestKeyMod,
  aslrInspection,
  k8sServiceAccountToken,
  k8sCertTheft,
  procMemAccess,
  procMemCodeInjection,
  defaultLoaderMod,
  schedDebugRecon,
  procKcoreRead,
  kernelModuleLoading,
  hiddenFileCreated,
  droppedExecutable,
  illegitimateShell,
  diskMount,
  k8sApiConnection,
  dockerAbuse,
  procFopsHooking,
  syscallHooking,
];
