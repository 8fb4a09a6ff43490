// Messages above the page: errors (what went wrong, and what to do), notices, and the offer to resume a
// checkpoint. Each says it in words, with at most one action.
import { byId, el } from './dom.ts';

export interface BannerAction {
  label: string;
  run: () => void;
}

export function showBanner(kind: 'error' | 'info', id: string, message: string, action?: BannerAction): HTMLElement {
  byId('banners').querySelector(`[data-banner="${id}"]`)?.remove();
  const text = el('p', {}, message);
  const banner = el('div', { className: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  banner.dataset.banner = id;
  if (action) {
    const button = el('button', { type: 'button', className: kind === 'info' ? 'primary' : '' }, action.label);
    button.addEventListener('click', () => {
      banner.remove();
      action.run();
    });
    banner.append(button);
  }
  const close = el('button', { type: 'button', className: 'close', title: 'Dismiss' }, '×');
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => banner.remove());
  banner.append(close);
  byId('banners').append(banner);
  return banner;
}

/** Replaces the trainer with what WebGPU needs; `detail` is the specific reason, when known. */
export function showNoWebGpu(detail?: string): void {
  byId('app').hidden = true;
  byId('no-webgpu').hidden = false;
  if (detail) byId('no-webgpu-detail').textContent = detail;
  byId('adapter').textContent = 'No WebGPU adapter.';
}
