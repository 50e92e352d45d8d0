// Module hooks (node:module register) that compile users' TypeScript rule
// modules, on Node versions that do not strip types themselves. They run on
// Node's hooks thread; loadRules registers them once, with the `typescript`
// package it found (the user's, near the rules, or this one's peer).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

type Transpile = (source: string, fileName: string) => string;
let transpile: Transpile | undefined;

/** The part of the typescript package used here (it is an optional peer: no types from it). */
interface TypeScript {
  ModuleKind: { ESNext: number };
  ScriptTarget: { ES2022: number };
  transpileModule(source: string, options: { fileName: string; compilerOptions: Record<string, unknown>; reportDiagnostics: boolean }): { outputText: string };
}

export async function initialize(data: { typescript: string }): Promise<void> {
  const ts = ((await import(data.typescript)) as { default: TypeScript }).default;
  transpile = (source, fileName) =>
    ts.transpileModule(source, {
      fileName,
      // types are erased, nothing else is lowered; the source map keeps
      // a rule's stack traces on its own lines
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, inlineSources: true },
      reportDiagnostics: false,
    }).outputText;
}

interface LoadResult {
  format: string;
  source?: string;
  shortCircuit?: boolean;
}

export async function load(url: string, context: { format?: string }, nextLoad: (url: string, context: unknown) => Promise<LoadResult>): Promise<LoadResult> {
  if (!transpile || !url.startsWith('file:') || !/\.m?ts$/.test(url) || url.endsWith('.d.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  return { format: 'module', shortCircuit: true, source: transpile(await readFile(file, 'utf8'), file) };
}
