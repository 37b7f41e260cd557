import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@ax/secrets', include: ['test/**/*.test.ts'] },
});
