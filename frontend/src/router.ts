/**
 * Routes. A page open to some roles only lists them (meta.roles; none: anyone logged in); "/" sends a
 * person to their role's home, and someone logged out to the login page without a `next`, so that the
 * login leads to that home too.
 */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { showToast } from 'vant'
import { useAuthStore } from './features/auth/store'
import { i18n } from './i18n/index'
import { updateForMissingPage } from './features/settings/pwa'
import LoginPage from './pages/LoginPage.vue'

export type Role = import('./api/types').Role
/** who may report and verify (the workflow's report and verify actions) */
const REPORTERS: Role[] = ['inspector', 'dispatcher']

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: LoginPage, meta: { public: true } },
  { path: '/', name: 'home', redirect: () => (useAuthStore().loggedIn ? useAuthStore().home : { name: 'login' }) },
  { path: '/capture', name: 'capture', component: () => import('./pages/CapturePage.vue'), meta: { roles: REPORTERS, tab: 'capture' } },
  { path: '/mine', name: 'mine', component: () => import('./pages/MyReportsPage.vue'), meta: { roles: REPORTERS } },
  { path: '/verify', name: 'verify', component: () => import('./pages/VerifyQueuePage.vue'), meta: { roles: REPORTERS, tab: 'verify' } },
  { path: '/triage', name: 'triage', component: () => import('./pages/TriagePage.vue'), meta: { roles: ['dispatcher'], tab: 'triage' } },
  { path: '/workbench', name: 'workbench', component: () => import('./pages/WorkbenchPage.vue'), meta: { roles: ['dispatcher', 'leader', 'admin'], desktop: true } },
  { path: '/approvals', name: 'approvals', component: () => import('./pages/RequestsPage.vue'), meta: { roles: ['dispatcher', 'leader'], tab: 'approvals' } },
  { path: '/ledger', name: 'ledger', component: () => import('./pages/LedgerPage.vue'), meta: { roles: ['dispatcher', 'leader', 'admin', 'unit_staff'] } },
  { path: '/tasks', name: 'tasks', component: () => import('./pages/TasksPage.vue'), meta: { roles: ['unit_staff'], tab: 'tasks' } },
  { path: '/tickets', name: 'tickets', component: () => import('./pages/TicketListPage.vue'), meta: { tab: 'tickets' } },
  { path: '/tickets/:id', name: 'ticket', component: () => import('./pages/TicketDetailPage.vue'), meta: {} },
  { path: '/map', name: 'map', component: () => import('./pages/MapPage.vue'), meta: { tab: 'map' } },
  { path: '/inbox', name: 'inbox', component: () => import('./pages/InboxPage.vue'), meta: { tab: 'inbox' } },
  { path: '/outbox', name: 'outbox', component: () => import('./pages/OutboxPage.vue'), meta: { tab: 'outbox', local: true } },
  { path: '/me', name: 'me', component: () => import('./pages/MePage.vue'), meta: { tab: 'me' } },
  // 一张图: the big screen of the office, full window (no side navigation), dark, refreshing itself.
  { path: '/screen', name: 'screen', component: () => import('./pages/screen/ScreenPage.vue'), meta: { roles: ['dispatcher', 'leader', 'admin'], desktop: true, bare: true } },
  { path: '/dashboard', name: 'dashboard', component: () => import('./pages/stats/DashboardPage.vue'), meta: { tab: 'dashboard' } },
  { path: '/stats/bulletins', name: 'bulletins', component: () => import('./pages/stats/BulletinsPage.vue'), meta: { roles: ['dispatcher', 'leader', 'admin', 'inspector'] } },
  { path: '/stats/tickets', name: 'stats-tickets', component: () => import('./pages/stats/StatsTicketsPage.vue'), meta: {} },
  { path: '/stats/tickets/:id/timeline', name: 'stats-ticket-timeline', component: () => import('./pages/stats/TicketTimelinePage.vue'), meta: {} },
  { path: '/eval/sites', name: 'eval-sites', component: () => import('./pages/evaluation/EvalSitesPage.vue'), meta: { roles: ['dispatcher', 'leader', 'admin', 'unit_staff'] } },
  { path: '/eval/rounds', name: 'eval-rounds', component: () => import('./pages/evaluation/EvalRoundsPage.vue'), meta: {} },
  { path: '/eval/rounds/new', name: 'eval-round-new', component: () => import('./pages/evaluation/EvalRoundNewPage.vue'), meta: { roles: ['dispatcher', 'leader', 'admin'] } },
  { path: '/eval/rounds/:id(\\d+)', name: 'eval-round', component: () => import('./pages/evaluation/EvalRoundDetailPage.vue'), meta: {} },
  { path: '/eval/rounds/:r(\\d+)/sites/:s(\\d+)', name: 'eval-site', component: () => import('./pages/evaluation/EvalSitePage.vue'), meta: { roles: ['inspector'] } },
  { path: '/eval/mine', name: 'eval-mine', component: () => import('./pages/evaluation/MyEvalSitesPage.vue'), meta: { roles: ['inspector'] } },
  { path: '/admin', name: 'admin', component: () => import('./pages/admin/AdminHomePage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/units', name: 'admin-units', component: () => import('./pages/admin/AdminUnitsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/users', name: 'admin-users', component: () => import('./pages/admin/AdminUsersPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/categories', name: 'admin-categories', component: () => import('./pages/admin/AdminCategoriesPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/grids', name: 'admin-grids', component: () => import('./pages/admin/AdminGridsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/sites', name: 'admin-sites', component: () => import('./pages/admin/AdminSitesPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/checklists', name: 'admin-checklists', component: () => import('./pages/admin/AdminChecklistsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/channels', name: 'admin-channels', component: () => import('./pages/admin/AdminChannelsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/subscriptions', name: 'admin-subscriptions', component: () => import('./pages/admin/AdminSubscriptionsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/notifications', name: 'admin-notifications', component: () => import('./pages/admin/AdminNotificationsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/settings', name: 'admin-settings', component: () => import('./pages/admin/AdminSettingsPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/admin/audit', name: 'admin-audit', component: () => import('./pages/admin/AdminAuditPage.vue'), meta: { roles: ['admin'], tab: 'admin' } },
  { path: '/:pathMatch(.*)*', name: 'notfound', component: () => import('./pages/NotFoundPage.vue'), meta: { public: true } },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
})

router.beforeEach((to) => {
  const auth = useAuthStore()
  if (to.meta.public) {
    if (to.name === 'login' && auth.loggedIn) return auth.home
    return true
  }
  // A lapsed session (or one that cannot be renewed offline) still shows what waits on this phone, to export it.
  if (!auth.loggedIn && !(to.meta.local && auth.user)) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.meta.roles && !to.meta.roles.includes(auth.role)) return auth.home
  return true
})

/**
 * A page's code is fetched when first opened, and the dashboards and the office's desktop pages are not in
 * the offline shell: opened offline for the first time, the import fails. Say so, rather than a tab that does
 * nothing (or, on a first load, a blank page: then the home page, or 我的 when the home is that page).
 */
const CHUNK_ERROR = /dynamically imported module|Unable to preload CSS|Importing a module script failed|error loading dynamically imported/i
router.onError((err, to) => {
  if (!CHUNK_ERROR.test(String(err?.message))) return console.error(err)
  if (navigator.onLine) {
    // Most likely a new version was deployed since this app started: switch to it (the page reloads).
    showToast(i18n.global.t('common.updatingForPage'))
    updateForMissingPage().then((updated) => updated || showToast(i18n.global.t('common.pageLoadFailed')))
  } else {
    showToast(i18n.global.t('common.pageOffline'))
  }
  if (router.currentRoute.value.matched.length || to.name === 'me') return  // 我的 is in the shell: never a loop
  const home = useAuthStore().home
  router.replace(to.path === home ? { name: 'me' } : home)
})
// A Vant tab or cell link pushes without a catch: its failed navigation, said above, is no uncaught error.
window.addEventListener('unhandledrejection', (e) => {
  if (CHUNK_ERROR.test(String(e.reason?.message))) e.preventDefault()
})

/**
 * Bottom tabs per role (max five, thumb-reachable). Only dispatchers dispatch (triage); the dispatcher's
 * 审批 queue opens from triage (a badge with the count), its tabs being full. The admin administers
 * (管理) and reads. Unit staff open their unit's 看板 from 我的任务's header and from 我的.
 */
export const TABS_BY_ROLE: Record<Role, string[]> = {
  inspector: ['capture', 'verify', 'map', 'outbox', 'me'],
  dispatcher: ['triage', 'verify', 'dashboard', 'outbox', 'me'], // the dashboard has the open-problems map
  unit_staff: ['tasks', 'inbox', 'map', 'outbox', 'me'], // 消息: new tasks, 返工, 催办, decisions
  leader: ['dashboard', 'approvals', 'tickets', 'map', 'me'], // a leader decides suspension requests
  admin: ['admin', 'dashboard', 'tickets', 'map', 'me'], // 管理: units, users, categories, grids, settings, audit
}
