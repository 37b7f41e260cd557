import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@ax/rbac', include: ['test/**/*.test.ts'] },
});
