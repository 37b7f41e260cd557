// Bundles the `ax` CLI (src/cli.ts and everything it imports, @ax packages included) into dist/bundle with
// esbuild, one chunk per lazily loaded area. A whole process starts faster from a few files than from the
// hundreds of modules it would otherwise resolve and read one by one. Native bindings and the server's
// dependencies stay external: they are the app's own dependencies, resolved from its node_modules.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// zod re-exports every locale as a namespace (`z.locales`), which no bundler can drop; @ax uses only the
// English messages zod configures itself with. Keeping English alone halves zod's share of the bundle.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: args.importer, namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: dirname(args.path),
    }));
  },
};
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(root, 'src', 'cli.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  minify: true,
  // error classes name themselves (`new.target.name`), and their names are part of their JSON
  keepNames: true,
  metafile: true,
  plugins: [zodEnglishOnly],
  external: [
    'better-sqlite3',
    '@node-rs/argon2',
    'rate-limiter-flexible',
    'fastify',
    'pino',
    'yaml',
    '@ax/store-postgres',
  ],
  // CommonJS dependencies bundled into ESM call `require` for Node's built-ins
  banner: {
    js: "import { createRequire as __axRequire } from 'node:module';\nconst require = __axRequire(import.meta.url);",
  },
});
if (process.env.AX_BUNDLE_META)
  (await import('node:fs')).writeFileSync(process.env.AX_BUNDLE_META, JSON.stringify(result.metafile));
