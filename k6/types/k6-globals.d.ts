// Globals the k6 runtime has that @types/k6 does not declare.

export {};

declare global {
    /** k6 writes these to its log (stderr), with level info, warn and error. */
    var console: {
        log(...data: unknown[]): void;
        warn(...data: unknown[]): void;
        error(...data: unknown[]): void;
    };
}
