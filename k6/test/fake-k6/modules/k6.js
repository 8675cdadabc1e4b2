// Fake 'k6': check() runs each checker as k6 does and records the outcome.
import { state } from './state.js';

/**
 * @param {unknown} value
 * @param {Record<string, (value: unknown) => unknown>} checkers
 * @param {Record<string, string>} [tags]
 */
export function check(value, checkers, tags = {}) {
    let all = true;
    for (const [name, fn] of Object.entries(checkers)) {
        if (name.includes('::'))
            throw new Error('check names must not contain "::"');
        const passed = Boolean(typeof fn === 'function' ? fn(value) : fn);
        state.checks.push({ name, passed, tags: { ...tags } });
        all &&= passed;
    }
    return all;
}

export default { check };
