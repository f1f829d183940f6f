// The pull machinery that needs no registry: the download limiter, the stall watchdog and
// the progress hub.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DownloadLimiter } from '../../../src/image/pull/limiter.js';
import { PullProgressHub, type PullProgress } from '../../../src/image/pull/progress.js';
import { StallWatchdog } from '../../../src/image/pull/stall-watchdog.js';
import { CritterError } from '../../../src/util/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void describe('download limiter', () => {
  void it('never lets more than max run, and hands slots over in order', async () => {
    const lim = new DownloadLimiter(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        const release = await lim.acquire();
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await sleep(5);
        running--;
        release();
        release(); // a second release is a no-op
      }),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.equal(lim.inUse, 0);
  });

  void it('drops a cancelled waiter from the queue with the abort reason', async () => {
    const lim = new DownloadLimiter(1);
    const release = await lim.acquire();
    const ac = new AbortController();
    const waiting = lim.acquire(ac.signal);
    ac.abort(new CritterError('DeadlineExceeded', 'deadline'));
    await assert.rejects(waiting, (e: unknown) => e instanceof CritterError && e.kind === 'DeadlineExceeded');
    release();
    assert.equal(lim.inUse, 0);
    const again = await lim.acquire();
    assert.equal(lim.inUse, 1);
    again();
  });

  void it('refuses a limit below one', () => {
    assert.throws(() => new DownloadLimiter(0), RangeError);
  });
});

void describe('stall watchdog', () => {
  void it('fires only while a transfer is open and no bytes arrive', async () => {
    const w = new StallWatchdog(60, () => 'no bytes received for 0.06 s from example while pulling x');
    await sleep(100);
    assert.equal(w.signal.aborted, false, 'no transfer open: no stall');
    const end = w.begin();
    for (let i = 0; i < 5; i++) {
      await sleep(30);
      w.progress();
    }
    assert.equal(w.signal.aborted, false, 'bytes kept arriving');
    end();
    await sleep(100);
    assert.equal(w.signal.aborted, false, 'transfer ended');
    w.begin();
    await sleep(120);
    assert.equal(w.signal.aborted, true);
    const reason: unknown = w.signal.reason;
    assert.ok(reason instanceof CritterError);
    assert.equal(reason.kind, 'Unavailable');
    assert.match(reason.message, /no bytes received for 0\.06 s from example while pulling x/);
    w.dispose();
  });

  void it('is off with a zero timeout', async () => {
    const w = new StallWatchdog(0, () => 'x');
    w.begin();
    await sleep(30);
    assert.equal(w.signal.aborted, false);
    w.dispose();
  });
});

void describe('pull progress hub', () => {
  void it('delivers a running pull to a late watcher and every change after', async () => {
    const hub = new PullProgressHub();
    const t = hub.begin('docker.io/library/busybox:latest');
    t.setLayers([{ digest: 'sha256:a', size: 10 }, { digest: 'sha256:b', size: 5 }]);
    const seen: PullProgress[] = [];
    const stop = hub.watch('docker.io/library/busybox:latest', (p) => seen.push(p));
    assert.equal(seen[0]?.phase, 'layers');
    t.layerState(0, 'downloading');
    t.bytes(0, 4);
    t.bytes(0, 6);
    await sleep(150); // byte counts are throttled
    assert.equal(seen.at(-1)?.layers[0]?.downloaded, 10);
    t.layerState(1, 'exists');
    assert.equal(seen.at(-1)?.layers[1]?.downloaded, 5);
    t.finish('sha256:id');
    assert.equal(seen.at(-1)?.phase, 'done');
    assert.equal(seen.at(-1)?.imageId, 'sha256:id');
    hub.end(t);
    stop();
    const n = seen.length;
    hub.begin('docker.io/library/busybox:latest').fail('boom');
    assert.equal(seen.length, n, 'unsubscribed');
  });

  void it('keeps pulls of different references apart', () => {
    const hub = new PullProgressHub();
    const seen: string[] = [];
    hub.watch('a:1', (p) => seen.push(p.image));
    hub.begin('b:1').finish('x');
    hub.begin('a:1').finish('y');
    assert.deepEqual([...new Set(seen)], ['a:1']);
  });
});
