// One Lambda function container of the Node reference, speaking benchmarks/container.py's
// protocol: `node container.mjs BUNDLE.js`, loads the bundle as the runtime's init does, says
// ready with the CPU time spent so far (its init makes no network call: network_ms is 0), then serves one invocation per line of stdin (an event as
// JSON), answering one line of JSON with the response and the invocation's CPU and wall time. An
// empty line ends it. Node's own modules only.
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { writeSync } from "node:fs";

const cpuMs = () => { const used = process.cpuUsage(); return (used.user + used.system) / 1000; };
const protocol = process.stdout.fd;
const say = (message) => writeSync(protocol, JSON.stringify(message) + "\n");
console.log = console.info = console.warn = console.error = () => {};  // the function's logs: not the protocol

const { handler } = createRequire(import.meta.url)(process.argv[2]);
say({ ready: true, cpu_ms: cpuMs(), network_ms: 0 });
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) break;
  const cpu = cpuMs();
  const wall = performance.now();
  try {
    const response = await handler(JSON.parse(line), {});
    say({ response, cpu_ms: cpuMs() - cpu, wall_ms: performance.now() - wall });
  } catch (error) {
    say({ error: error.name ?? "Error", cpu_ms: cpuMs() - cpu, wall_ms: performance.now() - wall });
  }
}
say({ services: [] });
process.exit(0);
