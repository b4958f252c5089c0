/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite'
import type { Declaration, Plugin as PostcssPlugin } from 'postcss'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'

// The backend serves dist/ at "/" and the API under /api (same origin).
// In `npm run dev`, /api is proxied to a backend on :8000.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))

// The API docs (/api/docs) load Swagger UI from our own origin, never a CDN: the pinned swagger-ui-dist
// files are copied into dist/swagger-ui/ (not precached by the service worker: the phone never needs them).
const SWAGGER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css']
function swaggerUi(): Plugin {
  const dir = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json').replace(/package\.json$/, '')
  return {
    name: 'xuncha-swagger-ui',
    apply: 'build',
    generateBundle() {
      for (const name of SWAGGER_FILES) {
        this.emitFile({ type: 'asset', fileName: `swagger-ui/${name}`, source: readFileSync(dir + name) })
      }
    },
  }
}

// Precompressed copies (.gz, .br) of every text asset, written after the bundle (service worker included): the
// backend sends the smallest one the browser accepts, without compressing anything per request. Node's own zlib
// does both codings at their highest levels, so no plugin is needed.
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt)$/
function precompress(): Plugin {
  let outDir: string
  return {
    name: 'xuncha-precompress',
    apply: 'build',
    enforce: 'post',
    configResolved(config) { outDir = config.build.outDir.startsWith('/') ? config.build.outDir : `${config.root}/${config.build.outDir}` },
    async closeBundle() {
      const { readdirSync, readFileSync, writeFileSync, statSync } = await import('node:fs')
      const { gzipSync, brotliCompressSync, constants } = await import('node:zlib')
      const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(`${dir}/${n}`).isDirectory() ? walk(`${dir}/${n}`) : [`${dir}/${n}`]))
      for (const file of walk(outDir)) {
        if (!COMPRESSIBLE.test(file)) continue
        const raw = readFileSync(file)
        if (raw.length < 1024) continue
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }))
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }))
      }
    },
  }
}

// Vant's icon font lists a CDN copy after its inline (data:) one; the CSP allows no font from elsewhere
// and the app must not depend on a CDN offline, so remote font sources are dropped from @font-face.
const dropRemoteFontSources: PostcssPlugin = {
  postcssPlugin: 'xuncha-drop-remote-font-sources',
  Declaration: {
    src(decl: Declaration) {
      if (decl.parent?.type !== 'atrule' || decl.parent.name !== 'font-face') return
      const parts = decl.value.split(/,(?![^(]*\))/)
      const local = parts.filter((p) => !/url\(\s*['"]?(https?:)?\/\//i.test(p))
      if (local.length && local.length < parts.length) decl.value = local.join(',')
    },
  },
}

export default defineConfig({
  css: { postcss: { plugins: [dropRemoteFontSources] } },
  define: { __APP_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    vue(),
    swaggerUi(),
    // Vant components are imported on demand (only what a chunk uses ships in it).
    Components({ resolvers: [VantResolver()], dts: false }),
    VitePWA({
      registerType: 'prompt', // a new version waits for the user's "update" tap (never mid-send)
      injectRegister: false, // we register from src/features/settings/pwa.ts
      manifest: {
        name: '巡查 Xuncha — 创城督查',
        short_name: '巡查',
        description: '创城问题随手拍、派遣、整改、核查',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#c8161d',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The precache is the app shell: everything a person needs offline, small enough to be cached
        // within seconds of the first visit. ECharts and the dashboard pages (online work: they need
        // fresh figures) stay out of it; they are cached the first time they are opened (below).
        globPatterns: ['**/*.{js,css,html,png,svg,ico,webmanifest}'],
        // The office's desktop pages (workbench, big screen, administration) load and are cached when first opened, like the
        // dashboard: a phone installing the app does not download them.
        globIgnores: ['swagger-ui/**', '**/assets/{echarts,DashboardPage,StatsTicketsPage,TicketTimelinePage,WorkbenchPage,ScreenPage,Admin*Page,DesktopNav}-*.{js,css}'],
        navigateFallback: '/index.html',
        // The API is never answered by the service worker: lists and photos are cached by the page,
        // and POSTs/uploads always go straight to the network (the outbox lives in the page).
        navigateFallbackDenylist: [/^\/api\//],
        runtimeCaching: [
          {
            // Hashed file names never change content: cache-first is safe.
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/assets/'),
            handler: 'CacheFirst',
            options: { cacheName: 'xuncha-assets', expiration: { maxEntries: 60 } },
          },
        ],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: false,
      },
    }),
    precompress(),
  ],
  build: {
    target: 'es2020',
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      output: {
        // One named chunk for ECharts, so that the service worker's precache can leave it out.
        manualChunks: (id) => (/node_modules\/(echarts|zrender)\//.test(id) ? 'echarts' : undefined),
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.{ts,js}'],
    watch: false,
  },
})
