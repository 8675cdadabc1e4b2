// Unit tests of lib/checks.js: right answers pass, and each way of being
// wrong fails the check it should, without throwing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import {
    FACTORIAL_CHECKS,
    FOO_CHECKS,
    REJECT_CHECKS,
    factorialVerdict,
    fooVerdict,
    headerValue,
    isMediaType,
    overLimitVerdict,
} from '../lib/checks.js';

const sha256hex = (/** @type {string} */ text) =>
    createHash('sha256').update(text, 'utf8').digest('hex');

/** n! by BigInt: a second implementation, independent of the expected file. */
function factorial(/** @type {number} */ n) {
    let f = 1n;
    for (let i = 2n; i <= BigInt(n); i++) f *= i;
    return f.toString();
}

/** The expected entry for n, made here from BigInt. */
function expectedFor(/** @type {number} */ n) {
    const digits = factorial(n);
    return { n, digits: digits.length, sha256: sha256hex(digits) };
}

const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** Failed check names of a verdict. */
function failed(/** @type {{ checks: Record<string, boolean> }} */ verdict) {
    return Object.entries(verdict.checks)
        .filter(([, ok]) => !ok)
        .map(([name]) => name);
}

/** A factorial answer exactly as the service writes it. */
function answer(/** @type {number} */ n, /** @type {boolean} */ cached, digits = factorial(n)) {
    return `{"number":${n},"factorial":"${digits}","cached":${cached}}\n`;
}

describe('headers', () => {
    it('finds a header whatever the case of its name', () => {
        assert.equal(headerValue({ 'content-type': 'a/b' }, 'Content-Type'), 'a/b');
        assert.equal(headerValue({ 'CONTENT-TYPE': 'a/b' }, 'content-type'), 'a/b');
        assert.equal(headerValue({}, 'Content-Type'), undefined);
        assert.equal(headerValue(undefined, 'Content-Type'), undefined);
    });

    it('compares media types without their parameters', () => {
        assert.ok(isMediaType('text/plain; charset=utf-8', 'text/plain'));
        assert.ok(isMediaType('Application/JSON', 'application/json'));
        assert.ok(!isMediaType('text/html', 'text/plain'));
        assert.ok(!isMediaType('text/plainer', 'text/plain'));
        assert.ok(!isMediaType(undefined, 'text/plain'));
    });
});

describe('foo', () => {
    it('passes 200 text/plain "foobar"', () => {
        const v = fooVerdict({ status: 200, body: 'foobar', headers: TEXT });
        assert.deepEqual(failed(v), []);
        assert.deepEqual(v.problems, []);
    });

    it('fails a missing body as a check, not an exception', () => {
        for (const body of [null, undefined]) {
            const v = fooVerdict({ status: 200, body, headers: TEXT });
            assert.deepEqual(failed(v), [FOO_CHECKS.body]);
            assert.match(v.problems.join(), /no body/);
        }
    });

    it('fails when no answer came at all (status 0, no headers)', () => {
        const v = fooVerdict({ status: 0, body: null, headers: undefined });
        assert.deepEqual(failed(v).sort(), Object.values(FOO_CHECKS).sort());
        assert.match(v.problems.join(), /no HTTP answer/);
    });

    it('fails 503 with the JSON error foo sends when bar is down', () => {
        const v = fooVerdict({
            status: 503,
            body: '{"error":"bar is unavailable"}\n',
            headers: JSON_TYPE,
        });
        assert.deepEqual(failed(v).sort(), Object.values(FOO_CHECKS).sort());
        assert.match(v.problems.join(), /status 503/);
    });

    it('fails any body but exactly "foobar"', () => {
        for (const body of ['foobaz', 'foo', 'foobar\n', ' foobar', 'foobarfoobar', 'FOOBAR', '']) {
            const v = fooVerdict({ status: 200, body, headers: TEXT });
            assert.deepEqual(failed(v), [FOO_CHECKS.body], JSON.stringify(body));
        }
    });

    it('fails a binary body', () => {
        const v = fooVerdict({ status: 200, body: new ArrayBuffer(6), headers: TEXT });
        assert.deepEqual(failed(v), [FOO_CHECKS.body]);
    });

    it('fails another Content-Type', () => {
        const v = fooVerdict({
            status: 200,
            body: 'foobar',
            headers: { 'Content-Type': 'text/html' },
        });
        assert.deepEqual(failed(v), [FOO_CHECKS.type]);
    });

    it('names the same checks whether they pass or fail', () => {
        const right = fooVerdict({ status: 200, body: 'foobar', headers: TEXT });
        const wrong = fooVerdict({ status: 500, body: null, headers: undefined });
        assert.deepEqual(Object.keys(right.checks), Object.keys(wrong.checks));
    });
});

