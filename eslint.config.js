// ESLint (flat config): typescript-eslint's recommended rules over everything, React's hooks rules over the
// renderer, and the one architectural rule the layout depends on — the renderer talks to the engine only
// through the browser-safe contract in main/contract.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', '.saegim-test/**', '.venv*/**', 'tools/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['scripts/**', 'bin/**', '*.js', '*.ts'], languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(?!main/contract/)(main|electron)/',
              message: 'the renderer may import only the contract (main/contract/…)',
            },
            { group: ['node:*', 'fs', 'path', 'electron', 'better-sqlite3', 'onnxruntime-node'], message: 'the renderer runs in a browser' },
          ],
        },
      ],
    },
  },
);
