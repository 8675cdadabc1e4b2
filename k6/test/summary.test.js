// Unit tests of lib/summary.js: the text and JSON end-of-test summaries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
    formatBytes,
    formatMs,
    naturalCompare,
    summaryOutputs,
    summaryPath,
    textSummary,
    thresholdStatistic,
    verdictOf,
} from '../lib/summary.js';

/** A summary object shaped like the one k6 passes to handleSummary(). */
function sample(/** @type {boolean} */ latencyOk) {
    return {
        root_group: {
            name: '',
            path: '',
            id: 'x',
            groups: [],
            checks: [
                {
                    name: 'factorial: status is 200',
                    path: '::factorial: status is 200',
                    id: 'a',
                    passes: 120,
                    fails: 0,
                },
                {
                    name: 'factorial: cached is false when forced, else true',
                    path: '',
                    id: 'b',
                    passes: 118,
                    fails: 2,
                },
            ],
        },
        metrics: {
            checks: {
                type: 'rate',
                contains: 'default',
                values: { rate: 0.99, passes: 238, fails: 2 },
                thresholds: { 'rate==1': { ok: false } },
            },
            http_req_duration: {
                type: 'trend',
                contains: 'time',
                values: {
                    max: 812.5,
                    'p(95)': 30.2,
                    avg: 12.5,
                    min: 0.42,
                    med: 3.1,
                    'p(90)': 20,
                    'p(99)': 700,
                    count: 240,
                },
            },
            'http_req_duration{n:100}': {
                type: 'trend',
                contains: 'time',
                values: { 'p(95)': 5, 'p(99)': 6 },
                thresholds: { 'p(95)<200': { ok: true }, 'p(99)<500': { ok: true } },
            },
            'http_req_duration{n:20}': {
                type: 'trend',
                contains: 'time',
                values: { 'p(95)': 250, 'p(99)': 260 },
                thresholds: { 'p(95)<200': { ok: latencyOk }, 'p(99)<500': { ok: true } },
            },
            http_req_failed: {
                type: 'rate',
                contains: 'default',
                values: { rate: 0, passes: 0, fails: 240 },
                thresholds: { 'rate==0': { ok: true } },
            },
            http_reqs: { type: 'counter', contains: 'default', values: { count: 240, rate: 48.2 } },
            data_received: {
                type: 'counter',
                contains: 'data',
                values: { count: 1234567, rate: 2000 },
            },
            vus: { type: 'gauge', contains: 'default', values: { value: 2, min: 1, max: 2 } },
        },
        state: { testRunDurationMs: 5012.3 },
    };
}

describe('verdict', () => {
    it('lists the thresholds crossed', () => {
        const v = verdictOf(sample(false));
        assert.equal(v.passed, false);
        assert.equal(v.thresholds, 6);
        assert.deepEqual(v.crossed, [
            { metric: 'checks', threshold: 'rate==1' },
            { metric: 'http_req_duration{n:20}', threshold: 'p(95)<200' },
        ]);
    });

    it('passes with no threshold crossed, and with none at all', () => {
        const data = sample(true);
        data.metrics.checks.thresholds['rate==1'].ok = true;
        assert.equal(verdictOf(data).passed, true);
        assert.deepEqual(verdictOf({}), { passed: true, thresholds: 0, crossed: [] });
    });
});

