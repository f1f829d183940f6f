// Idmapped filesystems for the containers of user-namespaced pods (KEP-127), made by critter
// itself so that no runtime support for idmapped mounts is needed (runc < 1.2, crun < 1.9).
//
// The kernel cannot idmap an overlayfs mount (overlayfs does not allow it), but since Linux 5.19
// overlayfs accepts idmapped *layers*. So the rootfs is an overlay whose lower layers are read
// through one idmapped copy of the snapshot store (<bundle>/layers): the image's files owned by 0
// show up as the pod's host root id, i.e. as 0 inside. The upper layer is not idmapped (overlayfs
// must create its work files as the mounter, host root): its top folder is chowned to the pod's
// root, and what the container writes lands there with its host ids (200000 for root mapped to
// 200000), as with containerd's and CRI-O's idmapped lower layers.
//
// The pod's CRI bind mounts (volumes) are idmapped copies at <bundle>/mounts/<n>, with the spec
// pointing there: a file the host sees owned by 0 is owned by 0 inside too, and root inside
// writes files owned by 0 on the host (the pod's ids are shifted away, as KEP-127 intends).
//
// Every mount made here lives under the bundle, so removal and recovery find them by path.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Snapshotter } from '../image/snapshot/snapshotter.js';
import { MOUNT_OPTIONS_MAX, mountAt } from '../image/snapshot/mount.js';
import type { OciMount } from '../oci/spec/types.js';
import { readMountInfo } from '../pod/netns/mountinfo.js';
import { errorMessage, failedPrecondition, internal, resourceExhausted } from '../util/errors.js';
import { nativeBinary } from '../util/native-binary.js';
import { describeFailure, runProgram } from '../util/run-program.js';
import { unmountRootfs } from './rootfs.js';

/** The pod's user namespace as the idmapping needs it. */
export interface IdmapTarget {
  /** The pinned user namespace file (the sandbox's ns/user). */
  usernsFile: string;
  /** Host uid and gid of the namespace's root. */
  rootUid: number;
  rootGid: number;
}

/** Where the idmapped copy of the snapshot store is: the rootfs' lower layers. */
export const layersPath = (bundle: string): string => join(bundle, 'layers');
/** Where the idmapped copies of the CRI bind mounts are. */
export const mountsPath = (bundle: string): string => join(bundle, 'mounts');

/** Runs dist/native/idmap: an idmapped copy of source (recursively: its submounts too) on target. */
export async function idmapMount(usernsFile: string, source: string, target: string, o: { recursive?: boolean } = {}): Promise<void> {
  const args = ['--userns', usernsFile, ...(o.recursive ? ['--recursive'] : []), source, target];
  const r = await runProgram(nativeBinary('idmap'), args);
  if (r.code !== 0) throw failedPrecondition(`cannot idmap ${source} onto ${target}: ${r.stderr.trim() || describeFailure(r)}`);
}

interface OverlayLayers {
  /** Topmost first. */
  lowerdirs: string[];
  upperdir: string;
  workdir: string;
}

/**
 * Mounts overlay(lowers through an idmapped copy of their store, upper as it is) on target. The
 * lowers must all be inside one folder (the snapshot store); its copy goes on layersDir. On
 * failure nothing stays mounted.
 */
async function mountOverlayOnIdmappedLayers(l: OverlayLayers, t: IdmapTarget, layersDir: string, target: string): Promise<void> {
  const store = dirname(dirname(l.lowerdirs[0]!));
  const rel = l.lowerdirs.map((d) => relative(store, d));
  if (rel.some((r) => r.startsWith('..') || r === '')) throw internal(`the lower layers are not all inside ${store}`);
  const options = [`lowerdir=${rel.join(':')}`, `upperdir=${l.upperdir}`, `workdir=${l.workdir}`];
  if (options.join(',').length > MOUNT_OPTIONS_MAX) {
    throw resourceExhausted(`the image has ${l.lowerdirs.length} layers; their overlay mount options do not fit in a page`);
  }
  chownSync(l.upperdir, t.rootUid, t.rootGid);
  mkdirSync(layersDir, { recursive: true, mode: 0o700 });
  await idmapMount(t.usernsFile, store, layersDir);
  try {
    await mountAt({ type: 'overlay', source: 'overlay', options, cwd: layersDir }, target);
  } catch (e) {
    await unmountRootfs(layersDir).catch(() => undefined);
    throw e;
  }
}

/** The container's rootfs for a user-namespaced pod, mounted at rootfs (see the file comment). */
export async function mountIdmappedRootfs(
  snapshots: Pick<Snapshotter, 'createActive'>,
  key: string,
  parentChainId: string | null,
  rootfs: string,
  bundle: string,
  t: IdmapTarget,
): Promise<void> {
  const snap = await snapshots.createActive(key, parentChainId);
  mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  if (snap.lowerdirs.length === 0) {
    // No image layers: the rootfs is the upper folder alone, owned by the pod's root.
    chownSync(snap.upperdir, t.rootUid, t.rootGid);
    await mountAt(snap.mount, rootfs);
    return;
  }
  await mountOverlayOnIdmappedLayers(snap, t, layersPath(bundle), rootfs);
}

/**
 * Replaces the sources of the CRI bind mounts (those at `destinations`) with idmapped copies
 * under <bundle>/mounts, and drops any uid/gid mappings left on them for the runtime.
 */
