// Fake 'k6/crypto': the one function the scripts use.
import { createHash } from 'node:crypto';

/** @param {string} input @param {string} encoding */
export function sha256(input, encoding) {
    if (encoding !== 'hex')
        throw new Error('the fake sha256 only does hex');
    return createHash('sha256').update(input, 'utf8').digest('hex');
}

export default { sha256 };
