import { onBeforeUnmount, onMounted, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { onBeforeRouteLeave } from 'vue-router'
import { showConfirmDialog } from 'vant'

/**
 * Unsaved edits are never dropped silently. While `dirty`, leaving within the app asks first (the router guard),
 * and closing the tab or reloading asks through the browser's own prompt. `confirmDiscard` asks the same for the
 * page's own ways of dropping the edits (switching what is edited, resetting): true when there is nothing to lose
 * or the user agreed.
 */
export function useUnsavedGuard(dirty: Readonly<Ref<boolean>>): { confirmDiscard: () => Promise<boolean> } {
  const { t } = useI18n()

  async function confirmDiscard(): Promise<boolean> {
    if (!dirty.value) return true
    try {
      await showConfirmDialog({ message: t('admin.confirmDiscard') })
      return true
    } catch {
      return false
    }
  }

  const warn = (e: BeforeUnloadEvent) => {
    if (!dirty.value) return
    e.preventDefault()
    e.returnValue = '' // older Chromium needs it set to show the prompt
  }
  onBeforeRouteLeave(() => confirmDiscard())
  onMounted(() => window.addEventListener('beforeunload', warn))
  onBeforeUnmount(() => window.removeEventListener('beforeunload', warn))
  return { confirmDiscard }
}
