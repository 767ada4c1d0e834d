/*
 * fast_team.h - a team of threads that runs a sequence of phases of
 * independent work units, and never waits for a thread that is not working.
 *
 * A job is `steps` steps of `phases` phases each (training: per batch, the
 * blocks of layer 1's neurons, then the row blocks, or with two layers the
 * blocks only; fast_train.c). The units of one phase are independent; a
 * phase starts when every unit of the previous one is done.
 * Units are claimed, not assigned: thread t first takes the units of its own
 * contiguous range (the job's split, or equal ranges: so it keeps its data
 * in its cache from step to step),
 * then takes what is left in the others' ranges. A thread the operating
 * system has descheduled therefore delays a phase by at most the one unit it
 * holds, and not at all between units: the others do its share. A thread
 * that runs out of work first does what the job's idle hook gives it (work
 * for later that only it touches), then spins for a few microseconds, then
 * sleeps on a condition variable until the phase is done.
 *
 * Adaptive thread count (fast_adapt, off unless asked for): the team
 * measures the wall time of each window of steps, parks threads when fewer
 * are faster and probes the other count now and then. On a machine shared
 * with many busy programs the windows are too noisy for this to pay (more
 * threads also get more of the CPU there), so `nntrace mnist` leaves it off
 * by default; the claimed units alone keep a busy machine from stalling the
 * team. Which thread runs which unit never changes a number, so the results
 * are the same for any thread count and any parking.
 *
 * A team of two or more threads pins each thread to its own CPU for the job
 * (fast_team.c says when and why), so a range's data stays in one core's
 * cache even when its thread sleeps between phases. A pinned team without
 * adaptation also watches how long its threads wait for their CPUs: when
 * another program keeps some of them busy and others are free, the threads
 * on the free ones do the work for a while (fast_team_spread).
 *
 * No global state: the team lives on fast_team_run's stack for one job.
 */
#ifndef NNTRACE_FAST_TEAM_H
#define NNTRACE_FAST_TEAM_H

#include "fast.h"

#define FAST_TEAM_MAX 64      /* threads */

typedef struct {
    /* Units in phase `phase` of step `step`, >= 1. */
    int (*count)(void *ctx, long step, int phase);
    /* Run unit u (0 <= u < count) of that phase; on any thread, each unit
     * once. thread (0 .. threads-1) says which thread runs it, for data a
     * job keeps per thread. */
    void (*unit)(void *ctx, long step, int phase, int u, int thread);
    /* The first unit of thread r's own range of that phase (r of `ranges`;
     * nondecreasing in r, 0 for r = 0, the count for r = ranges), so a job
     * can keep the units that touch the same data on the same thread from
     * phase to phase; NULL: equal ranges. Called from any thread. */
    int (*split)(void *ctx, long step, int phase, int r, int ranges);
    /* After the last unit of a phase and before any unit of the next, on one
     * thread; may be NULL. */
    void (*after)(void *ctx, long step, int phase);
    /* Called by a thread that has nothing left to claim in that phase, while
     * it waits for the others: a short piece of work for later (it may run
     * on into the next phase) on data that no unit on another thread reads
     * or writes; 0 when there is none. Called again, while the phase lasts,
     * as long as it returns 1. May be NULL. */
    int (*idle)(void *ctx, long step, int phase, int thread);
    void *ctx;
    long steps;
    int phases;
} fast_job;

typedef enum {
    FAST_ADAPT_OFF = 0, /* always every thread */
    FAST_ADAPT_ON,      /* measure and park threads when fewer are faster */
    FAST_ADAPT_CYCLE    /* tests: the active count cycles 1..threads every step */
} fast_adapt_mode;

/* What the busy-CPU check of a pinned team (fast_team_spread) found,
 * carried from one job to the next in fast_adapt, so an epoch starts
 * where the last one left off instead of spending a window finding the
 * busy CPU again. */
