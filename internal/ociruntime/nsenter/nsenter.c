//go:build cgo

// berth_nsenter: join namespaces before the Go runtime starts. See doc.go.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_NS 16

static int sync_fd = -1;

static void clean(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			*s = '?';
}

// die reports "nsenter: WHAT ARG: strerror(errno)" as a JSON error line on
// the sync socket and exits 1.
static void die(const char *what, const char *arg)
{
	char buf[1024], msg[900];
	int saved = errno;
	snprintf(msg, sizeof(msg), "%s %s: %s", what, arg, strerror(saved));
	clean(msg);
	int len = snprintf(buf, sizeof(buf), "{\"type\":\"error\",\"error\":\"nsenter: %s\"}\n", msg);
	if (sync_fd >= 0 && len > 0)
		(void)!write(sync_fd, buf, (size_t)len);
	_exit(1);
}

static int ns_flag(const char *t)
{
	static const struct { const char *n; int f; } m[] = {
		{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
		{"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
		{"cgroup", CLONE_NEWCGROUP}, {"time", 0x00000080},
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(t, m[i].n) == 0)
			return m[i].f;
	return -1;
}

void berth_nsenter(void)
{
	const char *spec = getenv("_BERTH_NSENTER");
	const char *fds = getenv("_BERTH_NSENTER_FD");
	int fd[MAX_NS], flag[MAX_NS], n = 0, join_pid = 0;
	char *name[MAX_NS];
	char *list, *tok, *save = NULL;

	if (spec == NULL || fds == NULL)
		return;
	sync_fd = atoi(fds);
	list = strdup(spec);
	if (list == NULL)
		die("parse", "out of memory");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *path = strchr(tok, ':');
		if (path == NULL || n == MAX_NS)
			die("parse", tok);
		*path++ = '\0';
		name[n] = tok;
		flag[n] = ns_flag(tok);
		if (flag[n] < 0)
			die("unknown namespace type", tok);
		fd[n] = open(path, O_RDONLY | O_CLOEXEC);
		if (fd[n] < 0)
			die("open", path);
		join_pid |= flag[n] == CLONE_NEWPID;
		n++;
	}
	for (int i = 0; i < n; i++) {
		if (setns(fd[i], flag[i]) < 0)
			die("setns", name[i]);
		close(fd[i]);
	}
	free(list);
	if (!join_pid)
		return;
	// fork into the pid namespace; CLONE_PARENT makes the child ours' sibling.
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (pid < 0)
		die("clone", "pid namespace");
	if (pid > 0) {
		char buf[64];
		int len = snprintf(buf, sizeof(buf), "{\"type\":\"pid\",\"pid\":%ld}\n", pid);
		_exit(write(sync_fd, buf, (size_t)len) == len ? 0 : 1);
	}
}
