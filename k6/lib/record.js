/*
 * record.js - the k6 side of a verdict: records its checks with k6's check()
 * and logs what was wrong, for the first few failures of each VU only, so a
 * broken service under load does not bury the summary in log lines.
 *
 * The verdicts themselves come from checks.js, which has no k6 import.
 */
import { check } from 'k6';

import { intFromEnv } from './scenarios.js';

/** @typedef {import('./checks.js').Verdict} Verdict */

const MAX_LOGGED = intFromEnv(__ENV, 'MAX_LOGGED_FAILURES', 10);

// Per VU: each VU loads its own copy of this module.
let logged = 0;

/**
 * Records every check of a verdict, tagged (so thresholds and the summary can
 * tell endpoints and N apart), and logs its problems while the VU's budget
 * of MAX_LOGGED_FAILURES lasts. Returns whether every check passed.
 * @param {Verdict} verdict
 * @param {Record<string, string>} tags
 * @param {string} what      the request, for the log line
 * @returns {boolean}
 */
export function record(verdict, tags, what) {
    /** @type {import('k6').Checkers<null>} */
    const checkers = {};
    for (const [name, passed] of Object.entries(verdict.checks))
        checkers[name] = () => passed;

    const passed = check(null, checkers, tags);
    if (!passed && logged < MAX_LOGGED) {
        logged++;
        console.warn(`check failed: ${what}: ${verdict.problems.join('; ')}` +
            (logged === MAX_LOGGED ? ' (no more failures logged by this VU)' : ''));
    }
    return passed;
}
