// Bundles the backup runner into one ESM file, the only thing containers/backup/Dockerfile copies.
import { build } from 'esbuild';

await build({
  entryPoints: ['containers/backup/src/main.ts'],
  outfile: 'containers/backup/dist/runner.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  // Some AWS SDK dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __keepsakeRequire } from 'node:module'; const require = __keepsakeRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
