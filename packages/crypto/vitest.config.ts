import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@ax/crypto', include: ['test/**/*.test.ts'] },
});