typedef struct {
    int threads;                      /* the team size it was found for; 0 = nothing yet */
    int k;                            /* > 0: threads 0..k-1 run alone, on cpu[], */
    int cpu[FAST_TEAM_MAX];
    double retry_at;                  /* until then (fast_now) */
    double retry_s;                   /* the wait before the next retry */
    int retried;                      /* every CPU is being tried again */
    int free;                         /* the last window found every CPU free: spin long */
} fast_spread_state;

/* Adaptive state, kept by the caller across jobs (epochs); zero it first. */
typedef struct {
    fast_adapt_mode mode;
    int active;                       /* threads taking part; 0 = not started */
    int probe_from;                   /* the count a probe window left; 0 = none */
    int interval, since;              /* windows between probes for more threads */
    double est[FAST_TEAM_MAX + 1];    /* last window's mean step time per count */
    double best[FAST_TEAM_MAX + 1];   /* best window at that count (0 = none) */
    int win_n;                        /* steps in the current window */
    double win_t0;                    /* when the window's first step began */
    double thread_steps, steps;       /* sum over steps of the active count; steps */
    long sleeps;                      /* waits for a phase that ended asleep */
    fast_spread_state spread;         /* mode OFF: the busy-CPU check's finding */
} fast_adapt;

/* Run job on `threads` threads (1..FAST_TEAM_MAX; fewer when the OpenMP
 * runtime gives fewer). adapt may be NULL (every thread, every step).
 * FAST_ERR_ARG for bad arguments, FAST_ERR_NOMEM when a mutex or condition
 * variable cannot be made. */
fast_status fast_team_run(const fast_job *job, int threads, fast_adapt *adapt);

/* The CPUs a team of `threads` is pinned to, into out[]: of the n allowed
 * CPUs cpus[] (in order) with their cores (package and core id; -1 when
 * unknown), first one CPU per core, then the cores' other CPUs, so two
 * threads on a machine with hyperthreads run on two cores however the
 * system numbers the siblings. Returns how many were picked (< threads
 * when there are fewer CPUs). */
int fast_team_pick_cpus(const int *cpus, const long *cores, int n, int threads, int *out);

/* Which of n pinned threads should run when other programs keep some of
 * their CPUs busy: q[t] is the share of the last window thread t spent
 * runnable but waiting for its CPU. When some wait for a fifth of it or
 * more while others wait for 2% or less, those others are kept: their
 * indices into keep[] (ascending) and their number is returned. Otherwise
 * (every CPU free, or every one busy, when more threads still get more of
 * the machine) all n, keep[t] = t. */
int fast_team_spread(const double *q, int n, int *keep);

/* From the same shares: 1 when every thread waited for its CPU 2% of the
 * window or less, so no other program wants the team's CPUs and a thread
 * waiting for a phase may spin long instead of sleeping. */
int fast_team_all_free(const double *q, int n);

/* What one wait of a team of `threads` costs on this machine: the median
 * over 5 runs of `phases` (>= 1) phases of one empty unit per thread, in
 * seconds per phase, into *seconds. Each phase still passes the done count,
 * the claims and the phase number between the threads' cores, so this is
 * the least a phase boundary of fast_train.c costs (training has two per
 * batch). FAST_ERR_ARG or FAST_ERR_NOMEM as fast_team_run. */
fast_status fast_team_wait_cost(int threads, long phases, double *seconds);

/* How long one cache line takes to go from one of the team's CPUs to
 * another and back (two threads pinned as a team of two would be; the
 * median of 5 runs of `trips` round trips), in seconds, into *seconds. The
 * 2-thread epoch follows it: only the parts of layer 2 pass between the
 * cores, and on a virtual machine the host may place the two vCPUs near
 * each other in one minute and far apart in the next. FAST_ERR_ARG for
 * trips < 1, fewer than two threads or CPUs, or a run over 1 s. */
fast_status fast_team_line_trip(long trips, double *seconds);

/* Mean number of threads that took part per step since adapt was zeroed. */
double fast_adapt_mean(const fast_adapt *adapt);

#endif
