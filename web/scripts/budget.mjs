// The bundle budget: the JavaScript the first page loads (index.html's module script and the chunks
// it preloads), gzip-compressed, must stay under 250 kB. Chunks loaded later (the staff console, the
// charts) do not count.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const budget = 250 * 1000;
const dist = new URL('../dist/', import.meta.url);
const html = fs.readFileSync(new URL('index.html', dist), 'utf8');
const files = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g)].map((m) => m[1]);
if (files.length === 0) throw new Error('index.html loads no JavaScript: is dist/ a build of this app?');
let total = 0;
for (const f of new Set(files)) {
  const bytes = zlib.gzipSync(fs.readFileSync(path.join(dist.pathname, f)), { level: 9 }).length;
  total += bytes;
  console.log(`${(bytes / 1000).toFixed(1).padStart(7)} kB  ${f}`);
}
console.log(`${(total / 1000).toFixed(1).padStart(7)} kB  first page, gzip (budget ${budget / 1000} kB)`);
if (total > budget) {
  console.error(`over budget by ${((total - budget) / 1000).toFixed(1)} kB`);
  process.exit(1);
}
