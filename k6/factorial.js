/*
 * factorial.js - k6 load test of the factorial service: POST /factorial for a
 * spread of N (data/factorial-mix.json), each answer checked digit for digit
 * against expected values computed independently (data/factorial-expected.json,
 * from tools/gen_expected.py), and the cache flag checked too.
 *
 *   k6 run k6/factorial.js                               smoke, against make dev
 *   SCENARIO=load FACTORIAL_URL=http://127.0.0.1:8081 k6 run k6/factorial.js
 *
 * setup() first asks every N with force (must answer cached:false) then
 * plainly (cached:true). From then on a plain call must always say
 * cached:true, whichever VU asks first; one iteration in FORCE_EVERY forces
 * again, then repeats plainly. See lib/mix.js.
 *
 * The run fails (k6 exits non-zero) when any check fails, any request fails,
 * p95/p99 latency is over its bound, or (load, soak) k6 cannot keep the rate.
 * Environment variables: see k6/README.md.
 */
import crypto from 'k6/crypto';
import exec from 'k6/execution';
import http from 'k6/http';

import { expectedByN, factorialVerdict, overLimitVerdict } from './lib/checks.js';
import { buildCycle, callsFor, mixNumbers, requestBody, sizeOf, warmUpCalls } from './lib/mix.js';
import { record } from './lib/record.js';
import {
    boundsFromEnv, chooseScenario, correctnessThresholds, durationFromEnv, intFromEnv,
    latencyThresholds, urlFromEnv,
} from './lib/scenarios.js';
import { SUMMARY_TREND_STATS, summaryOutputs } from './lib/summary.js';

/** @typedef {import('./lib/mix.js').Call} Call */
/** @typedef {import('./lib/mix.js').Mix} Mix */
/** @typedef {{ entries: import('./lib/checks.js').Expected[] }} ExpectedFile */

// open() resolves these against this script's directory.
const MIX = /** @type {Mix} */ (JSON.parse(open('./data/factorial-mix.json')));
const EXPECTED = expectedByN(
    /** @type {ExpectedFile} */ (JSON.parse(open('./data/factorial-expected.json'))));

const BASE_URL = urlFromEnv(__ENV, 'FACTORIAL_URL', 'http://127.0.0.1:8081');
const MAX_N = intFromEnv(__ENV, 'FACTORIAL_MAX_N', 100000);
const OVER_LIMIT_N = MAX_N + 1;
const FORCE_EVERY = intFromEnv(__ENV, 'FORCE_EVERY', 10);
const SMALL = boundsFromEnv(__ENV, '', { p95: 200, p99: 500 });
const LARGE = boundsFromEnv(__ENV, 'LARGE_', { p95: 2000, p99: 4000 });
const TIMEOUT = durationFromEnv(__ENV, 'REQUEST_TIMEOUT', '30s');

const CYCLE = buildCycle(MIX, OVER_LIMIT_N);
const NUMBERS = mixNumbers(MIX);
for (const n of NUMBERS) {
    if (n > MAX_N)
        throw new Error(`factorial mix asks for ${n}!, above FACTORIAL_MAX_N=${MAX_N}`);
    if (!EXPECTED.has(n))
        throw new Error(`no expected value for ${n}!: run make k6-expected`);
}

const chosen = chooseScenario(__ENV, {
    smoke: { vus: 2, iterations: 60 },
    load: { rate: 20, duration: '5m', preAllocatedVUs: 10, maxVUs: 100 },
    stress: {
        startRate: 5, peakRate: 200, steps: 5, stepRamp: '20s', stepDuration: '1m',
        preAllocatedVUs: 20, maxVUs: 400,
    },
    soak: { rate: 10, duration: '1h', preAllocatedVUs: 10, maxVUs: 100 },
});

/**
 * Latency rows: per size (the bounds that matter, and in stress the ones
 * that stop the run), per N, per kind of call.
 * @returns {Record<string, import('k6/options').Threshold[]>}
 */
function latencyRows() {
    const abort = chosen.abortOnFail;
    const rows = {
        ...latencyThresholds('http_req_duration{endpoint:factorial}', LARGE, false),
        ...latencyThresholds('http_req_duration{size:small}', SMALL, abort),
        ...latencyThresholds('http_req_duration{size:large}', LARGE, abort),
    };
    for (const kind of ['plain', 'force', 'over-limit'])
        Object.assign(rows, latencyThresholds(`http_req_duration{kind:${kind}}`, LARGE, false));
    for (const n of NUMBERS) {
        const bounds = sizeOf(n) === 'large' ? LARGE : SMALL;
        Object.assign(rows, latencyThresholds(`http_req_duration{n:${n}}`, bounds, false));
    }
    return rows;
}

/** @type {import('k6/options').Options} */
export const options = {
    scenarios: { [chosen.name]: chosen.scenario },
    thresholds: { ...correctnessThresholds(chosen), ...latencyRows() },
    summaryTrendStats: SUMMARY_TREND_STATS,
    // setup() asks for every N of the mix twice, 100000! included.
    setupTimeout: durationFromEnv(__ENV, 'SETUP_TIMEOUT', '2m'),
};

const ENDPOINT = `${BASE_URL}/factorial`;
const HEADERS = { 'Content-Type': 'application/json' };
// The refusal is the right answer here: it must not count as a failed request.
const EXPECT_422 = http.expectedStatuses(422);

/**
 * Sends one call and records whether its answer is right.
 * @param {Call} call
 */
function send(call) {
    const overLimit = call.kind === 'over-limit';
    /** @type {Record<string, string>} */
    const tags = { endpoint: 'factorial', n: String(call.n), kind: call.kind };
    if (!overLimit)
        tags.size = sizeOf(call.n);
    const params = overLimit ?
        { headers: HEADERS, tags, timeout: TIMEOUT, responseCallback: EXPECT_422 } :
        { headers: HEADERS, tags, timeout: TIMEOUT };

    const body = requestBody(call);
    const res = http.post(ENDPOINT, body, params);

    const verdict = overLimit ?
        overLimitVerdict(res) :
        factorialVerdict(res, call, EXPECTED.get(call.n), (text) => crypto.sha256(text, 'hex'));
    record(verdict, tags, `POST /factorial ${body}`);
}

export function setup() {
    for (const call of warmUpCalls(MIX, OVER_LIMIT_N))
        send(call);
}

export default function () {
    for (const call of callsFor(CYCLE, exec.scenario.iterationInTest, FORCE_EVERY))
        send(call);
}

/** @param {import('./lib/summary.js').SummaryData} data */
export function handleSummary(data) {
    return summaryOutputs(data, 'factorial', chosen.name, __ENV);
}
