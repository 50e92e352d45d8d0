// The TypeScript linter of the gates (scripts/test.sh): ESLint's and
// typescript-eslint's recommended rules over every TypeScript file, tests
// included; type-checking itself is tsc's (tsconfig.check.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'target/**', '.cache/**', 'packages/core/src/generated/**', 'packages/core/native/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      // `_`-prefixed names are deliberately unused (a callback's position)
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
