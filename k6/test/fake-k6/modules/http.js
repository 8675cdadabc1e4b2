// Fake 'k6/http': requests go to state.serve, synchronously, as in k6.
import { state } from './state.js';

const EXPECTED = Symbol('expectedStatuses');

/** @param {...number} statuses */
export function expectedStatuses(...statuses) {
    return { [EXPECTED]: statuses };
}

/**
 * @param {string} method
 * @param {string} url
 * @param {string | null} body
 * @param {any} params
 */
function request(method, url, body, params) {
    if (params && 'responseCallback' in params && !params.responseCallback?.[EXPECTED])
        throw new Error('responseCallback must come from http.expectedStatuses: '
            + 'in k6, undefined turns the callback off');
    state.requests.push({ method, url, body, params });
    return state.serve(method, url, body, params);
}

/** @param {string} url @param {any} [params] */
export function get(url, params) {
    return request('GET', url, null, params);
}

/** @param {string} url @param {string} body @param {any} [params] */
export function post(url, body, params) {
    return request('POST', url, body, params);
}

export default { expectedStatuses, get, post };
