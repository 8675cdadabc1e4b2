// Node module hooks that stand the fake k6 modules in for the real ones, so
// the k6 scripts themselves can be loaded and run under Node's test runner.
const MODULES = new Set(['k6', 'k6/http', 'k6/crypto', 'k6/execution']);

/**
 * @param {string} specifier
 * @param {object} context
 * @param {(specifier: string, context: object) => Promise<object>} next
 */
export async function resolve(specifier, context, next) {
    if (MODULES.has(specifier)) {
        const file = specifier === 'k6' ? 'k6' : specifier.slice('k6/'.length);
        return { url: new URL(`./modules/${file}.js`, import.meta.url).href, shortCircuit: true };
    }
    if (specifier.startsWith('k6/'))
        throw new Error(`the fake k6 has no module ${specifier}`);
    return next(specifier, context);
}
