// Unit tests of lib/mix.js: which calls the factorial script makes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { buildCycle, callsFor, mixNumbers, requestBody, sizeOf, warmUpCalls } from '../lib/mix.js';

const MIX = JSON.parse(
    readFileSync(new URL('../data/factorial-mix.json', import.meta.url), 'utf8'),
);
const SMALL_MIX = {
    cases: [
        { n: 1, weight: 3 },
        { n: 2, weight: 1 },
        { n: 3, weight: 2 },
    ],
    overLimitWeight: 1,
};

describe('cycle', () => {
    it('holds every N as often as its weight says', () => {
        const cycle = buildCycle(MIX, 100001);
        /** @type {Map<number, number>} */
        const counts = new Map();
        for (const slot of cycle) counts.set(slot.n, (counts.get(slot.n) ?? 0) + 1);
        for (const c of MIX.cases) assert.equal(counts.get(c.n), c.weight, `${c.n}`);
        assert.equal(counts.get(100001), MIX.overLimitWeight);
        assert.equal(cycle.filter((s) => s.overLimit).length, MIX.overLimitWeight);
    });

    it('spreads an N out instead of bunching it', () => {
        const cycle = buildCycle(
            {
                cases: [
                    { n: 1, weight: 4 },
                    { n: 2, weight: 4 },
                ],
            },
            9,
        );
        assert.deepEqual(
            cycle.map((s) => s.n),
            [1, 2, 1, 2, 1, 2, 1, 2],
        );
        const big = buildCycle(MIX, 100001).map((s) => s.n >= 10000);
        for (let i = 1; i < big.length; i++)
            assert.ok(!(big[i] && big[i - 1]), `two big N in a row at ${i}`);
    });

    it('is the same every time', () => {
        assert.deepEqual(buildCycle(MIX, 100001), buildCycle(MIX, 100001));
    });

    it('keeps big N rare', () => {
        const cycle = buildCycle(MIX, 100001);
        const big = cycle.filter((s) => !s.overLimit && sizeOf(s.n) === 'large').length;
        assert.ok(big / cycle.length <= 0.05, `${big} of ${cycle.length}`);
    });

    it('refuses a malformed mix', () => {
        for (const bad of [
            { cases: [] },
            { cases: [{ n: -1, weight: 1 }] },
            { cases: [{ n: 1.5, weight: 1 }] },
            { cases: [{ n: 1, weight: 0 }] },
            {
                cases: [
                    { n: 1, weight: 1 },
                    { n: 1, weight: 2 },
                ],
            },
            { cases: [{ n: 1, weight: 1 }], overLimitWeight: -1 },
        ])
            assert.throws(
                () => buildCycle(/** @type {any} */ (bad), 9),
                /factorial mix/,
                JSON.stringify(bad),
            );
    });
});

describe('calls', () => {
    it('forces every forceEvery-th iteration, then asks plainly for the same N', () => {
        const cycle = buildCycle(SMALL_MIX, 99);
        let forced = 0;
        for (let i = 0; i < 100; i++) {
            const calls = callsFor(cycle, i, 5);
            if (calls[0].kind === 'force') {
                forced++;
                assert.deepEqual(calls, [
                    { kind: 'force', n: calls[0].n, force: true },
                    { kind: 'plain', n: calls[0].n, force: false },
                ]);
            } else {
                assert.equal(calls.length, 1);
            }
        }
        assert.ok(forced >= 15 && forced <= 20, `${forced}`);
    });

    it('over forceEvery cycles forces every answering slot exactly once', () => {
        const cycle = buildCycle(MIX, 100001);
        const forceEvery = 10;
        const forcedAt = new Array(cycle.length).fill(0);
        for (let i = 0; i < cycle.length * forceEvery; i++) {
            if (callsFor(cycle, i, forceEvery)[0].kind === 'force') forcedAt[i % cycle.length]++;
        }
        cycle.forEach((slot, i) => assert.equal(forcedAt[i], slot.overLimit ? 0 : 1, `slot ${i}`));
    });

    it('never forces when forceEvery is 0', () => {
        const cycle = buildCycle(SMALL_MIX, 99);
        for (let i = 0; i < 50; i++) assert.notEqual(callsFor(cycle, i, 0)[0].kind, 'force');
    });

    it('sends over-limit slots as one plain request', () => {
        const cycle = buildCycle(SMALL_MIX, 99);
        const i = cycle.findIndex((s) => s.overLimit);
        assert.deepEqual(callsFor(cycle, i, 1), [{ kind: 'over-limit', n: 99, force: false }]);
    });

    it('warms up every N with force before asking plainly', () => {
        assert.deepEqual(warmUpCalls(SMALL_MIX, 99), [
            { kind: 'force', n: 1, force: true },
            { kind: 'plain', n: 1, force: false },
            { kind: 'force', n: 2, force: true },
            { kind: 'plain', n: 2, force: false },
            { kind: 'force', n: 3, force: true },
            { kind: 'plain', n: 3, force: false },
            { kind: 'over-limit', n: 99, force: false },
        ]);
        assert.equal(warmUpCalls(MIX, 100001).length, mixNumbers(MIX).length * 2 + 1);
    });

    it('writes the request bodies the service takes', () => {
        assert.equal(requestBody({ kind: 'plain', n: 20, force: false }), '{"number":20}');
        assert.equal(
            requestBody({ kind: 'force', n: 20, force: true }),
            '{"number":20,"force":true}',
        );
        assert.equal(
            requestBody({ kind: 'over-limit', n: 100001, force: false }),
            '{"number":100001}',
        );
    });

    it('sorts N into latency sizes', () => {
        assert.equal(sizeOf(0), 'small');
        assert.equal(sizeOf(9999), 'small');
        assert.equal(sizeOf(10000), 'large');
    });
});
