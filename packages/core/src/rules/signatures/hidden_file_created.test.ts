// Tracee's cases for TRC-1015 (signatures/golang/hidden_file_created_test.go), then ours.
import { traceeCases } from '../../testing/tracee-cases.js';
import rule from './hidden_file_created.js';

// bytes as Tracee's JSON writes a []byte: base64 ([127 69 76 70] is f0VMRg==)
const ELF = 'f0VMRg==';
const ZEROS = 'AAAAAA==';
// ours: the first 16 bytes written, as numbers
const ELF_HEAD = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const SCRIPT_HEAD = [...Buffer.from('#!/bin/sh\necho h')];
const write = (pathname: string, bytes: number[]) => ({ eventName: 'magic_write', args: [{ name: 'pathname', value: pathname }, { name: 'bytes', value: bytes }, { name: 'dev', value: 2049 }, { name: 'inode', value: 1234 }] });

traceeCases(rule, [
  {
    name: 'should trigger detection',
    events: [{ eventName: 'magic_write', args: [{ name: 'pathname', value: '/bin/.bin' }, { name: 'bytes', value: ELF }] }],
    findings: [{ trigger: 0, data: {} }],
  },
  {
    name: 'should not trigger detection - not an ELF',
    events: [{ eventName: 'magic_write', args: [{ name: 'pathname', value: '/bin/.bin' }, { name: 'bytes', value: ZEROS }] }],
    findings: [],
  },
  {
    name: 'should not trigger detection - not hidden path',
    events: [{ eventName: 'magic_write', args: [{ name: 'pathname', value: '/bin/bin' }, { name: 'bytes', value: ELF }] }],
    findings: [],
  },
  // ours: what was written decides, not the mode or the name given (magic_write's path is absolute)
  { name: 'ours: an ELF written with mode 0644 into a hidden file', events: [write('/tmp/.cache', ELF_HEAD)], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: an ELF written into a hidden directory (by a relative path: the path is absolute here)', events: [write('/home/u/.local/bin/tool', ELF_HEAD)], findings: [{ trigger: 0, data: {} }] },
  { name: 'ours: a script in a hidden file (chmod +x would not make it an ELF)', events: [write('/tmp/.run.sh', SCRIPT_HEAD)], findings: [] },
  { name: 'ours: an ELF into a visible path', events: [write('/usr/local/bin/tool', ELF_HEAD)], findings: [] },
  { name: 'ours: fewer than 4 bytes written', events: [write('/tmp/.x', [0x7f, 0x45, 0x4c])], findings: [] },
]);
