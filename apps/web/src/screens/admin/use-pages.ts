import { useCallback, useEffect, useRef, useState } from 'react';
import { useApp } from '../../hooks';

export interface Page<T> {
  items: T[];
  next_before: string | null;
}

/**
 * A list the API answers a page at a time (`before` → `next_before`), kept in the component that
 * shows it: the first page is read again whenever `fetchPage` or `reload` changes, and `more()`
 * appends the next. An answer to a read that was superseded (a new search typed while a page was
 * on its way) is dropped, so the list always belongs to the latest read.
 */
export function usePages<T>(fetchPage: (before?: string) => Promise<Page<T>>, reload?: unknown) {
  const toastError = useApp((s) => s.toastError);
  const [items, setItems] = useState<T[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const generation = useRef(0);

  const read = useCallback(
    async (before?: string) => {
      const mine = before ? generation.current : ++generation.current;
      if (!before) setItems(null);
      setLoading(true);
      try {
        const page = await fetchPage(before);
        if (mine !== generation.current) return;
        setItems((shown) => (before && shown ? [...shown, ...page.items] : page.items));
        setNext(page.next_before);
      } catch (err) {
        if (mine !== generation.current) return;
        setItems((shown) => shown ?? []);
        toastError(err);
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [fetchPage, toastError],
  );

  useEffect(() => {
    void read();
  }, [read, reload]);

  const more = useCallback(() => {
    if (next && !loading) void read(next);
  }, [next, loading, read]);

  return { items, hasMore: next !== null, loading, more };
}
