// Tracee's cases for TRC-1017 (signatures/golang/kernel_module_loading_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './kernel_module_loading.js';

const ENOEXEC = -8;
const EPERM = -1;
const finit = (returnValue: number, fd = 3) => ({ eventName: 'finit_module', returnValue, args: [{ name: 'fd', value: fd }, { name: 'param_values', value: '' }, { name: 'flags', value: 0 }] });

traceeCases(rule, [
  {
    name: 'should trigger detection - init_module',
    events: [{ eventName: 'init_module' }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should trigger detection - security_kernel_read_file',
    events: [{ eventName: 'security_kernel_read_file', args: [{ name: 'type', value: 'kernel-module' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - security_kernel_read_file wrong type',
    events: [{ eventName: 'security_kernel_read_file', args: [{ name: 'type', value: 'firmware' }] }],
    findings: [],
  },
  // ours
  {
    name: 'ours: init_module refused (EPERM) counts, as any init_module in Tracee',
    events: [{ eventName: 'init_module', returnValue: EPERM, args: [{ name: 'module_image', value: '0x7f0000001000' }, { name: 'len', value: 4096 }, { name: 'param_values', value: '' }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: "ours: security_kernel_read_file's type as the kernel's number (READING_MODULE)",
    events: [{ eventName: 'security_kernel_read_file', args: [{ name: 'pathname', value: '/tmp/m.ko' }, { name: 'type', value: 2 }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: finit_module of a file that is no module (ENOEXEC): the kernel read it (no hook here)',
    events: [finit(ENOEXEC)],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'ours: finit_module without CAP_SYS_MODULE (EPERM): nothing was read',
    events: [finit(EPERM)],
    findings: [],
  },
  {
    name: 'ours: finit_module of a bad fd (EBADF): nothing was read',
    events: [finit(-9, 99)],
    findings: [],
  },
  {
    name: 'ours: a kernel with both: security_kernel_read_file, then finit_module, one finding',
    events: [{ eventName: 'security_kernel_read_file', args: [{ name: 'pathname', value: '/tmp/m.ko' }, { name: 'type', value: 2 }] }, finit(0)],
    findings: [{ trigger: 0, data: {} }],
  },
]);
