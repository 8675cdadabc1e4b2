/*
 * scenarios.js - the k6 options both scripts share: which scenario runs, at
 * what rate and for how long, and the thresholds that make a run fail.
 *
 * Everything comes from environment variables (k6 passes them as __ENV), each
 * with a default the script chooses; a malformed value stops the script at
 * start rather than running some other test than the one asked for.
 *
 * Plain ECMAScript, no k6 import (the types below are JSDoc only): unit-tested
 * with Node.
 */

/** @typedef {Record<string, string | undefined>} Env */
/** @typedef {import('k6/options').Scenario} Scenario */
/** @typedef {import('k6/options').Threshold} Threshold */

/**
 * The defaults of one script, per scenario. Each field can be overridden by
 * the environment variable named beside it.
 * @typedef {object} ScenarioDefaults
 * @property {{ vus: number, iterations: number }} smoke
 *     VUS, ITERATIONS: a fixed number of iterations shared by a few VUs
 * @property {{ rate: number, duration: string, preAllocatedVUs: number, maxVUs: number }} load
 *     RATE (iterations/s), DURATION, PRE_VUS, MAX_VUS
 * @property {{ startRate: number, peakRate: number, steps: number, stepRamp: string,
 *              stepDuration: string, preAllocatedVUs: number, maxVUs: number }} stress
 *     START_RATE, PEAK_RATE, STEPS, STEP_RAMP, STEP_DURATION, PRE_VUS, MAX_VUS
 * @property {{ rate: number, duration: string, preAllocatedVUs: number, maxVUs: number }} soak
 *     RATE, DURATION, PRE_VUS, MAX_VUS
 */

/**
 * @typedef {object} Chosen
 * @property {string} name           smoke, load, stress or soak
 * @property {Scenario} scenario
 * @property {boolean} arrivalRate   whether k6 drops iterations it cannot start in time
 * @property {boolean} abortOnFail   stress: stop at the first threshold crossed
 */

export const SCENARIOS = ['smoke', 'load', 'stress', 'soak'];

const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

/**
 * @param {Env} env
 * @param {string} name
 * @returns {string | undefined} the variable's value, or undefined when unset or empty
 */
function raw(env, name) {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value.trim();
}

/**
 * A whole number from the environment.
 * @param {Env} env
 * @param {string} name
 * @param {number} fallback  used when the variable is unset or empty
 * @param {number} [min]
 * @returns {number}
 */
export function intFromEnv(env, name, fallback, min = 0) {
    const text = raw(env, name);
    if (text === undefined)
        return fallback;
    const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min)
        throw new Error(`${name}=${JSON.stringify(text)}: expected a whole number >= ${min}`);
    return value;
}

/**
 * A positive number of milliseconds from the environment.
 * @param {Env} env
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
export function msFromEnv(env, name, fallback) {
    const text = raw(env, name);
    if (text === undefined)
        return fallback;
    const value = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
    if (!(value > 0))
        throw new Error(`${name}=${JSON.stringify(text)}: expected milliseconds > 0`);
    return value;
}

/**
 * A k6 duration ("30s", "1m30s", "500ms", "2h") from the environment.
 * @param {Env} env
 * @param {string} name
 * @param {string} fallback
 * @returns {string}
 */
export function durationFromEnv(env, name, fallback) {
    const text = raw(env, name);
    if (text === undefined)
        return fallback;
    if (!DURATION.test(text))
        throw new Error(
            `${name}=${JSON.stringify(text)}: expected a duration such as 30s, 5m or 1h30m`);
    return text;
}

/**
 * A base URL from the environment, without trailing slashes.
 * @param {Env} env
 * @param {string} name
 * @param {string} fallback
 * @returns {string}
 */
export function urlFromEnv(env, name, fallback) {
    const text = raw(env, name) ?? fallback;
    if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(text))
        throw new Error(`${name}=${JSON.stringify(text)}: expected http://host:port`);
    return text.replace(/\/+$/, '');
}

/**
 * The stress stages: STEPS equal steps from START_RATE up to PEAK_RATE, each
 * a ramp of STEP_RAMP then a plateau of STEP_DURATION, so that the rate where
 * latency or errors break away (the knee) can be read off the step.
 * @param {ScenarioDefaults['stress']} d
 * @returns {import('k6/options').Stage[]}
 */
function stressStages(d) {
    /** @type {import('k6/options').Stage[]} */
    const stages = [];
    for (let i = 1; i <= d.steps; i++) {
        const target = Math.round(d.startRate + ((d.peakRate - d.startRate) * i) / d.steps);
        stages.push({ duration: d.stepRamp, target });
        stages.push({ duration: d.stepDuration, target });
    }
    return stages;
}

/**
 * The scenario SCENARIO names (smoke when unset), with the environment's
 * overrides applied to the script's defaults.
 * @param {Env} env
 * @param {ScenarioDefaults} defaults
 * @returns {Chosen}
 */
