// Follows a server-side rollout to its end over the provider's event stream: every
// `rollout.updated` of that rollout goes to `onUpdate`, and the state is re-read whenever the
// stream (re)connects, so nothing is missed across a dropped connection or a platform restart.

import { FlightdeckError } from '../errors';
import type { Rollout } from '../model';
import type { Provider } from '../provider';
import { isActive } from './plan';

export type FollowProvider = Pick<Provider, 'subscribe' | 'getRollout'>;

/** Resolves with the rollout once it succeeded, rolled back or was aborted; CANCELLED on `signal`. */
export function followRollout(
  provider: FollowProvider,
  started: Rollout,
  onUpdate: (rollout: Rollout) => void,
  signal?: AbortSignal,
): Promise<Rollout> {
  return new Promise((resolve, reject) => {
    let last = started;
    let settled = false;
    const finish = (end: () => void) => {
      if (settled) return;
      settled = true;
      subscription.close();
      signal?.removeEventListener('abort', onAbort);
      end();
    };
    const see = (rollout: Rollout) => {
      if (settled || rollout.id !== started.id || JSON.stringify(rollout) === JSON.stringify(last)) return;
      last = rollout;
      onUpdate(rollout);
      if (!isActive(rollout)) finish(() => resolve(rollout));
    };
    const reread = () => {
      provider.getRollout(started.environment, started.function).then(
        (rollout) => rollout && see(rollout),
        () => undefined, // the stream reconnects and re-reads again
      );
    };
    const onAbort = () => finish(() => reject(new FlightdeckError('CANCELLED', `Stopped following; the rollout of v${started.spec.toVersion} goes on in the platform (\`flightdeck rollout status --wait\` follows it again).`)));
    const subscription = provider.subscribe(
      (event) => {
        if (event.type === 'rollout.updated' && event.rollout) see(event.rollout);
      },
      (connected) => connected && reread(),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    if (!isActive(started)) finish(() => resolve(started));
    else reread();
  });
}
