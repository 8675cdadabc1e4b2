// Unit tests of lib/scenarios.js: scenarios, environment overrides and the
// thresholds that make a run fail.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
    boundsFromEnv,
    chooseScenario,
    correctnessThresholds,
    durationFromEnv,
    intFromEnv,
    latencyThresholds,
    msFromEnv,
    threshold,
    urlFromEnv,
} from '../lib/scenarios.js';

const DEFAULTS = {
    smoke: { vus: 2, iterations: 50 },
    load: { rate: 50, duration: '5m', preAllocatedVUs: 10, maxVUs: 100 },
    stress: {
        startRate: 10,
        peakRate: 110,
        steps: 4,
        stepRamp: '20s',
        stepDuration: '1m',
        preAllocatedVUs: 20,
        maxVUs: 500,
    },
    soak: { rate: 20, duration: '1h', preAllocatedVUs: 10, maxVUs: 100 },
};

describe('environment values', () => {
    it('falls back when unset or empty', () => {
        assert.equal(intFromEnv({}, 'X', 7), 7);
        assert.equal(intFromEnv({ X: '' }, 'X', 7), 7);
        assert.equal(durationFromEnv({}, 'D', '5m'), '5m');
        assert.equal(msFromEnv({}, 'M', 200), 200);
    });

    it('reads valid values', () => {
        assert.equal(intFromEnv({ X: ' 12 ' }, 'X', 7), 12);
        assert.equal(msFromEnv({ M: '2.5' }, 'M', 200), 2.5);
        for (const d of ['30s', '1m30s', '500ms', '2h', '1.5m'])
            assert.equal(durationFromEnv({ D: d }, 'D', '5m'), d);
        assert.equal(urlFromEnv({ U: 'http://foo:8080/' }, 'U', 'x'), 'http://foo:8080');
        assert.equal(urlFromEnv({}, 'U', 'http://127.0.0.1:8081'), 'http://127.0.0.1:8081');
    });

    it('refuses malformed values, naming the variable', () => {
        assert.throws(() => intFromEnv({ X: 'ten' }, 'X', 7), /X="ten"/);
        assert.throws(() => intFromEnv({ X: '-1' }, 'X', 7), /X=/);
        assert.throws(() => intFromEnv({ X: '1.5' }, 'X', 7), /X=/);
        assert.throws(() => intFromEnv({ X: '0' }, 'X', 7, 1), />= 1/);
        assert.throws(() => msFromEnv({ M: '0' }, 'M', 200), /M=/);
        assert.throws(() => msFromEnv({ M: '200ms' }, 'M', 200), /M=/);
        assert.throws(() => durationFromEnv({ D: '5' }, 'D', '5m'), /D="5"/);
        assert.throws(() => durationFromEnv({ D: '5 min' }, 'D', '5m'), /D=/);
        assert.throws(() => urlFromEnv({ U: 'foo:8080' }, 'U', 'x'), /U=/);
        assert.throws(
            () => boundsFromEnv({ P95_MS: '500', P99_MS: '100' }, '', { p95: 1, p99: 2 }),
            /P99_MS/,
        );
    });
});

