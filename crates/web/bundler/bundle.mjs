// Builds the web client into two files: crates/web/client/dist/plaza.js, from src/main.js and every module
// it imports (pages included; the languages stay apart, one file each, loaded by address), and
// dist/plaza.css, from assets/style.css with its icons written in. The server writes both into the page
// (a first visit costs one round trip for the code instead of two). The first line of each names the
// digest of the sources it was built from; the server uses the bundle only while that digest matches the
// sources (crates/web/src/lib.rs, `sources_digest`), so a stale bundle falls back to the modules rather
// than ship old code, and a test fails until the bundle is rebuilt.
//
//   npm ci --prefix crates/web/bundler && npm run bundle --prefix crates/web/bundler

import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const client = join(dirname(fileURLToPath(import.meta.url)), '..', 'client');
const SOURCES = ['src', 'assets'];

/** Every file under `folder`, as paths relative to the client with `/` separators. */
async function files(folder) {
  const entries = await readdir(folder, { withFileTypes: true });
  const found = await Promise.all(
    entries.map((entry) => {
      const path = join(folder, entry.name);
      return entry.isDirectory() ? files(path) : [relative(client, path).split(sep).join('/')];
    }),
  );
  return found.flat();
}

/** SHA-256 over each path under src/ and assets/ (in byte order) followed by the SHA-256 of its content: the same
 * digest as `sources_digest` in crates/web/src/lib.rs. */
async function sourcesDigest() {
  const paths = (await Promise.all(SOURCES.map((folder) => files(join(client, folder))))).flat().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const digest = createHash('sha256');
  for (const path of paths) {
    digest.update(path);
    digest.update(createHash('sha256').update(await readFile(join(client, path))).digest());
  }
  return digest.digest('hex');
}

const common = { bundle: true, minify: true, legalComments: 'none', charset: 'utf8', write: false, logLevel: 'warning' };
const [script, style] = await Promise.all([
  build({ ...common, entryPoints: [join(client, 'src', 'main.js')], format: 'esm', target: 'es2022' }),
  build({ ...common, entryPoints: [join(client, 'assets', 'style.css')], loader: { '.svg': 'dataurl' } }),
]);
const code = script.outputFiles[0].text;
const css = style.outputFiles[0].text;
if (/i18n\/(en|zh-CN)\.js['"]\s*:/.test(code)) throw new Error('a language was bundled in: it must stay its own file');
const digest = await sourcesDigest();
await mkdir(join(client, 'dist'), { recursive: true });
for (const [name, header, text] of [
  ['plaza.js', `// plaza-bundle sources=${digest}`, code],
  ['plaza.css', `/* plaza-bundle sources=${digest} */`, css],
]) {
  const output = join(client, 'dist', name);
  await writeFile(output, `${header}\n${text}`);
  console.log(`${relative(process.cwd(), output)}: ${text.length} bytes`);
}
