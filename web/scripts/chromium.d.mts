// Types for scripts/chromium.mjs, which playwright.config.ts imports.
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_FLAGS: string[];
