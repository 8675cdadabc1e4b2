/*
 * summary.js - what handleSummary() writes: a compact text summary for
 * stdout and the full summary as JSON in a file.
 *
 * A script that exports handleSummary() replaces k6's own end-of-test text,
 * so this prints its own: the verdict, every threshold with the value it was
 * held to, every check, and every metric including the tagged sub-metrics
 * (one row per endpoint, per N, per kind of call). k6's jslib text summary
 * is not used: it is fetched from the network at run time.
 *
 * The data read is the summary object k6 passes to handleSummary() (its
 * default, not --new-machine-readable-summary). Every field is read with care:
 * a summary must still come out of an odd or partial object.
 *
 * Plain ECMAScript, no k6 import: unit-tested with Node.
 */

/** @typedef {Record<string, string | undefined>} Env */

/**
 * @typedef {object} MetricSummary
 * @property {string} [type]        trend, rate, counter or gauge
 * @property {string} [contains]    time, data or default
 * @property {Record<string, number>} [values]
 * @property {Record<string, { ok: boolean }>} [thresholds]
 */

/**
 * @typedef {object} CheckSummary
 * @property {string} name
 * @property {number} passes
 * @property {number} fails
 */

/**
 * @typedef {object} GroupSummary
 * @property {string} [name]
 * @property {GroupSummary[] | Record<string, GroupSummary>} [groups]
 * @property {CheckSummary[] | Record<string, CheckSummary>} [checks]
 */

/**
 * @typedef {object} SummaryData
 * @property {Record<string, MetricSummary>} [metrics]
 * @property {GroupSummary} [root_group]
 * @property {{ testRunDurationMs?: number }} [state]
 */

/**
 * @typedef {object} Verdict
 * @property {boolean} passed                 no threshold crossed
 * @property {number} thresholds              how many there are
 * @property {{ metric: string, threshold: string }[]} crossed
 */

/**
 * A list from either a list or an object of values (k6 has used both).
 * @template T
 * @param {T[] | Record<string, T> | undefined} value
 * @returns {T[]}
 */
function listOf(value) {
    if (Array.isArray(value))
        return value;
    return value !== null && typeof value === 'object' ? Object.values(value) : [];
}

/**
 * Orders names so that numbers inside them sort as numbers: {n:20} before {n:100}.
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
export function naturalCompare(a, b) {
    const pa = a.match(/[0-9]+|[^0-9]+/g) ?? [];
    const pb = b.match(/[0-9]+|[^0-9]+/g) ?? [];
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
        const x = pa[i];
        const y = pb[i];
        if (x === y)
            continue;
        const numeric = /^[0-9]/.test(x) && /^[0-9]/.test(y);
        if (numeric && Number(x) !== Number(y))
            return Number(x) - Number(y);
        return x < y ? -1 : 1;
    }
    return pa.length - pb.length;
}

/**
 * @param {number} ms
 * @returns {string}
 */
export function formatMs(ms) {
    if (!Number.isFinite(ms))
        return String(ms);
    if (ms < 1)
        return `${(ms * 1000).toFixed(0)}µs`;
    if (ms < 1000)
        return `${ms.toFixed(2)}ms`;
    return `${(ms / 1000).toFixed(2)}s`;
}

/**
 * @param {number} bytes
 * @returns {string}
 */
