// Fake 'k6/execution': the iteration number the test sets.
import { state } from './state.js';

export const scenario = {
    get iterationInTest() {
        return state.iterationInTest;
    },
};

export default { scenario };