export async function idmapVolumes(mounts: OciMount[], destinations: ReadonlySet<string>, bundle: string, t: IdmapTarget): Promise<void> {
  let n = 0;
  for (const m of mounts) {
    if (m.type !== 'bind' || !destinations.has(m.destination)) continue;
    const target = join(mountsPath(bundle), String(n++));
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    if (statSync(m.source).isDirectory()) mkdirSync(target, { mode: 0o755 });
    else closeSync(openSync(target, 'w', 0o644));
    await idmapMount(t.usernsFile, m.source, target, { recursive: m.options.includes('rbind') });
    m.source = target;
    delete m.uidMappings;
    delete m.gidMappings;
  }
}

/** Unmounts what mountIdmappedRootfs and idmapVolumes made (the rootfs itself goes first, elsewhere). */
export async function unmountIdmapped(bundle: string): Promise<void> {
  const under = mountsPath(bundle) + '/';
  const volumes = [...new Set(readMountInfo().map((m) => m.mountPoint).filter((p) => p.startsWith(under)))];
  // Deepest first, so a mount stacked inside another goes before it.
  volumes.sort((a, b) => b.length - a.length);
  for (const v of volumes) await unmountRootfs(v);
  await unmountRootfs(layersPath(bundle));
}

/** Mount points left under the folder (none may be when it is deleted). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir + '/';
  return readMountInfo()
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(prefix));
}

// ---- the probe ---------------------------------------------------------------------------

export type IdmapSupport = { ok: true } | { ok: false; reason: string };

const PROBE_HOST_ID = 3_000_000_000;
const PROBE_PREFIX = 'idmap-probe-';

/** What a probe interrupted by a crash left in dir. */
async function removeStaleProbes(dir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(PROBE_PREFIX));
  } catch {
    return;
  }
  for (const n of names) {
    const tmp = join(dir, n);
    for (const m of mountsUnder(tmp).sort((a, b) => b.length - a.length)) await unmountRootfs(m).catch(() => undefined);
    if (mountsUnder(tmp).length === 0) rmSync(tmp, { recursive: true, force: true });
  }
}

/** A throwaway user namespace (0 -> PROBE_HOST_ID), alive until `end` is called. */
async function probeNamespace(): Promise<{ file: string; end: () => Promise<void> }> {
  const child = spawn('unshare', ['--user', '--', 'sh', '-c', 'echo ready; read -r _'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => undefined);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const end = async (): Promise<void> => {
    child.stdin.end();
    child.kill('SIGKILL');
    await closed;
  };
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n')) resolve(true);
    });
    child.on('error', () => resolve(false));
    void closed.then(() => resolve(false));
  });
  if (!ready || child.pid === undefined) {
    await end();
    throw internal(`unshare --user failed: ${stderr.trim() || 'no output'}`);
  }
  try {
    writeFileSync(`/proc/${child.pid}/uid_map`, `0 ${PROBE_HOST_ID} 1\n`);
    writeFileSync(`/proc/${child.pid}/gid_map`, `0 ${PROBE_HOST_ID} 1\n`);
  } catch (e) {
    await end();
    throw e;
  }
  return { file: `/proc/${child.pid}/ns/user`, end };
}

/**
 * Whether critter can build idmapped rootfs' here: an overlay over an idmapped layer in a folder
 * under `dir`, whose file owned by 0 must then show up owned by the namespace's root.
 */
export async function probeIdmapSupport(dir: string): Promise<IdmapSupport> {
  await removeStaleProbes(dir);
  const tmp = join(dir, `${PROBE_PREFIX}${randomBytes(6).toString('hex')}`);
  const store = join(tmp, 'store');
  const merged = join(tmp, 'merged');
  const layers = join(tmp, 'layers');
  let ns: { file: string; end: () => Promise<void> } | undefined;
  try {
    nativeBinary('idmap');
    for (const d of [join(store, 'l', 'fs'), join(tmp, 'upper'), join(tmp, 'work'), merged]) mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(store, 'l', 'fs', 'probe'), '');
    ns = await probeNamespace();
    const t: IdmapTarget = { usernsFile: ns.file, rootUid: PROBE_HOST_ID, rootGid: PROBE_HOST_ID };
    await mountOverlayOnIdmappedLayers({ lowerdirs: [join(store, 'l', 'fs')], upperdir: join(tmp, 'upper'), workdir: join(tmp, 'work') }, t, layers, merged);
    const st = statSync(join(merged, 'probe'));
    if (st.uid !== PROBE_HOST_ID) return { ok: false, reason: `a file owned by 0 in an idmapped overlay layer shows up owned by ${st.uid}, not ${PROBE_HOST_ID}` };
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  } finally {
    await unmountRootfs(merged).catch(() => undefined);
    await unmountRootfs(layers).catch(() => undefined);
    await ns?.end();
    if (mountsUnder(tmp).length === 0) rmSync(tmp, { recursive: true, force: true });
  }
}

const probes = new Map<string, Promise<IdmapSupport>>();

/** probeIdmapSupport, once per folder and process. */
export function idmapSupport(dir: string): Promise<IdmapSupport> {
  let p = probes.get(dir);
  if (!p) {
    p = probeIdmapSupport(dir);
    probes.set(dir, p);
  }
  return p;
}
