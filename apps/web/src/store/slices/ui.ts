import { ApiError } from '../../api/client';
import { fieldNote } from '../../components/field-label';
import { translate } from '../../i18n';
import type { Lang, SliceCreator, UiSlice } from '../types';

const TOAST_MS = 5000;

function initialLang(): Lang {
  try {
    const saved = globalThis.localStorage?.getItem('playloop.lang');
    if (saved === 'ko' || saved === 'en') return saved;
  } catch {
    // storage unavailable: fall through
  }
  const nav = globalThis.navigator?.language ?? 'ko';
  return nav.startsWith('en') ? 'en' : 'ko';
}

/** ui {toasts, modal, networkBusy} and the UI language. */
export const createUiSlice: SliceCreator<UiSlice> = (set, get) => {
  let nextId = 1;
  return {
    ui: { toasts: [], modal: null, networkBusy: 0, lang: initialLang() },

    toast(kind, key, vars) {
      const id = nextId++;
      set((s) => ({ ui: { ...s.ui, toasts: [...s.ui.toasts.slice(-3), { id, kind, key, ...(vars ? { vars } : {}) }] } }));
      setTimeout(() => get().dismissToast(id), TOAST_MS);
    },

    toastError(err) {
      const code = err instanceof ApiError ? err.code : 'NETWORK';
      // The field named by its label in the current language (fixed for the toast's few seconds),
      // never by its request path (body.nickname).
      const { lang } = get().ui;
      const field = err instanceof ApiError ? fieldNote((key, vars) => translate(lang, key, vars), err.fields) : '';
      get().toast('error', `errors.${code}`, { field });
    },

    dismissToast(id) {
      set((s) => ({ ui: { ...s.ui, toasts: s.ui.toasts.filter((t) => t.id !== id) } }));
    },
    openModal(key, vars) {
      set((s) => ({ ui: { ...s.ui, modal: { key, ...(vars ? { vars } : {}) } } }));
    },
    closeModal() {
      set((s) => ({ ui: { ...s.ui, modal: null } }));
    },
    setLang(lang) {
      try {
        globalThis.localStorage?.setItem('playloop.lang', lang);
      } catch {
        // not persisted; still switched
      }
      if (globalThis.document) document.documentElement.lang = lang;
      set((s) => ({ ui: { ...s.ui, lang } }));
    },
    busy(delta) {
      set((s) => ({ ui: { ...s.ui, networkBusy: Math.max(0, s.ui.networkBusy + delta) } }));
    },
  };
};
