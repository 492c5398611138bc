// Waiting for an event by polling: no fixed sleeps before a check.
import { setTimeout as delay } from 'node:timers/promises';

/** How long one call of a check may take before it counts as unanswered. */
const CHECK_MS = 5000;

/**
 * Polls `check` until it returns a value other than undefined/null/false, and returns
 * that value; fails after `timeout` ms naming `what` and the last error seen. The
 * deadline only bounds a failure: a passing wait ends as soon as the event happens.
 * A call of `check` that does not answer within 5 s (an evaluation in a frame whose
 * navigation never ends waits for ever) is left behind and counts as "not yet": the
 * deadline holds whatever `check` does.
 */
export async function waitUntil(what, check, { timeout = 20000, every = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      let timer;
      const unanswered = new Promise((_, reject) => {
        const ms = Math.min(CHECK_MS, Math.max(1000, deadline - Date.now()));
        timer = setTimeout(() => reject(new Error(`a check did not answer within ${ms} ms`)), ms);
      });
      const value = await Promise.race([Promise.resolve().then(check), unanswered]).finally(() => clearTimeout(timer));
      if (value !== undefined && value !== null && value !== false) return value;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await delay(every);
  }
}
