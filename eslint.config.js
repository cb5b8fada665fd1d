// ESLint 10 flat config for the frontend (browser ES modules) and its node tests.
// Run: make lint-js (npm ci, then eslint frontend/js tests/js).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['frontend/vendor/**', 'node_modules/**', '.venv/**'] },
  js.configs.recommended,
  {
    files: ['frontend/js/**/*.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    files: ['tests/js/**/*.js', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    rules: {
      // ignoreRestSiblings: `const { key: _drop, ...rest } = obj` is how a key is left out
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'all', ignoreRestSiblings: true }],
      eqeqeq: ['error', 'always'],
      'no-undef': 'error',
    },
  },
];