export function formatBytes(bytes) {
    if (!Number.isFinite(bytes))
        return String(bytes);
    const units = ['B', 'kB', 'MB', 'GB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A metric's value in the metric's unit.
 * @param {MetricSummary} metric
 * @param {number} value
 * @returns {string}
 */
function formatValue(metric, value) {
    if (metric.contains === 'time')
        return formatMs(value);
    if (metric.contains === 'data')
        return formatBytes(value);
    return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/**
 * The statistic a threshold expression reads: "p(95)" of "p(95)<200".
 * @param {string} expression
 * @returns {string | null}
 */
export function thresholdStatistic(expression) {
    const match = /^\s*([a-z]+(\([0-9.]+\))?)\s*(<=|>=|===|==|!=|<|>)/.exec(expression);
    return match ? match[1] : null;
}

/** The statistics of every trend (latency), in the order the summary shows them. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'];

/**
 * Where a trend statistic goes in a row: k6 hands them over in no set order.
 * @param {string} statistic
 */
function statisticRank(statistic) {
    const i = SUMMARY_TREND_STATS.indexOf(statistic);
    return i === -1 ? SUMMARY_TREND_STATS.length : i;
}

/**
 * One line of a metric's values.
 * @param {MetricSummary} metric
 * @returns {string}
 */
function describeMetric(metric) {
    const values = metric.values ?? {};
    switch (metric.type) {
    case 'trend':
        return Object.keys(values)
            .sort((a, b) => statisticRank(a) - statisticRank(b))
            .map((k) => `${k}=${k === 'count' ? values[k] : formatValue(metric, values[k])}`)
            .join(' ');
    case 'rate': {
        const passes = values.passes ?? 0;
        const fails = values.fails ?? 0;
        return `${((values.rate ?? 0) * 100).toFixed(2)}% (${passes} of ${passes + fails})`;
    }
    case 'counter':
        return `${formatValue(metric, values.count ?? 0)} ` +
            `(${formatValue(metric, values.rate ?? 0)}/s)`;
    case 'gauge':
        return `${formatValue(metric, values.value ?? 0)} ` +
            `(min ${values.min ?? 0}, max ${values.max ?? 0})`;
    default:
        return JSON.stringify(values);
    }
}

/**
 * Whether the run passed its thresholds, and which it crossed.
 * @param {SummaryData} data
 * @returns {Verdict}
 */
export function verdictOf(data) {
    /** @type {{ metric: string, threshold: string }[]} */
    const crossed = [];
    let count = 0;
    for (const [metric, summary] of Object.entries(data.metrics ?? {})) {
        for (const [expression, result] of Object.entries(summary.thresholds ?? {})) {
            count++;
            if (!result || result.ok !== true)
                crossed.push({ metric, threshold: expression });
        }
    }
    crossed.sort((a, b) => naturalCompare(a.metric, b.metric));
    return { passed: crossed.length === 0, thresholds: count, crossed };
}

/**
 * Every check of a group and its subgroups, with the group path as a prefix.
 * @param {GroupSummary | undefined} group
 * @param {string} prefix
 * @param {{ name: string, passes: number, fails: number }[]} out
 */
function collectChecks(group, prefix, out) {
    if (!group)
        return;
    for (const c of listOf(group.checks))
        out.push({ name: prefix + c.name, passes: c.passes ?? 0, fails: c.fails ?? 0 });
    for (const g of listOf(group.groups))
        collectChecks(g, `${prefix}${g.name ?? '?'} > `, out);
}

/**
 * @param {string} text
 * @param {number} width
 */
function pad(text, width) {
    return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/**
 * The text summary printed to stdout.
 * @param {SummaryData} data
 * @param {{ script: string, scenario: string, jsonPath?: string }} run
 * @returns {string}
 */
export function textSummary(data, run) {
    const verdict = verdictOf(data);
    const metrics = data.metrics ?? {};
    const names = Object.keys(metrics).sort(naturalCompare);
    const width = Math.min(60, Math.max(20, ...names.map((n) => n.length))) + 2;
    const seconds = ((data.state?.testRunDurationMs ?? 0) / 1000).toFixed(1);
    const lines = [];

    const outcome = verdict.passed ? 'PASSED' :
        `FAILED, ${verdict.crossed.length} of ${verdict.thresholds} thresholds crossed`;
    lines.push(`k6 ${run.script}.js, scenario ${run.scenario}, ${seconds}s: ${outcome}`);

    lines.push('', 'thresholds');
    for (const name of names) {
        const metric = metrics[name];
        for (const [expression, result] of Object.entries(metric.thresholds ?? {})) {
            const statistic = thresholdStatistic(expression);
            const value = statistic !== null ? metric.values?.[statistic] : undefined;
            let shown = '';
            if (value !== undefined) {
                // A count is a number of samples, whatever unit the metric has.
                const text = statistic === 'count' ? String(value) : formatValue(metric, value);
                shown = `${statistic}=${text}`;
            }
            const mark = result && result.ok === true ? 'ok  ' : 'FAIL';
            lines.push(`  ${mark}  ${pad(name, width)}${pad(expression, 14)} ${shown}`);
        }
    }

    /** @type {{ name: string, passes: number, fails: number }[]} */
    const checks = [];
    collectChecks(data.root_group, '', checks);
    const passes = checks.reduce((sum, c) => sum + c.passes, 0);
    const fails = checks.reduce((sum, c) => sum + c.fails, 0);
    lines.push('', `checks: ${passes} passed, ${fails} failed`);
    const checkWidth = Math.max(20, ...checks.map((c) => c.name.length)) + 2;
    for (const c of checks) {
        lines.push(`  ${c.fails === 0 ? 'ok  ' : 'FAIL'}  ${pad(c.name, checkWidth)}` +
            `${c.passes} of ${c.passes + c.fails}`);
    }

    lines.push('', 'metrics');
    for (const name of names)
        lines.push(`  ${pad(name, width)}${describeMetric(metrics[name])}`);

    if (run.jsonPath)
        lines.push('', `JSON summary: ${run.jsonPath}`);
    return `\n${lines.join('\n')}\n\n`;
}

/**
 * Where the JSON summary goes: SUMMARY_FILE, else SUMMARY_DIR (default
 * k6/results, relative to where k6 runs) / <script>-summary.json.
 * @param {string} script
 * @param {Env} env
 * @returns {string}
 */
export function summaryPath(script, env) {
    if (env.SUMMARY_FILE)
        return env.SUMMARY_FILE;
    const dir = (env.SUMMARY_DIR || 'k6/results').replace(/\/+$/, '');
    return `${dir}/${script}-summary.json`;
}

/**
 * What handleSummary() returns: the text for stdout and, in a file, k6's
 * summary object with a "run" record of this script's verdict in front.
 * @param {SummaryData} data
 * @param {string} script   "foo" or "factorial"
 * @param {string} scenario
 * @param {Env} env
 * @returns {Record<string, string>}
 */
export function summaryOutputs(data, script, scenario, env) {
    const jsonPath = summaryPath(script, env);
    const verdict = verdictOf(data);
    const report = {
        run: { script, scenario, passed: verdict.passed, thresholdsCrossed: verdict.crossed },
        ...data,
    };
    return {
        stdout: textSummary(data, { script, scenario, jsonPath }),
        [jsonPath]: JSON.stringify(report, null, 2) + '\n',
    };
}
