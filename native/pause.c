/*
 * critter's pause: the process that owns a pod's PID namespace when the pod shares one
 * (shareProcessNamespace). As PID 1 it must reap the orphans the kernel hands it, and it must
 * install handlers for the signals it honours, since PID 1 ignores unhandled ones.
 * SIGINT and SIGTERM end it with status 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
	(void)sig;
	_exit(0);
}

static void on_child(int sig) {
	int saved = errno;
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
	errno = saved;
}

static int handle(int sig, void (*fn)(int)) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
	return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		puts("critter-pause 1");
		return 0;
	}
	if (getpid() != 1) fputs("pause: warning: not running as PID 1, orphans are not mine to reap\n", stderr);
	if (handle(SIGINT, on_stop) < 0 || handle(SIGTERM, on_stop) < 0 || handle(SIGCHLD, on_child) < 0) {
		perror("pause: sigaction");
		return 1;
	}
	for (;;) pause();
}
