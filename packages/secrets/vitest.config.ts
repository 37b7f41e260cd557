import { defineProject } from 'vitest/config';

// Generous timeouts: CI machines are shared, and a few tests (2^17 encryptions, child processes) are heavy.
export default defineProject({
  test: { name: '@ax/secrets', include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
});
