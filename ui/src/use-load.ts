import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Loads once per `key`, keeps the last answer while reloading, and shows the API's error. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const fnRef = useRef(load);
  fnRef.current = load;
  const run = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fnRef.current().then(
      (data) => n === seq.current && setState({ data, error: null, loading: false }),
      (error: Error) => n === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, []);
  useEffect(run, [key]);
  return { ...state, reload: run };
}

/** A button's action: busy while it runs, its answer or error shown next to it. */
export function useAction<T>() {
  const [state, setState] = useState<{ busy: boolean; result: T | null; error: Error | null }>({ busy: false, result: null, error: null });
  const run = useCallback(async (fn: () => Promise<T>) => {
    setState({ busy: true, result: null, error: null });
    try {
      const result = await fn();
      setState({ busy: false, result, error: null });
      return result;
    } catch (error) {
      setState({ busy: false, result: null, error: error as Error });
      return null;
    }
  }, []);
  return { ...state, run, clear: () => setState({ busy: false, result: null, error: null }) };
}
