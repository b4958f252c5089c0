import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import './styles/app.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from './i18n/index.js'
import { configureClient } from './api/client.js'
import { useAuthStore } from './features/auth/store.js'
import { useOutboxStore } from './features/outbox/store.js'
import { setupPwa } from './features/settings/pwa.js'
import { useSettingsStore } from './features/settings/store.js'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)

const auth = useAuthStore()
configureClient({
  getToken: () => auth.token,
  unauthorized: () => auth.markExpired(),
})

app.use(router)
app.mount('#app')

useSettingsStore().load() // map tiles, demo hint: the deployment's settings, cached for offline
useOutboxStore().init()
setupPwa()
if (auth.token) auth.refreshMe()
