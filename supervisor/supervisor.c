/*
 * supervisor.c - runs one command and owns its output.
 *
 * Usage: supervisor --service NAME [--stop-signal INT] [--drain-ms N] -- CMD [ARG...]
 *
 * The command's stdout and stderr go into one pipe that only this process
 * reads; every line comes out on our stdout as a schema JSON line (see
 * rewrite.h). Meant to be a container's PID 1: it forwards SIGTERM/SIGINT
 * to the command as its stop signal (lighttpd drains on SIGINT but drops
 * requests on SIGTERM), reaps every child that is handed to it, and exits
 * with the command's status once the command has exited and its output has
 * been drained.
 */
#include "config.h"
#include "log.h"
#include "rewrite.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * After a read, wait this long before the next one. Under load one line
 * arrives per request; reading and writing each alone cost more CPU than
 * the request's own logging (measured: 24 us per request at 6k requests/s).
 * The pipe holds PIPE_SIZE, so writers never wait on us for this.
 */
static const struct timespec coalesce = {.tv_sec = 0, .tv_nsec = 2000000L};

/*
 * The pipe's room: 1 MiB, the most an unprivileged process may ask for
 * (Linux' default is 64 KiB). lighttpd writes its access log without
 * blocking and drops what a full pipe does not take; this is room for a few
 * thousand lines while our own output is slow. (Our programs' writes block.)
 */
#define PIPE_SIZE (1 << 20)

struct options {
    const char *service;
    int stop_signal;
    long drain_ms;
    char **argv;
};

struct line_reader {
    char buf[REWRITE_LINE_MAX];
    size_t len;
    struct rewrite_ctx ctx;
    char out[REWRITE_OUT_MAX];
    /* Lines from one read go out in one write: whole lines, fewer syscalls. */
    char batch[65536];
    size_t batch_len;
};

static void write_all(const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(1, data, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void flush_batch(struct line_reader *r)
{
    write_all(r->batch, r->batch_len);
    r->batch_len = 0;
}

static void emit(struct line_reader *r, const char *line, size_t len)
{
    size_t n = rewrite_line(&r->ctx, line, len, log_now_ms(), r->out, sizeof(r->out));

    if (r->batch_len + n > sizeof(r->batch))
        flush_batch(r);
    if (n > sizeof(r->batch)) {
        write_all(r->out, n);
        return;
    }
    memcpy(r->batch + r->batch_len, r->out, n);
    r->batch_len += n;
}

/* Reads what is available; false at end of file (every writer gone). */
static bool read_lines(struct line_reader *r, int fd)
{
    ssize_t n = read(fd, r->buf + r->len, sizeof(r->buf) - r->len);
    size_t start = 0;

    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0) {
        if (r->len > 0)
            emit(r, r->buf, r->len);
        r->len = 0;
        flush_batch(r);
        return false;
    }
    r->len += (size_t)n;
    for (size_t i = 0; i < r->len; i++) {
        if (r->buf[i] == '\n') {
            emit(r, r->buf + start, i - start);
            start = i + 1;
        }
    }
    if (start == 0 && r->len == sizeof(r->buf)) {
        /* A line longer than the buffer: pass it on in pieces. */
        emit(r, r->buf, r->len);
        r->len = 0;
    } else if (start > 0) {
        memmove(r->buf, r->buf + start, r->len - start);
        r->len -= start;
    }
    flush_batch(r);
    return true;
}

static int parse_signal(const char *name)
{
    if (strcmp(name, "INT") == 0 || strcmp(name, "SIGINT") == 0)
        return SIGINT;
    if (strcmp(name, "TERM") == 0 || strcmp(name, "SIGTERM") == 0)
        return SIGTERM;
    if (strcmp(name, "QUIT") == 0 || strcmp(name, "SIGQUIT") == 0)
        return SIGQUIT;
    return 0;
}

static bool parse_options(int argc, char **argv, struct options *opt)
{
    static const struct option longopts[] = {
        {"service", required_argument, NULL, 's'},
        {"stop-signal", required_argument, NULL, 'k'},
        {"drain-ms", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opt->service = NULL;
    opt->stop_signal = SIGTERM;
    opt->drain_ms = 2000;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {

        switch (c) {
        case 's':
            opt->service = optarg;
            break;
        case 'k':
            opt->stop_signal = parse_signal(optarg);
            if (opt->stop_signal == 0)
                return false;
            break;
        case 'd':
            if (!config_parse_long(optarg, 0, 600000, &opt->drain_ms))
                return false;
            break;
        default:
            return false;
        }
    }
    if (opt->service == NULL || optind >= argc)
        return false;
    opt->argv = argv + optind;
    return true;
}

static pid_t spawn(char **argv, int out_fd, const sigset_t *blocked)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;

    /* Child: its own process group, so the whole tree can be signalled. */
    setpgid(0, 0);
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    /* lighttpd's access log stamps local time; the schema wants UTC. */
    setenv("TZ", "UTC", 1);
    /* The command starts with default signal handling, whatever ours is. */
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_UNBLOCK, blocked, NULL);
    execvp(argv[0], argv);
    dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void log_child_exit(const char *command, int status)
{
    struct log_line line;

    log_begin(&line,
              WIFEXITED(status) && WEXITSTATUS(status) == 0 ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
              "process exited");
    log_str(&line, "component", "supervisor");
    log_str(&line, "command", command);
    if (WIFEXITED(status))
        log_int(&line, "exit_code", WEXITSTATUS(status));
    else
        log_int(&line, "signal", WTERMSIG(status));
    log_end(&line);
}

/* Reaps children and forwards stop requests, one signalfd record at a time. */
static void handle_signal(const struct options *opt, int sig_fd, pid_t child, bool *child_done,
                          int *child_status)
{
    struct signalfd_siginfo info;
    struct log_line line;
    int status;
    pid_t pid;

    if (read(sig_fd, &info, sizeof(info)) != sizeof(info))
        return;
    if (info.ssi_signo == SIGCHLD) {
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != child)
                continue;
            *child_done = true;
            *child_status = status;
            log_child_exit(opt->argv[0], status);
            /* Whatever the command left running goes with it. */
            kill(-child, SIGTERM);
        }
        return;
    }
    if (*child_done)
        return;
    log_begin(&line, LOG_LEVEL_INFO, "stopping");
    log_str(&line, "component", "supervisor");
    log_str(&line, "received", sigabbrev_np((int)info.ssi_signo));
    log_str(&line, "sent", sigabbrev_np(opt->stop_signal));
    log_end(&line);
    kill(child, opt->stop_signal);
}

