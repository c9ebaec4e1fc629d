import type { ClickStore } from '../clicks/click-store';

/** The click store with a hook on every stored click (metrics and the overview's click count). */
export function countingClicks(store: ClickStore, onSaved: () => void): ClickStore {
  return {
    save: async (click) => {
      await store.save(click);
      onSaved();
    },
    get: (id) => store.get(id),
    purgeExpired: () => store.purgeExpired(),
    close: () => store.close(),
  };
}
