import 'vue-router'

// What each route's `meta` may carry (src/router.ts).
declare module 'vue-router' {
  interface RouteMeta {
    /** reachable without logging in */
    public?: boolean
    /** the roles that may open it (none: any logged-in person) */
    roles?: string[]
    /** the bottom tab it belongs to (phone layout) */
    tab?: string
    /** a desktop-only page (the side navigation's); on a narrow screen the shell shows DesktopOnlyPage instead */
    desktop?: boolean
    /** this phone's own data (待上传): still opens once the session has lapsed, for the account last logged in */
    local?: boolean
  }
}
