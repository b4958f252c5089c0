import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import './styles/app.css'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n/index'
import { configureClient } from './api/client'
import { useAuthStore } from './features/auth/store'
import { useOutboxStore } from './features/outbox/store'
import { setupPwa } from './features/settings/pwa'
import { useSettingsStore } from './features/settings/store'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)

const auth = useAuthStore()
configureClient({
  getToken: () => auth.token,
  unauthorized: () => auth.markExpired(),
  networkError: (timedOut) => i18n.global.t(timedOut ? 'err.timeout' : 'err.network'),
})

app.use(router)
app.mount('#app')

useSettingsStore().load() // map tiles, demo hint: the deployment's settings, cached for offline
useOutboxStore().init()
setupPwa()
if (auth.token) auth.refreshMe()
