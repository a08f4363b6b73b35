/**
 * One stop request per signal, however many copies of it arrive. SIGTERM sent to the whole process
 * group (systemd's default KillMode=control-group, `kill -- -PGID`, docker stop under `npm start`)
 * reaches the hub twice: once directly, once forwarded by npm. Copies of the same signal within
 * DUPLICATE_WINDOW_MS count once; a later one (an operator pressing Ctrl-C again) forces the exit.
 */

export const DUPLICATE_WINDOW_MS = 2_000;

export type SignalVerdict = 'stop' | 'duplicate' | 'force';

export function signalCounter(now: () => number = Date.now) {
  let first: { signal: NodeJS.Signals; at: number } | null = null;
  return (signal: NodeJS.Signals): SignalVerdict => {
    const at = now();
    if (!first) {
      first = { signal, at };
      return 'stop';
    }
    return first.signal === signal && at - first.at <= DUPLICATE_WINDOW_MS ? 'duplicate' : 'force';
  };
}
