import { it } from "node:test";
import assert from "node:assert/strict";

/**
 * The steps of one user story (up, preview, renew, refresh, destroy on one stack), run in order
 * as separate tests. When a step fails, every later step fails at once naming the step that
 * broke the story, instead of failing on a state it was never meant to see.
 */
export class Story {
  private brokenAt: string | undefined;
  private stepCount = 0;

  /** Registers the next step of the story. */
  step(name: string, body: () => Promise<void> | void): void {
    const title = `step ${++this.stepCount}: ${name}`;
    it(title, async () => {
      if (this.brokenAt !== undefined) {
        assert.fail(`not run: the story broke at "${this.brokenAt}"`);
      }
      try {
        await body();
      } catch (error) {
        this.brokenAt = title;
        throw error;
      }
    });
  }
}
