/** Runs an admin call and keeps the server's refusal (4xx message and field errors) to show on the screen. */
import { ref } from 'vue'
import { showSuccessToast } from 'vant'
import { errorText } from './api'

export function useAction() {
  const error = ref('')
  const busy = ref(false)
  /**
   * @template T
   * @param {() => Promise<T>} fn
   * @param {string} [done] a toast when it worked
   * @returns {Promise<T | undefined>}
   */
  async function run(fn, done) {
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
