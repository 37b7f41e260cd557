import { defineConfig } from 'vitest/config';

// One vitest project per package; `pnpm test` runs them through turbo, `npx vitest` from the root runs them all.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
