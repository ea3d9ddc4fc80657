// Lint configuration. Besides the recommended rules it enforces the layering of
// docs/architecture.md: protocol parsers (`proto/`) and pure decision code
// (`policy/`) must not import I/O modules, so they stay testable with tables.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['fs', 'net', 'tls', 'child_process', 'dgram', 'dns', 'http', 'https'];
const ioPaths = ioModules.flatMap((m) => [m, `node:${m}`, `${m}/promises`, `node:${m}/promises`]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'var/**', 'coverage/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['src/**/proto/**/*.ts', 'src/**/policy/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioPaths.map((name) => ({ name, message: 'proto/ and policy/ are pure: no I/O imports.' })) }],
    },
  },
);
