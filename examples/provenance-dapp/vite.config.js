import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: dist/ can be served from any path (the e2e test serves it at /).
  base: './',
  // @zkinfer/client is a linked folder with its own node_modules: bundle one viem.
  resolve: { dedupe: ['viem'] },
  build: { target: 'es2022' },
});
