/*
 * idmap: put an idmapped copy of a mounted tree onto another path (Linux 5.12+, and 5.19+ for
 * overlayfs), so that a user-namespaced container sees the files owned by the ids its namespace
 * maps them to, without the OCI runtime having to know idmapped mounts.
 *
 * usage: idmap --userns FILE [--recursive] SOURCE TARGET
 * FILE is a user namespace (a pinned /proc/<pid>/ns/user or that path itself); SOURCE is the
 * directory (or file) to copy, TARGET an existing directory (or file) to mount the copy on.
 * The copy is detached, idmapped with the namespace's mappings and moved onto TARGET in that
 * order, so nothing is ever attached to TARGET un-idmapped. --recursive copies the mounts below
 * SOURCE too (a bind mount's rbind) and idmaps all of them.
 * Exit 0 on success; on failure a one-line reason on stderr, exit 1, and nothing left mounted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The syscalls directly: the wrappers need glibc 2.36, the numbers only the kernel headers. */
static int sys_open_tree(int dfd, const char *path, unsigned int flags) {
  return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static int sys_mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size) {
  return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, size);
}
static int sys_move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned int flags) {
  return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static void usage(void) {
  fprintf(stderr, "usage: idmap --userns FILE [--recursive] SOURCE TARGET\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *userns = NULL, *source = NULL, *target = NULL;
  int recursive = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--userns") == 0 && i + 1 < argc) {
      userns = argv[++i];
    } else if (strcmp(argv[i], "--recursive") == 0) {
      recursive = 1;
    } else if (argv[i][0] == '-') {
      usage();
    } else if (!source) {
      source = argv[i];
    } else if (!target) {
      target = argv[i];
    } else {
      usage();
    }
  }
  if (!userns || !source || !target) usage();

  int ns = open(userns, O_RDONLY | O_CLOEXEC);
  if (ns < 0) {
    fprintf(stderr, "idmap: cannot open user namespace %s: %s\n", userns, strerror(errno));
    return 1;
  }
  unsigned int rec = recursive ? AT_RECURSIVE : 0;
  /* A detached copy: closing its fd before it is attached frees it, so failures leave nothing. */
  int tree = sys_open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
  if (tree < 0) {
    fprintf(stderr, "idmap: cannot copy the mount at %s (open_tree): %s\n", source, strerror(errno));
    return 1;
  }
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = (unsigned long long)ns;
  if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0) {
    int err = errno;
    const char *why = err == EINVAL ? " (the filesystem, or this kernel, does not support idmapped mounts; overlayfs needs Linux 5.19)"
                    : err == ENOSYS ? " (the kernel has no mount_setattr: Linux 5.12 or later is needed)"
                    : err == EPERM ? " (needs CAP_SYS_ADMIN, and a namespace with mappings that is not the caller's own)"
                                   : "";
    fprintf(stderr, "idmap: cannot idmap the copy of %s with %s (mount_setattr): %s%s\n", source, userns, strerror(err), why);
    return 1;
  }
  close(ns);
  if (sys_move_mount(tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    fprintf(stderr, "idmap: cannot mount the idmapped copy of %s on %s (move_mount): %s\n", source, target, strerror(errno));
    return 1;
  }
  close(tree);
  return 0;
}
