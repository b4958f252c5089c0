import { onBeforeUnmount, onMounted, type Ref } from 'vue'

/**
 * The browser's own "leave this page?" prompt while `dirty`: closing the tab or reloading would lose the edits.
 * (Leaving within the app asks through the page's router guard.)
 */
export function useUnloadWarning(dirty: Readonly<Ref<boolean>>): void {
  const warn = (e: BeforeUnloadEvent) => {
    if (!dirty.value) return
    e.preventDefault()
    e.returnValue = '' // older Chromium needs it set to show the prompt
  }
  onMounted(() => window.addEventListener('beforeunload', warn))
  onBeforeUnmount(() => window.removeEventListener('beforeunload', warn))
}
