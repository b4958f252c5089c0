/** Full-screen photos (tap to enlarge, swipe between them): Vant's preview over bearer-fetched object URLs. */
import { showImagePreview } from 'vant'
import { photoObjectUrl } from './photoUrls.js'

/** photos: [{urls: {display, thumb}}]; opens at index `start`. */
export async function previewPhotos(photos, start = 0) {
  const urls = await Promise.all(photos.map((p) => photoObjectUrl(p?.urls?.display || p?.urls?.thumb).catch(() => '')))
  return showImagePreview({ images: urls, startPosition: start, closeable: true, showIndex: true })
}
