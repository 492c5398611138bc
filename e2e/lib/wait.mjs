// Waiting for an event by polling: no fixed sleeps before a check.
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `check` until it returns a value other than undefined/null/false, and returns
 * that value; fails after `timeout` ms naming `what` and the last error seen. The
 * deadline only bounds a failure: a passing wait ends as soon as the event happens.
 */
export async function waitUntil(what, check, { timeout = 20000, every = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
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
