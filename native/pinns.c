/*
 * pinns: create a pod's namespaces and pin them to files, in one process.
 *
 * A pod without an infra process keeps its namespaces alive by bind-mounting them to files
 * (as CRI-O's own pinns does). Doing the whole set-up here (unshare, hostname, loopback up,
 * namespaced sysctls, the bind mounts) costs one process start instead of one per step.
 *
 * usage: pinns [--net FILE] [--ipc FILE] [--uts FILE] [--hostname NAME] [--lo-up]
 *              [--sysctl PATH=VALUE]... [--shm DIR --shm-size BYTES]
 * Every FILE must exist (an empty file); its parent must not be a shared mount. A sysctl PATH
 * is relative to /proc/sys ("net/ipv4/ip_forward"), which follows the writer's namespaces.
 * --shm mounts the pod's /dev/shm tmpfs on DIR. Exit 0 on success; on failure a one-line
 * reason on stderr, exit 1, and nothing left mounted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SYSCTLS 64

static const char *net_file, *ipc_file, *uts_file, *hostname, *shm_dir, *shm_size;
static int lo_up;
static char *sysctls[MAX_SYSCTLS];
static int nsysctls;
static const char *pinned[4];
static int npinned;

static void undo(void) {
  for (int i = 0; i < npinned; i++) umount2(pinned[i], MNT_DETACH);
}

static void fail(const char *what, const char *arg) {
  fprintf(stderr, "pinns: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  undo();
  exit(1);
}

static void pin(const char *kind, const char *file) {
  char src[64];
  snprintf(src, sizeof src, "/proc/self/ns/%s", kind);
  if (mount(src, file, NULL, MS_BIND, NULL) != 0) fail("cannot pin the namespace to", file);
  pinned[npinned++] = file;
}

static void loopback_up(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("cannot open a socket in the network namespace", NULL);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) fail("cannot read the flags of", "lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) fail("cannot bring up", "lo");
  close(fd);
}

static void set_sysctl(char *kv) {
  char *eq = strchr(kv, '=');
  if (eq == NULL || eq == kv || kv[0] == '/' || strstr(kv, "..") != NULL) {
    errno = EINVAL;
    fail("bad sysctl (want PATH=VALUE, PATH relative to /proc/sys)", kv);
  }
  *eq = '\0';
  char path[512];
  if (snprintf(path, sizeof path, "/proc/sys/%s", kv) >= (int)sizeof path) {
    errno = ENAMETOOLONG;
    fail("bad sysctl", kv);
  }
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open sysctl", kv);
  const char *value = eq + 1;
  if (write(fd, value, strlen(value)) < 0) fail("cannot set sysctl", kv);
  close(fd);
}

static void mount_shm(void) {
  char opts[128];
  snprintf(opts, sizeof opts, "mode=1777,size=%s", shm_size);
  if (mount("shm", shm_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) != 0) fail("cannot mount the pod's shm on", shm_dir);
  pinned[npinned++] = shm_dir;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--lo-up") == 0) { lo_up = 1; continue; }
    if (v == NULL) { fprintf(stderr, "pinns: %s needs a value\n", a); return 2; }
    if (strcmp(a, "--net") == 0) net_file = v;
    else if (strcmp(a, "--ipc") == 0) ipc_file = v;
    else if (strcmp(a, "--uts") == 0) uts_file = v;
    else if (strcmp(a, "--hostname") == 0) hostname = v;
    else if (strcmp(a, "--shm") == 0) shm_dir = v;
    else if (strcmp(a, "--shm-size") == 0) shm_size = v;
    else if (strcmp(a, "--sysctl") == 0) {
      if (nsysctls == MAX_SYSCTLS) { fprintf(stderr, "pinns: more than %d sysctls\n", MAX_SYSCTLS); return 2; }
      sysctls[nsysctls++] = argv[i + 1];
    } else { fprintf(stderr, "pinns: unknown option %s\n", a); return 2; }
    i++;
  }
  if ((hostname && !uts_file) || (lo_up && !net_file) || (!shm_dir != !shm_size)) {
    fprintf(stderr, "pinns: --hostname needs --uts, --lo-up needs --net, --shm and --shm-size go together\n");
    return 2;
  }
  /* The shm mount is made in the node's mount namespace, before anything is unshared. */
  if (shm_dir) mount_shm();

  int flags = (net_file ? CLONE_NEWNET : 0) | (ipc_file ? CLONE_NEWIPC : 0) | (uts_file ? CLONE_NEWUTS : 0);
  if (flags == 0) {
    if (nsysctls > 0) { fprintf(stderr, "pinns: sysctls need a namespace to go into\n"); return 2; }
    return 0; /* only the shm mount (or nothing) was asked for */
  }
  if (unshare(flags) != 0) fail("cannot create the namespaces", NULL);

  if (hostname && sethostname(hostname, strlen(hostname)) != 0) fail("cannot set the hostname", hostname);
  if (lo_up) loopback_up();
  for (int i = 0; i < nsysctls; i++) set_sysctl(sysctls[i]);

  if (net_file) pin("net", net_file);
  if (ipc_file) pin("ipc", ipc_file);
  if (uts_file) pin("uts", uts_file);
  return 0;
}