describe('factorial', () => {
    const E20 = expectedFor(20);
    const plain20 = { n: 20, force: false };
    const forced20 = { n: 20, force: true };

    /** Verdict on a 200 application/json answer for 20!. */
    const verdict20 = (/** @type {string | null} */ body, call = plain20) =>
        factorialVerdict({ status: 200, body, headers: JSON_TYPE }, call, E20, sha256hex);

    it('passes the right answer: plain says cached true, forced says false', () => {
        assert.deepEqual(failed(verdict20(answer(20, true))), []);
        assert.deepEqual(failed(verdict20(answer(20, false), forced20)), []);
    });

    it('passes right answers across the 64-bit and double boundaries and beyond', () => {
        for (const n of [0, 1, 20, 21, 170, 171, 1559, 3000]) {
            const v = factorialVerdict(
                { status: 200, body: answer(n, true), headers: JSON_TYPE },
                { n, force: false },
                expectedFor(n),
                sha256hex,
            );
            assert.deepEqual(failed(v), [], `${n}!: ${v.problems}`);
        }
    });

    it('accepts JSON whitespace between tokens, and a trailing newline', () => {
        const body = ` { "number" : 20 ,\n "factorial" : "${factorial(20)}", "cached" : true }\n\n`;
        assert.deepEqual(failed(verdict20(body)), []);
    });

    it('fails one wrong digit', () => {
        const digits = factorial(20).replace(/^2/, '3');
        const v = verdict20(answer(20, true, digits));
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
        assert.match(v.problems.join(), /wrong digits/);
    });

    it('fails one wrong digit deep inside a long answer', () => {
        const right = factorial(1559);
        const wrong = right.slice(0, 2000) + (right[2000] === '7' ? '8' : '7') + right.slice(2001);
        const v = factorialVerdict(
            { status: 200, body: answer(1559, true, wrong), headers: JSON_TYPE },
            { n: 1559, force: false },
            expectedFor(1559),
            sha256hex,
        );
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
    });

    it('fails a digit count off by one either way', () => {
        for (const digits of [factorial(20).slice(1), factorial(20) + '0']) {
            const v = verdict20(answer(20, true, digits));
            assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
            assert.match(v.problems.join(), /digits, 20! has 19/);
        }
    });

    it('fails what 64-bit arithmetic gives for 21! (wrapped around)', () => {
        const wrapped = (BigInt(factorial(21)) % 2n ** 64n).toString();
        const v = factorialVerdict(
            { status: 200, body: answer(21, true, wrapped), headers: JSON_TYPE },
            { n: 21, force: false },
            expectedFor(21),
            sha256hex,
        );
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
    });

    it('fails what a double gives for 25! (rounded; exact up to 22!)', () => {
        const rounded = BigInt(Number(factorial(25))).toString();
        assert.notEqual(rounded, factorial(25));
        assert.equal(rounded.length, factorial(25).length);
        const v = factorialVerdict(
            { status: 200, body: answer(25, true, rounded), headers: JSON_TYPE },
            { n: 25, force: false },
            expectedFor(25),
            sha256hex,
        );
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
    });

    it('fails whitespace, a sign, a leading zero or an exponent inside the digits', () => {
        const d = factorial(20);
        for (const digits of [
            ` ${d}`,
            `${d} `,
            `${d}\\n`,
            `+${d}`,
            `0${d}`,
            `${d.slice(0, 9)} ${d.slice(9)}`,
            '2.43290200817664e18',
        ]) {
            const v = verdict20(answer(20, true, digits));
            assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits], digits);
        }
    });

    it('fails the digits as a JSON number instead of a string', () => {
        const v = verdict20(`{"number":20,"factorial":${factorial(20)},"cached":true}`);
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
        assert.match(v.problems.join(), /not a string/);
    });

    it('fails a body cut short, as not JSON', () => {
        const whole = answer(20, true);
        for (const cut of [whole.length - 3, whole.length / 2, 1]) {
            const v = verdict20(whole.slice(0, cut));
            assert.deepEqual(failed(v), [
                FACTORIAL_CHECKS.shape,
                FACTORIAL_CHECKS.number,
                FACTORIAL_CHECKS.digits,
                FACTORIAL_CHECKS.cached,
            ]);
            assert.match(v.problems.join(), /not JSON/);
        }
    });

    it('fails a missing or empty body without throwing', () => {
        for (const body of [null, undefined, '']) {
            const v = factorialVerdict(
                { status: 200, body, headers: JSON_TYPE },
                plain20,
                E20,
                sha256hex,
            );
            assert.ok(failed(v).includes(FACTORIAL_CHECKS.digits));
        }
    });

    it('fails non-JSON answers such as an HTML error page', () => {
        const v = factorialVerdict(
            {
                status: 503,
                body: '<html><body>503 Service Unavailable</body></html>',
                headers: { 'Content-Type': 'text/html' },
            },
            plain20,
            E20,
            sha256hex,
        );
        assert.deepEqual(failed(v).sort(), Object.values(FACTORIAL_CHECKS).sort());
    });

    it('fails a 503 JSON error', () => {
        const v = factorialVerdict(
            { status: 503, body: '{"error":"busy"}', headers: JSON_TYPE },
            plain20,
            E20,
            sha256hex,
        );
        assert.ok(failed(v).includes(FACTORIAL_CHECKS.status));
        assert.ok(failed(v).includes(FACTORIAL_CHECKS.digits));
    });

    it('fails a right answer with a wrong status', () => {
        const v = factorialVerdict(
            { status: 201, body: answer(20, true), headers: JSON_TYPE },
            plain20,
            E20,
            sha256hex,
        );
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.status]);
    });

    it('fails cached:false on a repeat, and cached:true when forced', () => {
        assert.deepEqual(failed(verdict20(answer(20, false))), [FACTORIAL_CHECKS.cached]);
        assert.deepEqual(failed(verdict20(answer(20, true), forced20)), [FACTORIAL_CHECKS.cached]);
    });

    it('fails cached that is not a boolean', () => {
        for (const cached of ['"true"', '1', 'null']) {
            const body = `{"number":20,"factorial":"${factorial(20)}","cached":${cached}}`;
            const v = verdict20(body);
            assert.deepEqual(failed(v), [FACTORIAL_CHECKS.cached], cached);
        }
    });

    it('fails another N, or N as a string', () => {
        for (const number of ['21', '"20"', '20.5']) {
            const body = `{"number":${number},"factorial":"${factorial(20)}","cached":true}`;
            assert.deepEqual(failed(verdict20(body)), [FACTORIAL_CHECKS.number], number);
        }
    });

    it('fails a missing or an extra key', () => {
        const missing = `{"number":20,"factorial":"${factorial(20)}"}`;
        assert.deepEqual(failed(verdict20(missing)), [
            FACTORIAL_CHECKS.shape,
            FACTORIAL_CHECKS.cached,
        ]);
        const extra = `{"number":20,"factorial":"${factorial(20)}","cached":true,"error":"x"}`;
        assert.deepEqual(failed(verdict20(extra)), [FACTORIAL_CHECKS.shape]);
    });

    it('fails JSON that is not an object', () => {
        for (const body of ['null', '[]', '"2432902008176640000"', '2432902008176640000']) {
            const v = verdict20(body);
            assert.ok(failed(v).includes(FACTORIAL_CHECKS.shape), body);
            assert.ok(failed(v).includes(FACTORIAL_CHECKS.digits), body);
        }
    });

    it('fails another Content-Type', () => {
        const v = factorialVerdict(
            { status: 200, body: answer(20, true), headers: TEXT },
            plain20,
            E20,
            sha256hex,
        );
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.type]);
    });

    it('fails when the expected file has no entry for N, rather than passing blind', () => {
        const v = factorialVerdict(
            { status: 200, body: answer(20, true), headers: JSON_TYPE },
            plain20,
            undefined,
            sha256hex,
        );
        assert.deepEqual(failed(v), [FACTORIAL_CHECKS.digits]);
        assert.match(v.problems.join(), /no expected value/);
    });

    it('names the same checks whether they pass or fail', () => {
        assert.deepEqual(
            Object.keys(verdict20(answer(20, true)).checks),
            Object.keys(verdict20(null).checks),
        );
    });
});

