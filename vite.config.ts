import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./renderer', import.meta.url));

/**
 * The renderer is built into dist/renderer, where browser mode's server and Electron's app:// protocol
 * both read it. `base: './'` keeps asset URLs relative so either origin works.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    // `saegim serve` on its default port answers the API while Vite serves the UI with hot reload. The
    // server refuses foreign Host and Origin headers, so the proxy presents itself as same-origin.
    proxy: {
      '/api': {
        target: process.env.SAEGIM_API ?? 'http://127.0.0.1:5217',
        changeOrigin: true,
        configure: (proxy) => {
          proxy.on('proxyReq', (req) => {
            req.removeHeader('origin');
            req.removeHeader('sec-fetch-site');
          });
        },
      },
    },
  },
});
