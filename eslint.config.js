'use strict';
// ESLint flat config: the recommended rules for every JavaScript file the
// project ships or runs (lib/, bin/, bench/, examples/, __test__/ and the
// entry points) and typescript-eslint's recommended rules for the hand-written
// type declarations. Generated files (binding.js, binding.d.ts) are left out.

const js = require('@eslint/js');
const globals = require('globals');
const tseslint = require('typescript-eslint');

module.exports = [
  { ignores: ['node_modules/', 'target/', 'binding.js', 'binding.d.ts', 'npm/', 'bench/.out/'] },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2024, sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['**/*.mjs'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: {
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  ...tseslint.configs.recommended.map((c) => ({ ...c, files: ['**/*.ts'] })),
];
