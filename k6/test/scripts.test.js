// The k6 scripts themselves, run under Node with fake k6 modules
// (test/fake-k6) against a fake service: their options, setup, iterations and
// summary, and that a wrong service makes their checks fail. Real k6
// semantics (executors, thresholds, exit codes) are not exercised here; a
// run of the real k6 does that (see k6/README.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { state } from './fake-k6/modules/state.js';

register('./fake-k6/hooks.js', import.meta.url);

const K6_DIR = fileURLToPath(new URL('..', import.meta.url));
const g = /** @type {any} */ (globalThis);

/**
 * Loads a script afresh under the given environment, as k6 would per VU. Its
 * lib/ modules load once, though: record.js's log budget (read from the first
 * environment) is made big enough for every test here.
 */
let loads = 0;
async function load(/** @type {string} */ script, /** @type {Record<string, string>} */ env = {}) {
    g.__ENV = { MAX_LOGGED_FAILURES: '1000', ...env };
    g.open = (/** @type {string} */ path) =>
        readFileSync(new URL(path, `file://${K6_DIR}`), 'utf8');
    state.reset();
    return import(`../${script}?load=${++loads}`);
}

/** Runs n iterations of a script's default function. */
function iterate(/** @type {any} */ mod, /** @type {number} */ n) {
    for (let i = 0; i < n; i++) {
        state.iterationInTest = i;
        mod.default();
    }
}

const failedChecks = () => state.checks.filter((c) => !c.passed);

/** n! by a product tree: fast enough for 100000!. */
function product(/** @type {bigint} */ lo, /** @type {bigint} */ hi) {
    if (hi - lo < 16n) {
        let p = 1n;
        for (let i = lo; i <= hi; i++) p *= i;
        return p;
    }
    const mid = (lo + hi) / 2n;
    return product(lo, mid) * product(mid + 1n, hi);
}
/** @type {Map<number, string>} */
const digitsMemo = new Map();
function factorialDigits(/** @type {number} */ n) {
    if (!digitsMemo.has(n)) digitsMemo.set(n, n < 2 ? '1' : product(2n, BigInt(n)).toString());
    return /** @type {string} */ (digitsMemo.get(n));
}

/**
 * A fake factorial service with the real one's answers; fault breaks it.
 * @param {{ noCache?: boolean, wrongDigitsFor?: number }} [fault]
 */
function factorialService(fault = {}) {
    /** @type {Set<number>} */
    const cache = new Set();
    const json = { 'Content-Type': 'application/json' };
    return (
        /** @type {string} */ method,
        /** @type {string} */ url,
        /** @type {string | null} */ body,
        /** @type {any} */ params,
    ) => {
        assert.equal(method, 'POST');
        assert.equal(url, 'http://127.0.0.1:8081/factorial');
        assert.equal(params.headers['Content-Type'], 'application/json');
        const req = JSON.parse(body ?? '');
        if (req.number > 100000)
            return {
                status: 422,
                body: '{"error":"\\"number\\" must be at most 100000"}\n',
                headers: json,
            };
        const cached = !req.force && cache.has(req.number);
        if (!fault.noCache) cache.add(req.number);
        let digits = factorialDigits(req.number);
        if (req.number === fault.wrongDigitsFor)
            digits = digits.slice(0, -1) + (digits.endsWith('1') ? '2' : '1');
        return {
            status: 200,
            body: `{"number":${req.number},"factorial":"${digits}","cached":${cached}}\n`,
            headers: json,
        };
    };
}

let warn = console.warn;
/** @type {string[]} */
const warnings = [];
before(() => {
    warn = console.warn;
    console.warn = (/** @type {string} */ line) => warnings.push(line);
});
after(() => {
    console.warn = warn;
});

