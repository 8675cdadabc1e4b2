/*
 * foo.js - k6 load test of the foo service: GET /foo must answer 200,
 * text/plain, exactly "foobar", within the latency bounds.
 *
 *   k6 run k6/foo.js                                     smoke, against make dev
 *   SCENARIO=load FOO_URL=http://127.0.0.1:8080 k6 run k6/foo.js
 *
 * The run fails (k6 exits non-zero) when any check fails, any request fails,
 * p95/p99 latency is over its bound, or (load, soak) k6 cannot keep the rate.
 * Environment variables: see k6/README.md.
 */
import http from 'k6/http';

import { fooVerdict } from './lib/checks.js';
import { record } from './lib/record.js';
import {
    boundsFromEnv, chooseScenario, correctnessThresholds, durationFromEnv, latencyThresholds,
    urlFromEnv,
} from './lib/scenarios.js';
import { SUMMARY_TREND_STATS, summaryOutputs } from './lib/summary.js';

const BASE_URL = urlFromEnv(__ENV, 'FOO_URL', 'http://127.0.0.1:8080');
const BOUNDS = boundsFromEnv(__ENV, '', { p95: 200, p99: 500 });

const chosen = chooseScenario(__ENV, {
    smoke: { vus: 2, iterations: 50 },
    load: { rate: 50, duration: '5m', preAllocatedVUs: 10, maxVUs: 100 },
    stress: {
        startRate: 10, peakRate: 500, steps: 5, stepRamp: '20s', stepDuration: '1m',
        preAllocatedVUs: 20, maxVUs: 500,
    },
    soak: { rate: 20, duration: '1h', preAllocatedVUs: 10, maxVUs: 100 },
});

const TAGS = { endpoint: 'foo' };
const PARAMS = { tags: TAGS, timeout: durationFromEnv(__ENV, 'REQUEST_TIMEOUT', '10s') };

/** @type {import('k6/options').Options} */
export const options = {
    scenarios: { [chosen.name]: chosen.scenario },
    thresholds: {
        ...correctnessThresholds(chosen),
        ...latencyThresholds('http_req_duration', BOUNDS, chosen.abortOnFail),
        ...latencyThresholds('http_req_duration{endpoint:foo}', BOUNDS, false),
    },
    summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
    const res = http.get(`${BASE_URL}/foo`, PARAMS);

    record(fooVerdict(res), TAGS, 'GET /foo');
}

/** @param {import('./lib/summary.js').SummaryData} data */
export function handleSummary(data) {
    return summaryOutputs(data, 'foo', chosen.name, __ENV);
}
