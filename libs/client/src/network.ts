/** The window of a browser (where `navigator.onLine` and online/offline events exist). */
interface OnlineTarget {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

function browserTarget(): OnlineTarget | undefined {
  const scope = globalThis as { navigator?: { onLine?: boolean }; addEventListener?: unknown; document?: unknown };
  if (typeof scope.navigator?.onLine !== 'boolean' || typeof scope.addEventListener !== 'function' || !scope.document)
    return undefined;
  return scope as unknown as OnlineTarget;
}

/** The browser says it is offline (`navigator.onLine`); in Node the network is taken as always there. */
export function isOffline(): boolean {
  return (
    browserTarget() !== undefined && (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false
  );
}

/** Calls `handler` on every change of a browser's connectivity (none in Node); returns the unsubscribe. */
export function watchConnectivity(handler: (online: boolean) => void): () => void {
  const target = browserTarget();
  if (!target) return () => undefined;
  const online = () => handler(true);
  const offline = () => handler(false);
  target.addEventListener('online', online);
  target.addEventListener('offline', offline);
  return () => {
    target.removeEventListener('online', online);
    target.removeEventListener('offline', offline);
  };
}
