import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The console's build: web/dist, served by CloudFront in AWS and by local mode's HTTP server on one machine. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), tailwindcss()],
  // The budget is 250 KB gzipped for the main bundle (printed by `npm run bench`), not Vite's 500 KB minified hint.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: 'hidden', chunkSizeWarningLimit: 1024 },
});