export function chooseScenario(env, defaults) {
    const name = raw(env, 'SCENARIO') ?? 'smoke';
    const vus = (/** @type {{ preAllocatedVUs: number, maxVUs: number }} */ d) => {
        const preAllocatedVUs = intFromEnv(env, 'PRE_VUS', d.preAllocatedVUs, 1);
        const maxVUs = intFromEnv(env, 'MAX_VUS', Math.max(d.maxVUs, preAllocatedVUs), 1);
        if (maxVUs < preAllocatedVUs)
            throw new Error(`MAX_VUS=${maxVUs} is below PRE_VUS=${preAllocatedVUs}`);
        return { preAllocatedVUs, maxVUs };
    };

    switch (name) {
    case 'smoke':
        return {
            name,
            scenario: {
                executor: 'shared-iterations',
                vus: intFromEnv(env, 'VUS', defaults.smoke.vus, 1),
                iterations: intFromEnv(env, 'ITERATIONS', defaults.smoke.iterations, 1),
                maxDuration: durationFromEnv(env, 'DURATION', '1m'),
            },
            arrivalRate: false,
            abortOnFail: false,
        };
    case 'load':
    case 'soak': {
        const d = defaults[name];
        return {
            name,
            scenario: {
                executor: 'constant-arrival-rate',
                rate: intFromEnv(env, 'RATE', d.rate, 1),
                timeUnit: '1s',
                duration: durationFromEnv(env, 'DURATION', d.duration),
                ...vus(d),
            },
            arrivalRate: true,
            abortOnFail: false,
        };
    }
    case 'stress': {
        const d = defaults.stress;
        const startRate = intFromEnv(env, 'START_RATE', d.startRate, 0);
        const peakRate = intFromEnv(env, 'PEAK_RATE', d.peakRate, 1);
        if (peakRate < startRate)
            throw new Error(`PEAK_RATE=${peakRate} is below START_RATE=${startRate}`);
        const stages = stressStages({
            ...d,
            startRate,
            peakRate,
            steps: intFromEnv(env, 'STEPS', d.steps, 1),
            stepRamp: durationFromEnv(env, 'STEP_RAMP', d.stepRamp),
            stepDuration: durationFromEnv(env, 'STEP_DURATION', d.stepDuration),
        });
        return {
            name,
            scenario: {
                executor: 'ramping-arrival-rate',
                startRate,
                timeUnit: '1s',
                stages,
                ...vus(d),
            },
            arrivalRate: false,
            abortOnFail: true,
        };
    }
    default:
        throw new Error(
            `SCENARIO=${JSON.stringify(name)}: expected one of ${SCENARIOS.join(', ')}`);
    }
}

/**
 * One threshold expression, stopping the run at once when abort is set (after
 * 10 s of data, so a cold start alone does not stop it).
 * @param {string} expression
 * @param {boolean} abort
 * @returns {Threshold}
 */
export function threshold(expression, abort) {
    return abort ? { threshold: expression, abortOnFail: true, delayAbortEval: '10s' } : expression;
}

/**
 * The thresholds every run has: any failed check, any failed request, and
 * (at a constant arrival rate) any iteration k6 could not start in time
 * fails the run. Without these, failed checks would not change k6's exit code.
 * @param {Chosen} chosen
 * @returns {Record<string, Threshold[]>}
 */
export function correctnessThresholds(chosen) {
    /** @type {Record<string, Threshold[]>} */
    const thresholds = {
        checks: [threshold('rate==1', chosen.abortOnFail)],
        http_req_failed: [threshold('rate==0', chosen.abortOnFail)],
    };
    if (chosen.arrivalRate)
        thresholds.dropped_iterations = ['count==0'];
    return thresholds;
}

/**
 * p95 and p99 bounds (in ms) on a latency metric or tagged sub-metric, such
 * as "http_req_duration{n:20}". Each threshold on a sub-metric also gives it
 * a row of its own in the end-of-test summary.
 * @param {string} metric
 * @param {{ p95: number, p99: number }} bounds
 * @param {boolean} abort
 * @returns {Record<string, Threshold[]>}
 */
export function latencyThresholds(metric, bounds, abort) {
    return {
        [metric]: [
            threshold(`p(95)<${bounds.p95}`, abort),
            threshold(`p(99)<${bounds.p99}`, abort),
        ],
    };
}

/**
 * The latency bounds an environment sets: PREFIX + P95_MS and PREFIX + P99_MS.
 * @param {Env} env
 * @param {string} prefix
 * @param {{ p95: number, p99: number }} fallback
 * @returns {{ p95: number, p99: number }}
 */
export function boundsFromEnv(env, prefix, fallback) {
    const bounds = {
        p95: msFromEnv(env, `${prefix}P95_MS`, fallback.p95),
        p99: msFromEnv(env, `${prefix}P99_MS`, fallback.p99),
    };
    if (bounds.p99 < bounds.p95)
        throw new Error(`${prefix}P99_MS=${bounds.p99} is below ${prefix}P95_MS=${bounds.p95}`);
    return bounds;
}
