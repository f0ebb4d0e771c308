import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tokenResource from "../../provider/tokenResource";

// Refresh and destroy load the `__provider` stored in state, a `require` of this module's path:
// the path and the method names are a compatibility contract with every existing stack.
describe("the provider module's compatibility contract", () => {
  it("lives at the path old state requires and exposes every provider method", () => {
    const resolved = require.resolve("../../provider/tokenResource");
    assert.match(resolved.replace(/\\/g, "/"), /\/dist\/provider\/tokenResource\.js$/);
    for (const method of ["configure", "check", "diff", "create", "read", "update", "delete"]) {
      assert.equal(typeof (tokenResource as Record<string, unknown>)[method], "function", method);
    }
  });
});
