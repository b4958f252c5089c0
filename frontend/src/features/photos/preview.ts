/** Full-screen photos (tap to enlarge, swipe between them): Vant's preview over bearer-fetched object URLs. */
import { showImagePreview } from 'vant'
// A function-called component: its styles are not auto-imported with it (without them it is a 128px strip).
import 'vant/es/image-preview/style'
import { photoObjectUrl } from './photoUrls'

/** photos: [{urls: {display, thumb}}]; opens at index `start`. */
export async function previewPhotos(photos, start = 0) {
  const urls = await Promise.all(photos.map((p) => photoObjectUrl(p?.urls?.display || p?.urls?.thumb).catch(() => '')))
  return showImagePreview({ images: urls, startPosition: start, closeable: true, showIndex: true })
}
