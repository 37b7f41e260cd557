import { defineProject } from 'vitest/config';

// 30 s per test: the nonce test's 2^17 encryptions take under 1 s alone but over 5 s (the default) when
// turbo runs every package's suite at once on a small shared machine.
export default defineProject({
  test: { name: '@ax/crypto', include: ['test/**/*.test.ts'], testTimeout: 30_000 },
});
