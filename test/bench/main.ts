// `npm run bench`: the file store's fleet figures (issue 15), printed as one table. Not part of npm test.
//   BENCH_SIZES=100,1000,10000 (default)   BENCH_IDLE_SECONDS=20 (default)
import { cpus, totalmem } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeIdleFleet } from './file-store-world.js';
import { measureDaemon, timeCommand, type Run } from './measure.js';

const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const idleS = Number(process.env.BENCH_IDLE_SECONDS ?? '20');
const rows: string[][] = [['N', 'what', 'wall', 'CPU', 'RSS']];
const fmt = (run: Run): string[] => [`${run.wallS.toFixed(2)} s`, `${run.cpuS.toFixed(2)} s`, `${run.rssMb.toFixed(0)} MB`];

console.log(`rotad bench: file store, idle fleets of ${sizes.join(', ')} random policies; node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
for (const n of sizes) {
  const dir = await mkdtemp(join(tmpdir(), `rotad-bench-${n}-`));
  try {
    const config = await writeIdleFleet(dir, n);
    for (const command of ['validate', 'status', 'plan']) {
      rows.push([String(n), `rotad ${command}`, ...fmt(await timeCommand([command, '--config', config]))]);
    }
    const daemon = await measureDaemon(config, idleS);
    rows.push([String(n), 'rotad run: start to ready', `${daemon.readyS.toFixed(2)} s`, '', `${daemon.rssMb.toFixed(0)} MB`]);
    rows.push([String(n), `rotad run: idle CPU over ${idleS} s`, '', `${daemon.idleCpuPercent.toFixed(2)} % of a core`, '']);
    rows.push([String(n), 'SIGUSR2 to rotation start', `${daemon.signalToStartMs} ms`, '', '']);
    console.log(`  N=${n} measured`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
