// A Playwright fixture for the JupyterLab host started by global-setup.ts: it opens pages with the
// token, keeps every request on 127.0.0.1, records console errors, and drives notebooks.
import { expect, test as base, type Page } from "@playwright/test";

export interface NotebookCell {
  source: string;
  /** Saved outputs (nbformat 4), shown when the notebook opens. */
  outputs?: object[];
}

export class Lab {
  /** Console errors and uncaught page errors, in order. */
  readonly errors: string[] = [];
  /** Requests to anywhere but 127.0.0.1, which were aborted. */
  readonly offHostRequests: string[] = [];

  constructor(
    readonly page: Page,
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  /** Opens JupyterLab (or a file in it) in a fresh workspace and waits until the shell is up. */
  async open(path?: string): Promise<void> {
    const target = path ? `lab/tree/${path}` : "lab";
    await this.page.goto(`${this.baseUrl}${target}?reset&token=${this.token}`);
    await expect(this.page.locator("#jp-main-dock-panel")).toBeVisible();
  }

  /** Saves a notebook for KERNEL into the server's root folder through the contents API. */
  async putNotebook(path: string, kernel: { name: string; display_name: string }, cells: NotebookCell[]) {
    const content = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: kernel.name, display_name: kernel.display_name, language: "typescript" },
        language_info: { name: "typescript" },
      },
      cells: cells.map((cell, index) => ({
        id: `cell-${index}`,
        cell_type: "code",
        source: cell.source,
        metadata: {},
        execution_count: cell.outputs?.length ? index + 1 : null,
        outputs: cell.outputs ?? [],
      })),
    };
    const response = await this.page.request.put(`${this.baseUrl}api/contents/${path}`, {
      headers: { Authorization: `token ${this.token}` },
      data: { type: "notebook", format: "json", content },
    });
    expect(response.ok(), `saving ${path}: HTTP ${response.status()}`).toBe(true);
  }

  /**
   * Waits until the active notebook's kernel is idle. A kernel that is still starting can drop an
   * execute request, so cells run only after the status bar has left Connecting/Initializing/Starting.
   */
  async waitForKernelIdle(displayName: string): Promise<void> {
    const status = this.page.locator(".jp-StatusBar-TextItem", { hasText: `${displayName} |` });
    await expect(status).toHaveText(`${displayName} | Idle`, { timeout: 60_000 });
  }

  /** Shuts down every kernel session, so kernels of one test do not run on through the next. */
  async shutDownSessions(): Promise<void> {
    const headers = { Authorization: `token ${this.token}` };
    const sessions = await this.page.request.get(`${this.baseUrl}api/sessions`, { headers });
    for (const { id } of (await sessions.json()) as { id: string }[]) {
      await this.page.request.delete(`${this.baseUrl}api/sessions/${id}`, { headers });
    }
  }

  /** Runs the active cell (Shift+Enter) after putting `source` in it. */
  async runCellWith(source: string): Promise<void> {
    const editor = this.page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content");
    await editor.click();
    await this.page.keyboard.press("ControlOrMeta+a");
    await this.page.keyboard.type(source);
    await this.page.keyboard.press("Shift+Enter");
  }
}

export const test = base.extend<{ lab: Lab }>({
  lab: async ({ page }, use) => {
    const baseUrl = process.env.VALENCE_LAB_BASE_URL;
    const token = process.env.VALENCE_LAB_TOKEN;
    if (!baseUrl || !token) throw new Error("the JupyterLab host is not running (global-setup.ts sets it up)");
    const lab = new Lab(page, baseUrl, token);
    page.on("console", (message) => {
      if (message.type() === "error") lab.errors.push(message.text());
    });
    page.on("pageerror", (error) => lab.errors.push(error.message));
    await page.context().route(/^(?!(https?|wss?):\/\/127\.0\.0\.1[:/])[a-z]+:\/\//, (route) => {
      lab.offHostRequests.push(route.request().url());
      return route.abort("blockedbyclient");
    });
    await use(lab);
    await lab.shutDownSessions();
    expect(lab.offHostRequests, "requests that left 127.0.0.1").toEqual([]);
  },
});

export { expect };
