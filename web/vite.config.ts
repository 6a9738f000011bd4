/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The API runs on API_PORT (scripts/dev.sh passes its PORT); the console
// reaches it through this proxy at /api, so the browser sees one origin and
// no CORS is needed locally.
const apiPort = process.env.API_PORT ?? '9000';
const webPort = Number(process.env.WEB_PORT ?? '5173');

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  server: {
    host: '127.0.0.1',
    port: webPort,
    strictPort: true,
    proxy: {
      '/api': {
        target: `http://127.0.0.1:${apiPort}`,
        changeOrigin: true,
        rewrite: (path) => path.replace(/^\/api/, ''),
      },
    },
  },
  preview: { host: '127.0.0.1', port: webPort, strictPort: true },
  test: { include: ['src/**/*.test.ts'] },
});