describe('text summary', () => {
    const text = textSummary(sample(false), {
        script: 'factorial',
        scenario: 'smoke',
        jsonPath: 'k6/results/x.json',
    });

    it('says FAILED and how many thresholds were crossed', () => {
        assert.match(
            text,
            /k6 factorial\.js, scenario smoke, 5\.0s: FAILED, 2 of 6 thresholds crossed/,
        );
    });

    it('shows each threshold with the value it was held to', () => {
        assert.match(text, /FAIL {2}http_req_duration\{n:20\} +p\(95\)<200 +p\(95\)=250\.00ms/);
        assert.match(text, /ok {4}http_req_duration\{n:20\} +p\(99\)<500 +p\(99\)=260\.00ms/);
        assert.match(text, /FAIL {2}checks +rate==1 +rate=0\.9900/);
    });

    it('shows every check with its passes and fails', () => {
        assert.match(text, /checks: 238 passed, 2 failed/);
        assert.match(text, /FAIL {2}factorial: cached is false when forced, else true +118 of 120/);
        assert.match(text, /ok {4}factorial: status is 200 +120 of 120/);
    });

    it('shows per-N rows in numeric order after their metric, statistics in a fixed order', () => {
        const rows = text.split('\n').filter((l) => /^ {2}http_req_duration/.test(l));
        assert.deepEqual(
            rows.map((r) => r.trim().split(/\s+/)[0]),
            ['http_req_duration', 'http_req_duration{n:20}', 'http_req_duration{n:100}'],
        );
        const stats = 'avg=12.50ms min=420µs med=3.10ms p(90)=20.00ms p(95)=30.20ms ' +
            'p(99)=700.00ms max=812.50ms count=240';
        assert.ok(rows[0].endsWith(stats), rows[0]);
    });

    it('shows rates, counters, data and gauges readably', () => {
        assert.match(text, /http_req_failed +0\.00% \(0 of 240\)/);
        assert.match(text, /http_reqs +240 \(48\.2000\/s\)/);
        assert.match(text, /data_received +1\.2 MB \(2\.0 kB\/s\)/);
        assert.match(text, /vus +2 \(min 1, max 2\)/);
        assert.match(text, /JSON summary: k6\/results\/x\.json/);
    });

    it('comes out of an empty or odd summary object without throwing', () => {
        assert.match(textSummary({}, { script: 'foo', scenario: 'smoke' }), /PASSED/);
        const odd = /** @type {any} */ ({
            metrics: { x: { type: 'weird' } },
            root_group: { checks: { a: { name: 'a', passes: 1, fails: 0 } } },
        });
        assert.match(textSummary(odd, { script: 'foo', scenario: 'smoke' }), /ok {4}a/);
    });
});

describe('outputs', () => {
    it('writes the text to stdout and the JSON to k6/results/<script>-summary.json', () => {
        const out = summaryOutputs(sample(false), 'foo', 'load', {});
        assert.deepEqual(Object.keys(out).sort(), ['k6/results/foo-summary.json', 'stdout']);
        const json = JSON.parse(out['k6/results/foo-summary.json']);
        assert.equal(json.run.script, 'foo');
        assert.equal(json.run.scenario, 'load');
        assert.equal(json.run.passed, false);
        assert.equal(json.run.thresholdsCrossed.length, 2);
        assert.equal(json.metrics.http_reqs.values.count, 240);
    });

    it('takes the path from SUMMARY_FILE, else SUMMARY_DIR', () => {
        assert.equal(
            summaryPath('foo', { SUMMARY_FILE: '/tmp/s.json', SUMMARY_DIR: '/x' }),
            '/tmp/s.json',
        );
        assert.equal(summaryPath('foo', { SUMMARY_DIR: '/results/' }), '/results/foo-summary.json');
        assert.equal(summaryPath('factorial', {}), 'k6/results/factorial-summary.json');
    });
});

describe('formatting', () => {
    it('orders names with numbers in them naturally', () => {
        const names = ['a{n:100}', 'a{n:20}', 'a', 'a{n:3}', 'b'];
        assert.deepEqual(names.sort(naturalCompare), ['a', 'a{n:3}', 'a{n:20}', 'a{n:100}', 'b']);
    });

    it('formats times and sizes', () => {
        assert.equal(formatMs(0.25), '250µs');
        assert.equal(formatMs(12.345), '12.35ms');
        assert.equal(formatMs(1500), '1.50s');
        assert.equal(formatBytes(999), '999 B');
        assert.equal(formatBytes(456574), '456.6 kB');
    });

    it('finds the statistic a threshold reads', () => {
        assert.equal(thresholdStatistic('p(95)<200'), 'p(95)');
        assert.equal(thresholdStatistic('p(99.9) < 500'), 'p(99.9)');
        assert.equal(thresholdStatistic('rate==1'), 'rate');
        assert.equal(thresholdStatistic('count==0'), 'count');
        assert.equal(thresholdStatistic('nonsense'), null);
    });
});
