/**
 * Pages for the browser tests: each in its own context (no cache, no preflight cache), recording
 * script errors and CSP violations, which a test file's afterEach expects to be none.
 */
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';

export const DESKTOP: BrowserContextOptions = { viewport: { width: 1100, height: 900 } };
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
};

/** The pages a test file opened, and the errors they logged. */
export class Pages {
  readonly #browser: () => Browser;
  readonly #open: Page[] = [];
  readonly #errors: string[] = [];

  /** `browser` gives the browser once it is launched (in beforeAll, after this is constructed). */
  constructor(browser: () => Browser) {
    this.#browser = browser;
  }

  /** A fresh page in its own context. */
  async open(options: BrowserContextOptions = DESKTOP): Promise<Page> {
    const page = await this.#browser().newPage(options);
    this.#open.push(page);
    page.on('pageerror', (error) => this.#errors.push(error.message));
    // CSP violations and script failures are console errors. Failed requests and CORS refusals are
    // too, but the tests that cause them on purpose check their outcome directly.
    page.on('console', (message) => {
      const text = message.text();
      if (
        message.type() === 'error' &&
        !/^Failed to load resource|blocked by CORS policy/.test(text)
      )
        this.#errors.push(text);
    });
    return page;
  }

  /** Closes every page opened so far; returns the errors they logged. */
  async closeAll(): Promise<string[]> {
    await Promise.all(this.#open.splice(0).map((page) => page.context().close()));
    return this.#errors.splice(0);
  }
}