describe('factorial over the limit', () => {
    const refusal = '{"error":"\\"number\\" must be at most 100000"}\n';

    it('passes 422 with {"error": "..."}', () => {
        const v = overLimitVerdict({ status: 422, body: refusal, headers: JSON_TYPE });
        assert.deepEqual(failed(v), []);
    });

    it('fails an answer instead of a refusal', () => {
        const v = overLimitVerdict({ status: 200, body: answer(5, false), headers: JSON_TYPE });
        assert.deepEqual(failed(v), [REJECT_CHECKS.status, REJECT_CHECKS.shape]);
    });

    it('fails another status, an empty error, extra keys or no body', () => {
        assert.deepEqual(
            failed(overLimitVerdict({ status: 400, body: refusal, headers: JSON_TYPE })),
            [REJECT_CHECKS.status],
        );
        assert.deepEqual(
            failed(overLimitVerdict({ status: 422, body: '{"error":""}', headers: JSON_TYPE })),
            [REJECT_CHECKS.shape],
        );
        assert.deepEqual(
            failed(
                overLimitVerdict({ status: 422, body: '{"error":"x","n":1}', headers: JSON_TYPE }),
            ),
            [REJECT_CHECKS.shape],
        );
        assert.deepEqual(
            failed(overLimitVerdict({ status: 422, body: null, headers: JSON_TYPE })),
            [REJECT_CHECKS.shape],
        );
    });
});
