// Run by `npm run build:package` (so by `prepare`: `npm pack`, `npm publish`, installs from git):
// removes the shipped output folders before the build, so that a module deleted from the sources
// is not packed from an earlier build's leftovers. dist/test and dist/bench are not shipped and stay.
import { rmSync } from "node:fs";

for (const dir of ["dist/sdk", "dist/provider", "dist/emulator"]) {
  rmSync(dir, { recursive: true, force: true });
}
