import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard is served by the admin app at `/`; in development, proxy the API to a running admin.
const root = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      '/api': process.env.DISTRIBUTARY_ADMIN_URL ?? 'http://127.0.0.1:8080',
      '/health': process.env.DISTRIBUTARY_ADMIN_URL ?? 'http://127.0.0.1:8080',
    },
  },
});
