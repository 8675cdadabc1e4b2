/*
 * checks.js - is this answer right? The verdicts the k6 scripts record as checks.
 *
 * Plain ECMAScript with no k6 import, so Node's test runner exercises the same
 * code k6 runs. Nothing here throws on a malformed answer: a missing body, a
 * 503 or broken JSON is a failed check, never a script exception (an exception
 * inside check() ends the iteration with an error, and the checks after it go
 * unrecorded).
 *
 * A verdict is { checks, problems }: checks maps a fixed check name to pass or
 * fail (names stay the same for every N, so the summary has one row per
 * check); problems says in words what was wrong, for the log.
 */

/**
 * The parts of an HTTP answer the checks read; a k6 Response has this shape.
 * @typedef {object} Answer
 * @property {number} status              0 when no answer arrived
 * @property {string | ArrayBuffer | null | undefined} body
 * @property {Record<string, string> | undefined} headers
 */

/**
 * @typedef {object} Verdict
 * @property {Record<string, boolean>} checks  check name -> passed
 * @property {string[]} problems               what failed, in words
 */

/**
 * What the expected-values file says about N!.
 * @typedef {object} Expected
 * @property {number} n
 * @property {number} digits   how many decimal digits N! has
 * @property {string} sha256   SHA-256 (lowercase hex) of those digits as ASCII
 * @property {string} [value]  the digits, for short answers
 */

/** @typedef {(text: string) => string} Sha256Hex */

export const FOO_BODY = 'foobar';

export const FOO_CHECKS = Object.freeze({
    status: 'foo: status is 200',
    type: 'foo: Content-Type is text/plain',
    body: 'foo: body is exactly "foobar"',
});

export const FACTORIAL_CHECKS = Object.freeze({
    status: 'factorial: status is 200',
    type: 'factorial: Content-Type is application/json',
    shape: 'factorial: body is {number, factorial, cached}',
    number: 'factorial: number is the N asked for',
    digits: 'factorial: factorial is N! exactly',
    cached: 'factorial: cached is false when forced, else true',
});

export const REJECT_CHECKS = Object.freeze({
    status: 'factorial over limit: status is 422',
    type: 'factorial over limit: Content-Type is application/json',
    shape: 'factorial over limit: body is {error}',
});

const FACTORIAL_KEYS = ['cached', 'factorial', 'number'];
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * A header's value, whatever the case of its name; undefined when absent.
 * @param {Record<string, string> | undefined} headers
 * @param {string} name
 * @returns {string | undefined}
 */
export function headerValue(headers, name) {
    if (headers === null || typeof headers !== 'object')
        return undefined;
    const wanted = name.toLowerCase();
    for (const key of Object.keys(headers)) {
        if (key.toLowerCase() === wanted)
            return headers[key];
    }
    return undefined;
}

/**
 * Whether a Content-Type header names the media type, parameters aside.
 * @param {string | undefined} value
 * @param {string} mediaType  lowercase, e.g. "application/json"
 * @returns {boolean}
 */
export function isMediaType(value, mediaType) {
    if (typeof value !== 'string')
        return false;
    return value.split(';')[0].trim().toLowerCase() === mediaType;
}

/**
 * @param {Answer} res
 * @returns {string | null} the body as text, or null when there is none
 */
function bodyText(res) {
    return typeof res.body === 'string' ? res.body : null;
}

/** @param {string | null} text */
function describeBody(text) {
    if (text === null)
        return 'no body';
    const shown = text.length > 80 ? text.slice(0, 80) + '...' : text;
    return `body ${JSON.stringify(shown)} (${text.length} chars)`;
}

/**
 * @param {Answer} res
 * @param {number} want
 * @param {string[]} problems
 */
function statusIs(res, want, problems) {
    if (res.status === want)
        return true;
    problems.push(res.status === 0 ? 'no HTTP answer' : `status ${res.status}, not ${want}`);
    return false;
}

/**
 * @param {Answer} res
 * @param {string} mediaType
 * @param {string[]} problems
 */
function typeIs(res, mediaType, problems) {
    const value = headerValue(res.headers, 'Content-Type');
    if (isMediaType(value, mediaType))
        return true;
    problems.push(`Content-Type ${JSON.stringify(value ?? null)}, not ${mediaType}`);
    return false;
}

/**
 * Parses text as one JSON object; null (with a problem noted) when it is not.
 * @param {string | null} text
 * @param {string[]} problems
 * @returns {Record<string, unknown> | null}
 */
function jsonObject(text, problems) {
    if (text === null) {
        problems.push('no body');
        return null;
    }
    /** @type {unknown} */
    let value;
    try {
        value = JSON.parse(text);
    } catch {
        problems.push(`not JSON: ${describeBody(text)}`);
        return null;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        problems.push(`not a JSON object: ${describeBody(text)}`);
        return null;
    }
    return /** @type {Record<string, unknown>} */ (value);
}

/**
 * GET /foo must answer 200, text/plain, and exactly "foobar".
 * @param {Answer} res
 * @returns {Verdict}
 */