int main(int argc, char **argv)
{
    struct line_reader *reader;
    struct options opt;
    sigset_t blocked;
    int child_status = 0;
    bool child_done = false;
    bool output_open = true;
    long waited_ms = 0;
    int pipe_fds[2];
    int sig_fd;
    pid_t child;

    if (!parse_options(argc, argv, &opt)) {
        fprintf(stderr, "usage: supervisor --service NAME [--stop-signal INT|TERM|QUIT] "
                        "[--drain-ms N] -- COMMAND [ARG...]\n");
        return 2;
    }
    log_setup(opt.service, 1);
    reader = calloc(1, sizeof(*reader));
    if (reader == NULL)
        return 1;
    reader->ctx.service = opt.service;
    reader->ctx.component = opt.argv[0];

    /* A reader of our output that goes away must not kill us: the command
     * would be left without its supervisor. Its lines are then lost. */
    signal(SIGPIPE, SIG_IGN);
    /* Orphaned grandchildren (FastCGI workers) are reparented to us. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGHUP);
    sigaddset(&blocked, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    sig_fd = signalfd(-1, &blocked, SFD_CLOEXEC);
    if (sig_fd < 0 || pipe2(pipe_fds, O_CLOEXEC) != 0) {
        log_msg(LOG_LEVEL_ERROR, "cannot set up supervisor");
        free(reader);
        return 1;
    }
    /* Only more room: a pipe left at its default still works. */
    (void)fcntl(pipe_fds[0], F_SETPIPE_SZ, PIPE_SIZE);

    child = spawn(opt.argv, pipe_fds[1], &blocked);
    close(pipe_fds[1]);
    if (child < 0) {
        log_msg(LOG_LEVEL_ERROR, "cannot fork");
        free(reader);
        return 1;
    }

    /* Until the command has exited and its output is drained (or stalls). */
    while (!child_done || (output_open && waited_ms < opt.drain_ms)) {
        struct pollfd fds[2] = {{sig_fd, POLLIN, 0}, {pipe_fds[0], POLLIN, 0}};
        int timeout = child_done ? 100 : -1;
        int ready = poll(fds, output_open ? 2 : 1, timeout);

        if (ready < 0 && errno != EINTR)
            break;
        if (ready == 0) {
            /* The command is gone but something still holds the pipe open. */
            waited_ms += timeout;
            continue;
        }
        if (output_open && (fds[1].revents & (POLLIN | POLLHUP))) {
            output_open = read_lines(reader, pipe_fds[0]);
            /* Let lines gather: many per read and write instead of one. */
            if (output_open)
                nanosleep(&coalesce, NULL);
        }
        if (fds[0].revents & POLLIN)
            handle_signal(&opt, sig_fd, child, &child_done, &child_status);
    }

    free(reader);
    if (WIFEXITED(child_status))
        return WEXITSTATUS(child_status);
    return 128 + WTERMSIG(child_status);
}
