// What the fake k6 modules share with the test that drives them.
export const state = {
    /** @type {{ name: string, passed: boolean, tags: Record<string, string> }[]} */
    checks: [],
    /** @type {{ method: string, url: string, body: string | null, params: any }[]} */
    requests: [],
    /**
     * Answers a request, as the service would.
     * @type {(method: string, url: string, body: string | null, params: any) =>
     *     { status: number, body: string | null, headers: Record<string, string> }}
     */
    serve: () => ({ status: 0, body: null, headers: {} }),
    iterationInTest: 0,
    reset() {
        this.checks = [];
        this.requests = [];
        this.iterationInTest = 0;
    },
};
