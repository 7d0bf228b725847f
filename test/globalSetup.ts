// Once per test run, before the workers start: the package packed (cached on its sources, scripts/pack.ts) and
// installed into examples/react-app, which the example app's tests serve and build. `npm test` has done it already
// (`npm run example:install`); this covers `npx vitest run` on its own.
import { resolve } from "node:path";
import { installPacked, ROOT } from "../scripts/pack";

export default function setup() {
  installPacked(resolve(ROOT, "examples/react-app"));
}
