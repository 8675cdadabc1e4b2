// The shipped expected values: produced by the generator, right on their
// own (checked here against BigInt and literal values), and covering every N
// the script asks for.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { expectedByN } from '../lib/checks.js';
import { buildCycle, callsFor, mixNumbers, warmUpCalls } from '../lib/mix.js';

const here = (/** @type {string} */ path) => fileURLToPath(new URL(path, import.meta.url));
const PYTHON = process.env.PYTHON || '/usr/bin/python3';
const GENERATOR = here('../tools/gen_expected.py');
const MIX = JSON.parse(readFileSync(here('../data/factorial-mix.json'), 'utf8'));
const DOCUMENT = JSON.parse(readFileSync(here('../data/factorial-expected.json'), 'utf8'));
const EXPECTED = expectedByN(DOCUMENT);
// The service's default FACTORIAL_MAX_N, and so the script's.
const MAX_N = 100000;

const sha256hex = (/** @type {string} */ text) =>
    createHash('sha256').update(text, 'ascii').digest('hex');

/** @param {string[]} args */
function generator(args) {
    return execFileSync(PYTHON, [GENERATOR, ...args], { encoding: 'utf8' });
}

describe('expected values', () => {
    it('has 20! and 21! right: the last below 2^64 and the first above', () => {
        assert.equal(EXPECTED.get(20)?.value, '2432902008176640000');
        assert.equal(EXPECTED.get(21)?.value, '51090942171709440000');
        assert.ok(2432902008176640000n < 2n ** 64n && 51090942171709440000n > 2n ** 64n);
        for (const [n, text] of [
            [20, '2432902008176640000'],
            [21, '51090942171709440000'],
        ]) {
            const e = EXPECTED.get(Number(n));
            assert.equal(e?.digits, String(text).length);
            assert.equal(e?.sha256, sha256hex(String(text)));
        }
    });

    it('agrees with N! computed by BigInt, for every N up to 2000', () => {
        let f = 1n;
        let i = 1n;
        let checked = 0;
        for (const e of DOCUMENT.entries) {
            if (e.n > 2000) continue;
            for (; i <= BigInt(e.n); i++) f *= i;
            const digits = f.toString();
            assert.equal(e.digits, digits.length, `${e.n}!`);
            assert.equal(e.sha256, sha256hex(digits), `${e.n}!`);
            if (e.value !== undefined) assert.equal(e.value, digits, `${e.n}!`);
            checked++;
        }
        assert.ok(checked >= 15, `only ${checked} entries checked`);
    });

    it('is what the generator makes now, for the small N', () => {
        const fresh = JSON.parse(
            generator(['--print', '0', '1', '20', '21', '170', '171', '1559']),
        );
        for (const entry of fresh) assert.deepEqual(EXPECTED.get(entry.n), entry);
        // The generator's own comparison, every entry up to 2000!; the full one
        // (up to 100000!, some seconds) is `make k6-expected-check`.
        assert.match(generator(['--check', '--max-n', '2000']), /entries recomputed and equal/);
    });

    it('has well-formed entries, in ascending N, each once', () => {
        const ns = DOCUMENT.entries.map((/** @type {{ n: number }} */ e) => e.n);
        assert.deepEqual(
            ns,
            [...ns].sort((a, b) => a - b),
        );
        assert.equal(new Set(ns).size, ns.length);
        for (const e of DOCUMENT.entries) {
            assert.ok(Number.isSafeInteger(e.digits) && e.digits > 0, `${e.n}`);
            assert.match(e.sha256, /^[0-9a-f]{64}$/);
        }
    });
});

describe('the mix and the expected values', () => {
    it('has an expected entry for every N the mix names, and no other', () => {
        assert.deepEqual(
            [...EXPECTED.keys()].sort((a, b) => a - b),
            mixNumbers(MIX),
        );
    });

    it('has an expected entry for every N the script sends for an answer', () => {
        const cycle = buildCycle(MIX, MAX_N + 1);
        const calls = [...warmUpCalls(MIX, MAX_N + 1)];
        for (let i = 0; i < cycle.length * 10; i++) calls.push(...callsFor(cycle, i, 10));
        for (const call of calls) {
            if (call.kind === 'over-limit') assert.ok(call.n > MAX_N);
            else assert.ok(EXPECTED.has(call.n), `no expected value for ${call.n}!`);
        }
    });

    it('asks for the boundaries it is meant to test', () => {
        for (const n of [20, 21, 170, 171, 1558, 1559, 100000]) assert.ok(EXPECTED.has(n), `${n}`);
        assert.ok(mixNumbers(MIX).every((n) => n <= MAX_N));
    });
});
