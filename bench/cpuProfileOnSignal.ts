// Preloaded into the gateway process by bench/scimHttp.ts (`--import`): SIGUSR2 starts a CPU profile, the next
// SIGUSR2 writes it to $BENCH_CPU_PROFILE. The profile then covers the measured requests only, not start-up.
import { Session } from "node:inspector";
import { writeFileSync } from "node:fs";

const session = new Session();
session.connect();
let running = false;
process.on("SIGUSR2", () => {
  if (!running) {
    running = true;
    session.post("Profiler.enable", () => session.post("Profiler.start"));
    return;
  }
  running = false;
  session.post("Profiler.stop", (err, result) => {
    if (!err) writeFileSync(process.env.BENCH_CPU_PROFILE!, JSON.stringify(result.profile));
  });
});
