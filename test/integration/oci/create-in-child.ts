// Run as a child process by conmon.test.ts: creates and starts a container under conmon, prints
// the record as one JSON line, then idles until it is killed, standing in for a daemon that dies.
import { OciRuntimeDriver } from '../../../src/oci/runtime-driver.js';
import { ConmonMonitor } from '../../../src/container/monitor/conmon.js';

interface Args {
  name: string;
  path: string;
  root: string;
  exitDir: string;
  socketDir: string;
  id: string;
  bundle: string;
  logPath: string;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const driver = new OciRuntimeDriver({
  handler: { name: a.name, runtimePath: a.path, runtimeType: 'oci', runtimeRoot: a.root },
  cgroupDriver: 'cgroupfs',
});
const monitor = new ConmonMonitor({ conmonPath: '/usr/bin/conmon', runtime: driver, cgroupDriver: 'cgroupfs', exitDir: a.exitDir, socketDir: a.socketDir });
const rec = await monitor.create({ id: a.id, bundle: a.bundle, logPath: a.logPath });
await monitor.start(a.id);
process.stdout.write(`${JSON.stringify(rec)}\n`);
setInterval(() => undefined, 60_000);