describe('foo.js', () => {
    it('builds smoke by default, with thresholds that can fail the run', async () => {
        const foo = await load('foo.js');
        assert.deepEqual(Object.keys(foo.options.scenarios), ['smoke']);
        assert.deepEqual(foo.options.thresholds.checks, ['rate==1']);
        assert.deepEqual(foo.options.thresholds.http_req_failed, ['rate==0']);
        assert.deepEqual(foo.options.thresholds['http_req_duration{endpoint:foo}'], [
            'p(95)<200',
            'p(99)<500',
        ]);
    });

    it('passes every check against a right foo, tagged by endpoint', async () => {
        const foo = await load('foo.js');
        state.serve = () => ({
            status: 200,
            body: 'foobar',
            headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        });
        iterate(foo, 5);
        assert.equal(state.requests.length, 5);
        assert.equal(state.requests[0].url, 'http://127.0.0.1:8080/foo');
        assert.deepEqual(state.requests[0].params.tags, { endpoint: 'foo' });
        assert.equal(state.checks.length, 15);
        assert.deepEqual(failedChecks(), []);
        assert.ok(state.checks.every((c) => c.tags.endpoint === 'foo'));
    });

    it('fails its checks, without an exception, when bar is down or nothing answers', async () => {
        const foo = await load('foo.js', { FOO_URL: 'http://foo:8080/' });
        state.serve = () => ({
            status: 503,
            body: '{"error":"bar is unavailable"}\n',
            headers: { 'Content-Type': 'application/json' },
        });
        iterate(foo, 2);
        state.serve = () => ({ status: 0, body: null, headers: {} });
        iterate(foo, 2);
        assert.equal(state.requests[0].url, 'http://foo:8080/foo');
        assert.equal(failedChecks().length, 12);
        assert.ok(
            warnings.some((w) => /GET \/foo: status 503/.test(w)),
            warnings.join('\n'),
        );
    });

    it('takes its scenario and bounds from the environment', async () => {
        const foo = await load('foo.js', {
            SCENARIO: 'stress',
            P95_MS: '50',
            P99_MS: '80',
            PEAK_RATE: '100',
        });
        assert.equal(foo.options.scenarios.stress.executor, 'ramping-arrival-rate');
        assert.deepEqual(foo.options.thresholds.http_req_duration[0], {
            threshold: 'p(95)<50',
            abortOnFail: true,
            delayAbortEval: '10s',
        });
        await assert.rejects(load('foo.js', { SCENARIO: 'nope' }), /SCENARIO="nope"/);
    });

    it('writes its summary to stdout and to a JSON file', async () => {
        const foo = await load('foo.js', { SCENARIO: 'load' });
        const out = foo.handleSummary({
            metrics: {
                checks: {
                    type: 'rate',
                    values: { rate: 1 },
                    thresholds: { 'rate==1': { ok: true } },
                },
            },
        });
        assert.match(out.stdout, /k6 foo\.js, scenario load, .*PASSED/);
        assert.equal(JSON.parse(out['k6/results/foo-summary.json']).run.passed, true);
    });
});

describe('factorial.js', () => {
    it('has a latency row per N, per size and per kind of call', async () => {
        const factorial = await load('factorial.js');
        const rows = Object.keys(factorial.options.thresholds);
        for (const row of [
            'http_req_duration{n:20}',
            'http_req_duration{n:21}',
            'http_req_duration{n:100000}',
            'http_req_duration{size:small}',
            'http_req_duration{size:large}',
            'http_req_duration{kind:force}',
        ])
            assert.ok(rows.includes(row), row);
        assert.deepEqual(factorial.options.thresholds['http_req_duration{n:100000}'], [
            'p(95)<2000',
            'p(99)<4000',
        ]);
        assert.deepEqual(factorial.options.thresholds['http_req_duration{n:20}'], [
            'p(95)<200',
            'p(99)<500',
        ]);
    });

    it('passes every check against a right service: setup, then two cycles', async () => {
        const factorial = await load('factorial.js');
        state.serve = factorialService();
        factorial.setup();
        const setupRequests = state.requests.length;
        assert.equal(setupRequests, 45);
        iterate(factorial, 184);
        assert.deepEqual(failedChecks(), []);
        const forced = state.requests.filter((r) => JSON.parse(r.body ?? '').force === true).length;
        assert.ok(forced > 22 + 10, `${forced} forced calls`);
        const overLimit = state.requests.filter((r) => r.params.tags.kind === 'over-limit');
        assert.ok(overLimit.length >= 2);
        assert.ok(overLimit.every((r) => r.params.responseCallback !== undefined));
        const tags = state.requests.find((r) => r.body === '{"number":21}')?.params.tags;
        assert.deepEqual(tags, { endpoint: 'factorial', n: '21', kind: 'plain', size: 'small' });
    });

    it('fails the cached check when the service does not cache', async () => {
        const factorial = await load('factorial.js');
        state.serve = factorialService({ noCache: true });
        factorial.setup();
        const failed = failedChecks();
        assert.ok(failed.length >= 22);
        assert.ok(
            failed.every(
                (c) =>
                    c.name === 'factorial: cached is false when forced, else true' &&
                    c.tags.kind === 'plain',
            ),
        );
    });

    it('fails the digits check for the one N answered wrong, and tags it', async () => {
        const factorial = await load('factorial.js');
        state.serve = factorialService({ wrongDigitsFor: 1559 });
        factorial.setup();
        const failed = failedChecks();
        assert.equal(failed.length, 2);
        assert.ok(
            failed.every(
                (c) => c.name === 'factorial: factorial is N! exactly' && c.tags.n === '1559',
            ),
        );
        const logged = /\{"number":1559,"force":true\}: factorial has the right length but wrong/;
        assert.ok(warnings.some((w) => logged.test(w)));
    });
});