export function fooVerdict(res) {
    /** @type {string[]} */
    const problems = [];
    const text = bodyText(res);
    const status = statusIs(res, 200, problems);
    const type = typeIs(res, 'text/plain', problems);
    const body = text === FOO_BODY;

    if (!body)
        problems.push(`${describeBody(text)}, not "${FOO_BODY}"`);
    return {
        checks: {
            [FOO_CHECKS.status]: status,
            [FOO_CHECKS.type]: type,
            [FOO_CHECKS.body]: body,
        },
        problems,
    };
}

/**
 * Whether digits is exactly the decimal text the expected entry describes.
 * @param {unknown} digits
 * @param {Expected | undefined} expected
 * @param {Sha256Hex} sha256hex
 * @param {string[]} problems
 */
function digitsRight(digits, expected, sha256hex, problems) {
    if (expected === undefined) {
        problems.push('no expected value for this N: regenerate factorial-expected.json');
        return false;
    }
    if (typeof digits !== 'string') {
        const what = digits === undefined ? 'missing' : typeof digits;
        problems.push(`factorial is ${what}, not a string`);
        return false;
    }
    if (!DECIMAL.test(digits)) {
        problems.push(`factorial is not plain decimal digits: ${describeBody(digits)}`);
        return false;
    }
    if (digits.length !== expected.digits) {
        problems.push(
            `factorial has ${digits.length} digits, ${expected.n}! has ${expected.digits}`);
        return false;
    }
    if (sha256hex(digits) !== expected.sha256) {
        problems.push(`factorial has the right length but wrong digits for ${expected.n}!`);
        return false;
    }
    return true;
}

/**
 * POST /factorial {"number": n[, "force": true]} must answer 200 and
 * {"number": n, "factorial": "<n! in decimal>", "cached": !force}, nothing more.
 * @param {Answer} res
 * @param {{ n: number, force: boolean }} call  what was asked
 * @param {Expected | undefined} expected       n! as the expected-values file has it
 * @param {Sha256Hex} sha256hex
 * @returns {Verdict}
 */
export function factorialVerdict(res, call, expected, sha256hex) {
    /** @type {string[]} */
    const problems = [];
    const status = statusIs(res, 200, problems);
    const type = typeIs(res, 'application/json', problems);
    const answer = jsonObject(bodyText(res), problems);
    /** @type {Record<string, unknown>} */
    const fields = answer ?? {};

    let shape = answer !== null;
    if (answer !== null) {
        const keys = Object.keys(answer).sort();
        shape = keys.length === FACTORIAL_KEYS.length &&
            keys.every((key, i) => key === FACTORIAL_KEYS[i]);
        if (!shape)
            problems.push(`keys ${JSON.stringify(keys)}, not ${JSON.stringify(FACTORIAL_KEYS)}`);
    }

    const number = fields.number === call.n;
    if (answer !== null && !number)
        problems.push(`number ${JSON.stringify(fields.number)}, not ${call.n}`);

    const digits = answer !== null && digitsRight(fields.factorial, expected, sha256hex, problems);

    const cached = fields.cached === !call.force;
    if (answer !== null && !cached) {
        problems.push(`cached ${JSON.stringify(fields.cached)}, not ${!call.force}` +
            (call.force ? ' (force must recompute)' : ' (a repeat must come from the cache)'));
    }

    return {
        checks: {
            [FACTORIAL_CHECKS.status]: status,
            [FACTORIAL_CHECKS.type]: type,
            [FACTORIAL_CHECKS.shape]: shape,
            [FACTORIAL_CHECKS.number]: number,
            [FACTORIAL_CHECKS.digits]: digits,
            [FACTORIAL_CHECKS.cached]: cached,
        },
        problems,
    };
}

/**
 * A number over FACTORIAL_MAX_N must be refused with 422 and {"error": "..."}.
 * @param {Answer} res
 * @returns {Verdict}
 */
export function overLimitVerdict(res) {
    /** @type {string[]} */
    const problems = [];
    const status = statusIs(res, 422, problems);
    const type = typeIs(res, 'application/json', problems);
    const answer = jsonObject(bodyText(res), problems);

    let shape = false;
    if (answer !== null) {
        const keys = Object.keys(answer);
        shape = keys.length === 1 && typeof answer.error === 'string' && answer.error !== '';
        if (!shape)
            problems.push(`error body ${JSON.stringify(answer)}, not {"error": "<message>"}`);
    }
    return {
        checks: {
            [REJECT_CHECKS.status]: status,
            [REJECT_CHECKS.type]: type,
            [REJECT_CHECKS.shape]: shape,
        },
        problems,
    };
}

/**
 * Indexes the expected-values document by N.
 * @param {{ entries: Expected[] }} document
 * @returns {Map<number, Expected>}
 */
export function expectedByN(document) {
    /** @type {Map<number, Expected>} */
    const byN = new Map();
    for (const entry of document.entries)
        byN.set(entry.n, entry);
    return byN;
}
