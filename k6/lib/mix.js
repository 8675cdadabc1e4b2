/*
 * mix.js - which calls k6/factorial.js makes, and in what order.
 *
 * The mix (data/factorial-mix.json) gives each N a weight. It is laid out once
 * as a cycle in which every N appears weight times, spread out rather than
 * bunched, and iteration i takes slot i modulo the cycle's length: the same
 * sequence on every run, with big N as rare as their weights say.
 *
 * Whether an answer should say cached:true must not depend on which virtual
 * user got there first. So every N is first asked with force (which always
 * recomputes, stores and answers cached:false), then plainly (which must then
 * find it: cached:true). setup() does that for every N before the load starts,
 * and an iteration that forces does it again in that order. Nothing removes
 * an entry, so a plain call always finds one; unless Redis is down or evicts
 * it, and then the failed check is the news.
 *
 * Plain ECMAScript, no k6 import: unit-tested with Node.
 */

/**
 * @typedef {object} MixCase
 * @property {number} n
 * @property {number} weight
 */

/**
 * @typedef {object} Mix
 * @property {MixCase[]} cases
 * @property {number} [overLimitWeight]  share of calls with N over the limit
 */

/**
 * One request. plain: {"number": n}; force: {"number": n, "force": true};
 * over-limit: {"number": n} with n above FACTORIAL_MAX_N, to be refused.
 * @typedef {object} Call
 * @property {'plain' | 'force' | 'over-limit'} kind
 * @property {number} n
 * @property {boolean} force
 */

/** @typedef {{ n: number, overLimit: boolean }} Slot */

/** N from this size on get the looser "large" latency bounds. */
export const LARGE_N = 10000;

/**
 * @param {unknown} value
 * @returns {value is number}
 */
function isCount(value) {
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks the mix and returns its distinct N, ascending; throws on a bad mix.
 * @param {Mix} mix
 * @returns {number[]}
 */
export function mixNumbers(mix) {
    if (!mix || !Array.isArray(mix.cases) || mix.cases.length === 0)
        throw new Error('factorial mix: "cases" must be a non-empty list');
    /** @type {Set<number>} */
    const seen = new Set();
    for (const c of mix.cases) {
        if (!isCount(c.n))
            throw new Error(`factorial mix: n ${JSON.stringify(c.n)} is not a whole number >= 0`);
        if (!isCount(c.weight) || c.weight === 0)
            throw new Error(`factorial mix: weight of ${c.n} must be a whole number > 0`);
        if (seen.has(c.n))
            throw new Error(`factorial mix: ${c.n} is listed twice`);
        seen.add(c.n);
    }
    if (mix.overLimitWeight !== undefined && !isCount(mix.overLimitWeight))
        throw new Error('factorial mix: overLimitWeight must be a whole number >= 0');
    return [...seen].sort((a, b) => a - b);
}

/**
 * Lays the mix out as a cycle, each N weight times, spread by smooth weighted
 * round-robin: at every step each entry gains its weight, the richest is
 * chosen and pays the total. Ties go to the earlier entry, so it is stable.
 * @param {Mix} mix
 * @param {number} overLimitN  the N used for over-limit slots
 * @returns {Slot[]}
 */
export function buildCycle(mix, overLimitN) {
    mixNumbers(mix);
    /** @type {{ slot: Slot, weight: number, credit: number }[]} */
    const entries = mix.cases.map((c) => (
        { slot: { n: c.n, overLimit: false }, weight: c.weight, credit: 0 }));
    const overLimitWeight = mix.overLimitWeight ?? 0;
    if (overLimitWeight > 0) {
        entries.push(
            { slot: { n: overLimitN, overLimit: true }, weight: overLimitWeight, credit: 0 });
    }

    const total = entries.reduce((sum, e) => sum + e.weight, 0);
    /** @type {Slot[]} */
    const cycle = [];
    for (let step = 0; step < total; step++) {
        let best = entries[0];
        for (const e of entries) {
            e.credit += e.weight;
            if (e.credit > best.credit)
                best = e;
        }
        best.credit -= total;
        cycle.push(best.slot);
    }
    return cycle;
}

/**
 * The calls of iteration i: one plain call, or one iteration in forceEvery a
 * forced call then a plain one for the same N (0 never forces). The forced
 * iterations shift by one slot each cycle, so over forceEvery cycles every
 * slot is forced exactly once, whatever the cycle's length.
 * @param {Slot[]} cycle
 * @param {number} iteration  0-based, counted across the whole test
 * @param {number} forceEvery
 * @returns {Call[]}
 */
export function callsFor(cycle, iteration, forceEvery) {
    const slot = cycle[iteration % cycle.length];
    if (slot.overLimit)
        return [{ kind: 'over-limit', n: slot.n, force: false }];
    /** @type {Call} */
    const plain = { kind: 'plain', n: slot.n, force: false };
    const shifted = iteration + Math.floor(iteration / cycle.length);
    if (forceEvery > 0 && shifted % forceEvery === forceEvery - 1)
        return [{ kind: 'force', n: slot.n, force: true }, plain];
    return [plain];
}

/**
 * What setup() sends before the load: force then plain for every N of the
 * mix, ascending, then one over-limit call when the mix has any.
 * @param {Mix} mix
 * @param {number} overLimitN
 * @returns {Call[]}
 */
export function warmUpCalls(mix, overLimitN) {
    /** @type {Call[]} */
    const calls = [];
    for (const n of mixNumbers(mix)) {
        calls.push({ kind: 'force', n, force: true });
        calls.push({ kind: 'plain', n, force: false });
    }
    if ((mix.overLimitWeight ?? 0) > 0)
        calls.push({ kind: 'over-limit', n: overLimitN, force: false });
    return calls;
}

/**
 * The request body of a call.
 * @param {Call} call
 * @returns {string}
 */
export function requestBody(call) {
    return JSON.stringify(call.force ? { number: call.n, force: true } : { number: call.n });
}

/**
 * "small" or "large": which latency bounds hold for N.
 * @param {number} n
 * @returns {'small' | 'large'}
 */
export function sizeOf(n) {
    return n >= LARGE_N ? 'large' : 'small';
}
