/**
 * Size of the console's main bundle as a browser first downloads it: the entry script web/dist/index.html loads
 * plus every JS chunk it statically imports (transitively), minified and gzipped (zlib level 9, about what a CDN
 * serves), against the 250 KB gzipped budget; then the stylesheets index.html links, and whatever JS is left in
 * web/dist/assets (chunks only loaded on demand). KB = 1000 bytes, as Vite prints them. Figures only: it exits 0
 * whether the budget is met or not, and 1 only when there is no build to measure.
 *
 *   npm run bench:web   (builds the console first)
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));
const BUDGET_GZIP_KB = 250;

/** A static `import … from "./x.js"`, `import "./x.js"` or `export … from "./x.js"` (not `import("./x.js")`). */
const STATIC_IMPORT = /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+?\.js)["']/g;

interface Size {
  readonly files: number;
  readonly raw: number;
  readonly gzip: number;
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;

async function sizeOf(paths: readonly string[]): Promise<Size> {
  let raw = 0;
  let gzip = 0;
  for (const path of paths) {
    const bytes = await readFile(path);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: paths.length, raw, gzip };
}

/** A root-relative (`/assets/x.js`) or relative URL from index.html, as a path under web/dist. */
const distPath = (url: string) => join(DIST, url.replace(/^\//, '').split(/[?#]/)[0] ?? '');

/** The entry and the chunks it statically imports, transitively, in discovery order. */
async function staticGraph(entry: string): Promise<string[]> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const code = await readFile(file, 'utf8');
    for (const match of code.matchAll(STATIC_IMPORT)) {
      const chunk = join(dirname(file), match[1] ?? '');
      if (!seen.has(chunk) && existsSync(chunk)) {
        seen.add(chunk);
        queue.push(chunk);
      }
    }
  }
  return [...seen];
}

async function main(): Promise<void> {
  const indexPath = join(DIST, 'index.html');
  if (!existsSync(indexPath)) {
    console.error(
      `No console build at ${indexPath}: run \`npm run build:web\` first (or \`npm run bench:web\`, which does).`,
    );
    process.exit(1);
  }
  const html = await readFile(indexPath, 'utf8');
  const entryUrl =
    /<script\b[^>]*\btype=["']module["'][^>]*\bsrc=["']([^"']+)["']/.exec(html)?.[1] ??
    /<script\b[^>]*\bsrc=["']([^"']+)["'][^>]*\btype=["']module["']/.exec(html)?.[1];
  if (!entryUrl) {
    console.error(`${indexPath} loads no <script type="module" src=…>: is it a Vite build?`);
    process.exit(1);
  }
  const entry = distPath(entryUrl);
  if (!existsSync(entry)) {
    console.error(`${indexPath} loads ${entryUrl}, which is not in ${DIST}: rebuild with \`npm run build:web\`.`);
    process.exit(1);
  }
  const main = await staticGraph(entry);
  const mainSize = await sizeOf(main);
  const met = mainSize.gzip <= BUDGET_GZIP_KB * 1000;
  const chunks =
    main.length > 1
      ? ` (${main.length} files: ${main.map((f) => basename(f)).join(', ')})`
      : ` (${relative(DIST, entry)})`;
  console.log(
    `console main bundle: ${kb(mainSize.raw)} minified, ${kb(mainSize.gzip)} gzipped (target ≤ ${BUDGET_GZIP_KB} KB gzipped: ${met ? 'met' : 'NOT met'})${chunks}`,
  );

  const css = [...html.matchAll(/<link\b[^>]*\brel=["']stylesheet["'][^>]*\bhref=["']([^"']+)["']/g)]
    .map((m) => distPath(m[1] ?? ''))
    .filter((p) => existsSync(p));
  const cssSize = await sizeOf(css);
  console.log(
    `console CSS: ${kb(cssSize.raw)} minified, ${kb(cssSize.gzip)} gzipped (${cssSize.files} file${cssSize.files === 1 ? '' : 's'})`,
  );

  const assets = join(DIST, 'assets');
  const allJs = existsSync(assets)
    ? (await readdir(assets)).filter((f) => f.endsWith('.js')).map((f) => join(assets, f))
    : [];
  const lazy = await sizeOf(allJs.filter((f) => !main.includes(f)));
  console.log(
    `console JS loaded on demand: ${lazy.files} chunk${lazy.files === 1 ? '' : 's'}, ${kb(lazy.raw)} minified, ${kb(lazy.gzip)} gzipped`,
  );
}

await main();
