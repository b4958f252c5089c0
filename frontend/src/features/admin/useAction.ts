/** Runs an admin call and keeps the server's refusal (4xx message and field errors) to show on the screen. */
import { ref } from 'vue'
import { showSuccessToast } from 'vant'
import { errorText } from './api'

export function useAction() {
  const error = ref('')
  const busy = ref(false)
  /**
   * @param done a toast when it worked
   */
  async function run<T>(fn: () => Promise<T>, done?: string): Promise<T | undefined> {
    busy.value = true
    error.value = ''
    try {
      const out = await fn()
      if (done) showSuccessToast(done)
      return out
    } catch (e) {
      error.value = errorText(e)
      return undefined
    } finally {
      busy.value = false
    }
  }
  return { error, busy, run }
}