describe('scenarios', () => {
    it('runs smoke by default: a fixed, small number of iterations', () => {
        const chosen = chooseScenario({}, DEFAULTS);
        assert.equal(chosen.name, 'smoke');
        assert.deepEqual(chosen.scenario, {
            executor: 'shared-iterations',
            vus: 2,
            iterations: 50,
            maxDuration: '1m',
        });
        assert.equal(chosen.abortOnFail, false);
    });

    it('runs load at a constant arrival rate, overridable', () => {
        const chosen = chooseScenario(
            { SCENARIO: 'load', RATE: '80', DURATION: '10m', PRE_VUS: '5', MAX_VUS: '50' },
            DEFAULTS,
        );
        assert.deepEqual(chosen.scenario, {
            executor: 'constant-arrival-rate',
            rate: 80,
            timeUnit: '1s',
            duration: '10m',
            preAllocatedVUs: 5,
            maxVUs: 50,
        });
        assert.equal(chosen.arrivalRate, true);
    });

    it('runs soak like load, longer and gentler by default', () => {
        const chosen = chooseScenario({ SCENARIO: 'soak' }, DEFAULTS);
        assert.equal(chosen.scenario.executor, 'constant-arrival-rate');
        assert.equal(/** @type {any} */ (chosen.scenario).duration, '1h');
        assert.equal(/** @type {any} */ (chosen.scenario).rate, 20);
    });

    it('runs stress as stairs up to PEAK_RATE, stopping at the first threshold crossed', () => {
        const chosen = chooseScenario({ SCENARIO: 'stress' }, DEFAULTS);
        const s = /** @type {import('k6/options').RampingArrivalRateScenario} */ (chosen.scenario);
        assert.equal(s.executor, 'ramping-arrival-rate');
        assert.equal(s.startRate, 10);
        assert.deepEqual(
            s.stages.map((st) => st.target),
            [35, 35, 60, 60, 85, 85, 110, 110],
        );
        assert.deepEqual(
            s.stages.map((st) => st.duration),
            ['20s', '1m', '20s', '1m', '20s', '1m', '20s', '1m'],
        );
        assert.equal(chosen.abortOnFail, true);

        const custom = chooseScenario(
            {
                SCENARIO: 'stress',
                START_RATE: '0',
                PEAK_RATE: '30',
                STEPS: '3',
                STEP_DURATION: '10s',
            },
            DEFAULTS,
        );
        const c = /** @type {import('k6/options').RampingArrivalRateScenario} */ (custom.scenario);
        assert.deepEqual(
            c.stages.map((st) => st.target),
            [10, 10, 20, 20, 30, 30],
        );
    });

    it('keeps maxVUs at least preAllocatedVUs, and refuses the contrary', () => {
        const chosen = chooseScenario({ SCENARIO: 'load', PRE_VUS: '300' }, DEFAULTS);
        assert.equal(/** @type {any} */ (chosen.scenario).maxVUs, 300);
        assert.throws(
            () => chooseScenario({ SCENARIO: 'load', PRE_VUS: '30', MAX_VUS: '10' }, DEFAULTS),
            /MAX_VUS/,
        );
        assert.throws(
            () =>
                chooseScenario({ SCENARIO: 'stress', START_RATE: '50', PEAK_RATE: '10' }, DEFAULTS),
            /PEAK_RATE/,
        );
    });

    it('refuses an unknown scenario', () => {
        assert.throws(
            () => chooseScenario({ SCENARIO: 'spike' }, DEFAULTS),
            /SCENARIO="spike": expected one of smoke, load, stress, soak/,
        );
    });
});

describe('thresholds', () => {
    it('fail the run on any failed check or request', () => {
        const t = correctnessThresholds(chooseScenario({}, DEFAULTS));
        assert.deepEqual(t, { checks: ['rate==1'], http_req_failed: ['rate==0'] });
    });

    it('also fail load and soak when k6 cannot keep the rate', () => {
        for (const name of ['load', 'soak'])
            assert.deepEqual(
                correctnessThresholds(chooseScenario({ SCENARIO: name }, DEFAULTS))
                    .dropped_iterations,
                ['count==0'],
            );
    });

    it('abort a stress run when crossed', () => {
        const t = correctnessThresholds(chooseScenario({ SCENARIO: 'stress' }, DEFAULTS));
        assert.deepEqual(t.checks, [
            { threshold: 'rate==1', abortOnFail: true, delayAbortEval: '10s' },
        ]);
        assert.equal(t.dropped_iterations, undefined);
    });

    it('bound p95 and p99 of a metric or tagged sub-metric', () => {
        assert.deepEqual(
            latencyThresholds('http_req_duration{n:20}', { p95: 200, p99: 500 }, false),
            { 'http_req_duration{n:20}': ['p(95)<200', 'p(99)<500'] },
        );
        assert.deepEqual(threshold('p(95)<200', true), {
            threshold: 'p(95)<200',
            abortOnFail: true,
            delayAbortEval: '10s',
        });
    });

    it('take their bounds from the environment', () => {
        assert.deepEqual(
            boundsFromEnv({ LARGE_P95_MS: '900', LARGE_P99_MS: '1500' }, 'LARGE_', {
                p95: 1,
                p99: 2,
            }),
            { p95: 900, p99: 1500 },
        );
        assert.deepEqual(boundsFromEnv({}, '', { p95: 200, p99: 500 }), { p95: 200, p99: 500 });
    });
});
