import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const NODE_BUILTINS = new Set(builtinModules);

/**
 * Refuses a web build that imports a Node built-in. Vite would only warn ("externalized for
 * browser compatibility") and put an empty stub in its place, which fails in the browser the
 * moment it is used. The contracts are shared with the server, so server-only code slips in
 * through them: it must stay out of what the web imports (or use what browsers have too).
 */
export function noNodeBuiltins(): Plugin {
  return {
    name: 'playloop:no-node-builtins',
    apply: 'build',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source.startsWith('node:') || NODE_BUILTINS.has(source)) {
        this.error(`${importer ?? 'the web app'} imports the Node built-in "${source}", which the browser does not have`);
      }
      return null;
    },
  };
}

// The API server serves dist/ in production; in development Vite proxies /api to it.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [noNodeBuiltins(), react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
