/*
 * fast_team.c - phases of claimed work units on an OpenMP team, with
 * bounded spinning, sleeping waits and an adaptive thread count.
 *
 * The phases of a job are numbered g = step * phases + phase. Shared words
 * carry the number of the phase they belong to in their high 32 bits, so a
 * thread that was descheduled for a while can never act on a later phase by
 * mistake:
 *
 *   cur          every phase < cur is done; phase cur is open
 *   units        (g << 32) | units in phase g
 *   claim[r]     (g << 32) | next unclaimed unit of range r (compare-exchange)
 *   done         (g << 32) | units of phase g finished
 *
 * A thread adds the units it ran to done once, when no unit of the phase
 * is left to claim (one atomic add per thread and phase, not per unit: the
 * done word is the one line every thread writes). The thread whose add
 * completes phase g runs the job's `after` hook (and, at the end of a step, the adaptive controller), opens phase
 * g + 1 (units, claims, done) and only then publishes cur = g + 1 with
 * release order; every unit's writes are before its acq_rel increment of
 * done, so a thread that sees cur > g (acquire) sees them all. Sleepers are
 * counted; the finisher wakes them when there are any (seq_cst on both sides,
 * so either the finisher sees the sleeper or the sleeper sees the new cur).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE              /* sched_setaffinity, cpu_set_t */
#endif
#include "fast_team.h"
#include "fast_train.h"          /* fast_now */

#ifdef _OPENMP
#include <omp.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__linux__)
#include <sched.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
#endif

/* Waiting for a phase: spin this long, then sleep; SPIN_FREE_S while the
 * busy-CPU check (cpu_check) finds no other program waiting for the team's
 * CPUs. A sleep is not free: the waker's futex call, and on a virtual
 * machine the sleeper's CPU halted and woken again. Spinning only costs
 * another program the CPU it wants, and the check sees such a program
 * within a window. */
#define SPIN_S 30e-6
#define SPIN_FREE_S 2e-3
/* Adaptive controller: steps and seconds (at least) per measuring window; a count is tried again
 * when its window is this much slower than its best; a probe wins when it is
 * this much faster than the count it left. */
#define WINDOW_STEPS 16
#define WINDOW_S 0.02
#define DEGRADED 1.25
#define PROBE_WIN 0.9
#define INTERVAL_MIN 4
#define INTERVAL_MAX 256
/* The busy-CPU check of a pinned team (cpu_check): steps and seconds (at
 * least) per window (long enough to span many of the scheduler's time
 * slices when two programs share a CPU); the share of a window a thread
 * spends waiting in its CPU's run queue when another program keeps that CPU
 * busy, and at most when its CPU is free; how long the team then runs on
 * the free CPUs only before it tries every CPU again, doubled up to
 * RETRY_MAX_S each time the CPUs are still busy. */
#define CHECK_STEPS 64
#define CHECK_S 0.05
#define BUSY_Q 0.20
#define FREE_Q 0.02
#define RETRY_S 0.25
#define RETRY_MAX_S 2.0

typedef struct {
    _Alignas(64) _Atomic uint64_t v;
} slot;

typedef struct {
    const fast_job *job;
    fast_adapt *adapt;
    int T;                       /* threads asked for = claim ranges */
    uint64_t total;              /* phases in the job */
    slot cur, units, done;
    slot claim[FAST_TEAM_MAX];
    _Alignas(64) _Atomic int active;
    _Atomic int spin_free;       /* wait SPIN_FREE_S, not SPIN_S (cpu_check) */
    _Atomic int sleepers;
    _Atomic long sleeps;         /* waits that ended asleep */
    pthread_mutex_t mu;
    pthread_cond_t phase_cv;     /* a phase ended */
    pthread_cond_t park_cv;      /* the active count changed, or the job ended */
#if defined(__linux__)
    int pin;                     /* pin thread t to cpu[t] */
    int cpu[FAST_TEAM_MAX];
    _Atomic pid_t tid[FAST_TEAM_MAX];    /* each thread's id, 0 until it starts */
    /* cpu_check's window, touched only in finish (one thread at a time),
     * and its finding (in the caller's fast_adapt when there is one) */
    int win_ok, win_steps;
    double win_t0;
    unsigned long long wait0[FAST_TEAM_MAX];
    fast_spread_state own, *sp;
#endif
} team;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint64_t tag(uint64_t g, uint64_t low) { return g << 32 | low; }

/* The first unit of range r (0..T) of phase g with n units. */
static uint64_t range_start(const team *tm, uint64_t g, uint64_t n, int r)
{
    const fast_job *job = tm->job;
    if (r <= 0)
        return 0;
    if (r >= tm->T)
        return n;
    if (job->split) {
        int s = job->split(job->ctx, (long)(g / (uint64_t)job->phases),
                           (int)(g % (uint64_t)job->phases), r, tm->T);
        return s < 0 ? 0 : (uint64_t)s > n ? n : (uint64_t)s;
    }
    return n * (uint64_t)r / (uint64_t)tm->T;
}

/* Units, claims and done of phase g (before cur = g is published). */
static void open_phase(team *tm, uint64_t g)
{
    const fast_job *job = tm->job;
    uint64_t n = (uint64_t)job->count(job->ctx, (long)(g / (uint64_t)job->phases),
                                      (int)(g % (uint64_t)job->phases));
    atomic_store_explicit(&tm->units.v, tag(g, n), memory_order_relaxed);
    for (int r = 0; r < tm->T; r++)
        atomic_store_explicit(&tm->claim[r].v, tag(g, range_start(tm, g, n, r)),
                              memory_order_relaxed);
    atomic_store_explicit(&tm->done.v, tag(g, 0), memory_order_relaxed);
}

/* The next unit of range r of phase g (n units), or -1. */
static int claim(team *tm, int r, uint64_t g, uint64_t n)
{
    const uint64_t hi = range_start(tm, g, n, r + 1);
    uint64_t v = atomic_load_explicit(&tm->claim[r].v, memory_order_relaxed);
    for (;;) {
        if (v >> 32 != g || (v & 0xffffffffu) >= hi)
            return -1;
        if (atomic_compare_exchange_weak_explicit(&tm->claim[r].v, &v, v + 1,
                                                  memory_order_relaxed, memory_order_relaxed))
            return (int)(v & 0xffffffffu);
    }
}

/* ------------------------------------------------------------ adaptation */

/* At the end of each step: the active count for the next step. */
static int adapt_step(fast_adapt *ad, int a, int T)
{
    const double now = fast_now();
    ad->thread_steps += a;
    ad->steps += 1;
    if (ad->mode == FAST_ADAPT_OFF || T == 1)
        return T;
    if (ad->mode == FAST_ADAPT_CYCLE)
        return a % T + 1;
    if (ad->win_n < 0) {              /* the step after a change is not measured */
        ad->win_n = 0;
        ad->win_t0 = now;
        return a;
    }
    if (++ad->win_n < WINDOW_STEPS || now - ad->win_t0 < WINDOW_S)
        return a;

    const double m = (now - ad->win_t0) / ad->win_n;
    int next = a;
    ad->est[a] = m;
    if (ad->best[a] == 0 || m < ad->best[a])
        ad->best[a] = m;
    if (ad->interval < INTERVAL_MIN)
        ad->interval = INTERVAL_MIN;
    if (ad->probe_from) {             /* this window was a probe away from probe_from */
        const int b = ad->probe_from;
        ad->probe_from = 0;
        ad->since = 0;
        if (m < PROBE_WIN * ad->est[b]) {
            ad->interval = INTERVAL_MIN;       /* the probe won: stay */
        } else {
            if (a > b)                         /* more threads did not help: wait longer */
                ad->interval = ad->interval * 2 > INTERVAL_MAX ? INTERVAL_MAX
                                                               : ad->interval * 2;
            else                               /* fewer did not help: this is the new normal */
                ad->best[b] = ad->est[b];
            next = b;
        }
    } else if (a < T && ++ad->since >= ad->interval) {
        ad->probe_from = a;
        next = 2 * a < T ? 2 * a : T;
    } else if (a > 1 && m > DEGRADED * ad->best[a]) {
        ad->probe_from = a;
        next = a / 2;
    }
    ad->win_n = next != a ? -1 : 0;
    ad->win_t0 = now;
    return next;
}

double fast_adapt_mean(const fast_adapt *adapt)
{
    return adapt->steps > 0 ? adapt->thread_steps / adapt->steps : 0.0;
}

/* ------------------------------------------------------------ busy CPUs */

int fast_team_spread(const double *q, int n, int *keep)
{
    int k = 0, busy = 0;
    for (int t = 0; t < n; t++) {
        if (q[t] >= BUSY_Q)
            busy++;
        else if (q[t] <= FREE_Q)
            keep[k++] = t;
    }
    if (busy > 0 && k > 0)
        return k;
    for (int t = 0; t < n; t++)
        keep[t] = t;
    return n;
}

int fast_team_all_free(const double *q, int n)
{
    for (int t = 0; t < n; t++)
        if (!(q[t] <= FREE_Q))
            return 0;
    return 1;
}

#if defined(__linux__)
/* Nanoseconds thread tid has spent runnable but waiting for its CPU. */
static int run_queue_ns(pid_t tid, unsigned long long *ns)
{
    char path[64];
    unsigned long long run;
    const int len = snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    if (tid <= 0 || len < 0 || (size_t)len >= sizeof path)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    const int ok = fscanf(f, "%llu %llu", &run, ns) == 2;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Pin thread tid (0: the calling thread) to cpu; 0 on success. A failure
 * only costs speed: the thread runs where it is. */
static int pin_to(pid_t tid, int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(tid, sizeof one, &one);
}

/* Start a window at `now` with the run-queue times w[] (NULL: read them). */
static void check_window(team *tm, double now, const unsigned long long *w)
{
    tm->win_ok = 1;
    tm->win_steps = 0;
    tm->win_t0 = now;
    for (int t = 0; t < tm->T; t++)
        if (w)
            tm->wait0[t] = w[t];
        else if (run_queue_ns(atomic_load(&tm->tid[t]), &tm->wait0[t]) != 0)
            tm->win_ok = 0;
}

/* The check's finding that every CPU is free: kept for the next job (sp)
 * and read by the waiting threads (spin_free). */
static void set_free(team *tm, int free)
{
    tm->sp->free = free;
    atomic_store_explicit(&tm->spin_free, free, memory_order_relaxed);
}
#endif

/* At the end of each step of a pinned team without --adapt: the active
 * count for the next step. When another program keeps some of the team's
 * CPUs busy and others are free (a thread there waits in the run queue for
 * a fifth of the window or more, while another waits for 2% or less), the
 * threads on free CPUs do all the work: the first k threads move to those
 * CPUs and the rest are parked, since a thread that shares its CPU holds up
 * every phase its unit is in. After RETRY_S every CPU is tried again (and
 * after twice as long each time they are still busy). With every CPU busy
 * nothing changes: more threads then still get more of the machine. */
static int cpu_check(team *tm, int a)
{
#if defined(__linux__)
    if (!tm->pin || tm->T < 2)
        return a;
    fast_spread_state *sp = tm->sp;
    const double now = fast_now();
    if (sp->k > 0) {
        if (now < sp->retry_at)
            return a;
        for (int t = 0; t < tm->T; t++)
            (void)pin_to(atomic_load(&tm->tid[t]), tm->cpu[t]);
        sp->k = 0;
        sp->retried = 1;
        set_free(tm, 0);
        check_window(tm, now, NULL);
        return tm->T;
    }
    if (!tm->win_ok) {                 /* a thread not started, or no schedstat: retry later */
        if (now - tm->win_t0 >= CHECK_S)
            check_window(tm, now, NULL);
        return a;
    }
    if (++tm->win_steps < CHECK_STEPS || now - tm->win_t0 < CHECK_S)
        return a;
    double q[FAST_TEAM_MAX];
    int keep[FAST_TEAM_MAX];
    unsigned long long w[FAST_TEAM_MAX];
    for (int t = 0; t < tm->T; t++) {
        if (run_queue_ns(atomic_load(&tm->tid[t]), &w[t]) != 0) {
            check_window(tm, now, NULL);
            return a;
        }
        q[t] = (double)(w[t] - tm->wait0[t]) * 1e-9 / (now - tm->win_t0);
    }
    check_window(tm, now, w);          /* the next window starts from these readings */
    set_free(tm, fast_team_all_free(q, tm->T));
    const int k = fast_team_spread(q, tm->T, keep);
    if (k == tm->T || a != tm->T) {
        sp->retried = 0;
        sp->retry_s = RETRY_S;
        return a;
    }
    for (int i = 0; i < k; i++) {
        sp->cpu[i] = tm->cpu[keep[i]];
        (void)pin_to(atomic_load(&tm->tid[i]), sp->cpu[i]);
    }
    if (sp->retried)                   /* still busy: wait longer before the next try */
        sp->retry_s = sp->retry_s * 2 > RETRY_MAX_S ? RETRY_MAX_S : sp->retry_s * 2;
    sp->k = k;
    sp->retried = 0;
    sp->retry_at = now + sp->retry_s;
    return k;
#else
    (void)tm;
    return a;
#endif
}

/* ------------------------------------------------------------ the team */

/* The last unit of phase g is done: hooks, open g + 1, publish, wake. */
static void finish(team *tm, uint64_t g)
{
    const fast_job *job = tm->job;
    const long step = (long)(g / (uint64_t)job->phases);
    const int phase = (int)(g % (uint64_t)job->phases);
    const int a = atomic_load_explicit(&tm->active, memory_order_relaxed);
    int next = a;

    if (job->after)
        job->after(job->ctx, step, phase);
    if (phase == job->phases - 1) {
        if (tm->adapt)
            next = adapt_step(tm->adapt, a, tm->T);
        if (!tm->adapt || tm->adapt->mode == FAST_ADAPT_OFF)
            next = cpu_check(tm, a);
    }
    if (g + 1 < tm->total)
        open_phase(tm, g + 1);
    if (next != a || g + 1 == tm->total) {
        pthread_mutex_lock(&tm->mu);
        atomic_store(&tm->active, next);
        atomic_store(&tm->cur.v, g + 1);
        pthread_cond_broadcast(&tm->park_cv);
        pthread_cond_broadcast(&tm->phase_cv);
        pthread_mutex_unlock(&tm->mu);
    } else {
        atomic_store(&tm->cur.v, g + 1);
        if (atomic_load(&tm->sleepers) > 0) {
            pthread_mutex_lock(&tm->mu);
            pthread_cond_broadcast(&tm->phase_cv);
            pthread_mutex_unlock(&tm->mu);
        }
    }
}

/* A thread whose own range of a phase was empty gives the others this long
 * to claim their units before it takes one of theirs: a unit that moves to
 * another thread drags its data through the caches (a block of
 * fast_train.c: 200 KB of weights, its activations and deltas), so only a
 * thread that is really not running should lose its units. (A network
 * with one block of layer 1 on two threads, 784-64-10, took 0.102 s per epoch with the block bouncing
 * between the cores every batch, against 0.069 s on one thread.) */
#define STEAL_WAIT_S 20e-6

/* Spin until phase g is done (1) or `seconds` have passed (0). */
static int spin_phase(const team *tm, uint64_t g, double seconds)
{
    const double t0 = fast_now();
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&tm->cur.v, memory_order_acquire) > g)
            return 1;
        if (i % 64 == 0 && fast_now() - t0 > seconds)
            return 0;
        cpu_relax();
    }
}

/* Until phase g is done: the job's idle work, then spin SPIN_S, then sleep. */
static void wait_phase(team *tm, uint64_t g, int id)
{
    const fast_job *job = tm->job;
    if (job->idle) {
        const long step = (long)(g / (uint64_t)job->phases);
        const int phase = (int)(g % (uint64_t)job->phases);
        while (atomic_load_explicit(&tm->cur.v, memory_order_acquire) <= g &&
               job->idle(job->ctx, step, phase, id))
            ;
    }
    if (spin_phase(tm, g, atomic_load_explicit(&tm->spin_free, memory_order_relaxed)
                              ? SPIN_FREE_S : SPIN_S))
        return;
    atomic_fetch_add(&tm->sleepers, 1);
    atomic_fetch_add_explicit(&tm->sleeps, 1, memory_order_relaxed);
    pthread_mutex_lock(&tm->mu);
    while (atomic_load(&tm->cur.v) <= g)
        pthread_cond_wait(&tm->phase_cv, &tm->mu);
    pthread_mutex_unlock(&tm->mu);
    atomic_fetch_sub(&tm->sleepers, 1);
}

/* Thread id is not needed now: sleep until it is, or the job ends. */
static void park(team *tm, int id)
{
    pthread_mutex_lock(&tm->mu);
    while (id >= atomic_load(&tm->active) && atomic_load(&tm->cur.v) < tm->total)
        pthread_cond_wait(&tm->park_cv, &tm->mu);
    pthread_mutex_unlock(&tm->mu);
}

/* Pinning. A thread that sleeps at a phase's end may wake on the other
 * core, and then its block of W^[1] and the batch's images (fast_train.c)
 * must follow it through the caches: on the 2-core machine of the README,
 * unpinned 2-thread epochs came out anywhere from 0.072 to 0.099 s, pinned
 * ones at 0.072-0.073 s, and pinned was as fast or faster with one or two
 * busy loops running too. So each thread of a team of two or more, with no
 * more threads than the process may use CPUs, runs on one of them for the
 * job, unless the user set OMP_PROC_BIND (then the OpenMP runtime's binding
 * stands). One thread is never pinned: it has nothing to keep near another
 * thread, and it must stay free to leave a CPU that another program is
 * using. */
#if defined(__linux__)
/* CPU c's core as package * 65536 + core id, from sysfs; -1 when unknown
 * (then the CPU counts as a core of its own). */
static long core_of(int c)
{
    char path[96];
    long id[2];
    static const char *const file[2] = {"physical_package_id", "core_id"};
    for (int k = 0; k < 2; k++) {
        const int len = snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/%s",
                                 c, file[k]);
        if (len < 0 || (size_t)len >= sizeof path)
            return -1;
        FILE *f = fopen(path, "r");
        if (!f)
            return -1;
        const int ok = fscanf(f, "%ld", &id[k]) == 1;
        if (fclose(f) != 0 || !ok || id[k] < 0)
            return -1;
    }
    return id[0] * 65536 + id[1];
}
#endif

int fast_team_pick_cpus(const int *cpus, const long *cores, int n, int threads, int *out)
{
    int got = 0, used[FAST_TEAM_MAX] = {0};    /* used[k]: index into cpus of out[k] */
    for (int pass = 0; pass < 2 && got < threads && got < FAST_TEAM_MAX; pass++)
        for (int i = 0; i < n && got < threads && got < FAST_TEAM_MAX; i++) {
            int skip = 0;
            for (int k = 0; k < got && !skip; k++)
                skip = used[k] == i ||
                       (pass == 0 && cores[i] >= 0 && cores[used[k]] == cores[i]);
            if (skip)
                continue;
            used[got] = i;
            out[got++] = cpus[i];
        }
    return got;
}

#if defined(__linux__)
/* The CPUs for `threads` pinned threads (fast_team_pick_cpus over the
 * CPUs this process may use) into cpu[]: 1, or 0 when the team is not
 * pinned (one thread, fewer CPUs than threads, or OMP_PROC_BIND set). */
static int team_cpus(int threads, int *cpu)
{
    cpu_set_t allowed;
    int cpus[FAST_TEAM_MAX * 4], n = 0;
    long cores[FAST_TEAM_MAX * 4];
    if (threads < 2 || getenv("OMP_PROC_BIND") != NULL ||
        sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < threads)
        return 0;
    for (int c = 0; c < CPU_SETSIZE && n < FAST_TEAM_MAX * 4; c++)
        if (CPU_ISSET(c, &allowed)) {
            cpus[n] = c;
            cores[n++] = core_of(c);
        }
    return fast_team_pick_cpus(cpus, cores, n, threads, cpu) == threads;
}
#endif

static void pin_setup(team *tm, int threads)
{
#if defined(__linux__)
    tm->pin = team_cpus(threads, tm->cpu);
#else
    (void)tm;
    (void)threads;
#endif
}

/* A job that starts while the last one's busy-CPU check still has the
 * team on the free CPUs: threads 0..k-1 start there (pin_self) and the
 * rest are parked; once the retry time has passed, every CPU is tried. */
static void spread_carry(team *tm)
{
#if defined(__linux__)
    fast_spread_state *sp = tm->sp;
    if (sp->k == 0)
        return;
    if (!tm->pin || fast_now() >= sp->retry_at) {
        sp->k = 0;
        sp->retried = tm->pin;
        return;
    }
    atomic_store(&tm->active, sp->k);
#else
    (void)tm;
#endif
}

#if defined(__linux__)
/* Pin the calling thread to cpu, keeping its mask in *saved; 0 when
 * nothing was changed. A failure only costs speed, so it is not an error:
 * the thread runs where the system puts it. */
static int pin_keep(int cpu, cpu_set_t *saved)
{
    return sched_getaffinity(0, sizeof *saved, saved) == 0 && pin_to(0, cpu) == 0;
}

/* The calling thread's mask back as pin_keep kept it. */
static void unpin(const cpu_set_t *saved)
{
    if (sched_setaffinity(0, sizeof *saved, saved) != 0) {
        /* it stays on its CPU: later parallel regions may be slower, no more */
    }
}

/* Pin the calling thread (id) to its CPU in the team, as pin_keep. */
static int pin_self(const team *tm, int id, cpu_set_t *saved)
{
    return tm->pin && pin_keep(id < tm->sp->k ? tm->sp->cpu[id] : tm->cpu[id], saved);
}
#endif

static void worker(team *tm, int id);

/* worker, pinned for the job when the team pins, and unpinned after. */
static void run_worker(team *tm, int id)
{
#if defined(__linux__)
    atomic_store(&tm->tid[id], (pid_t)syscall(SYS_gettid));
    cpu_set_t saved;
    const int pinned = pin_self(tm, id, &saved);
    worker(tm, id);
    if (pinned)
        unpin(&saved);
#else
    worker(tm, id);
#endif
}

static void worker(team *tm, int id)
{
    const fast_job *job = tm->job;
    uint64_t g = 0;
    for (;;) {
        const uint64_t c = atomic_load_explicit(&tm->cur.v, memory_order_acquire);
        if (c >= tm->total)
            return;
        if (g < c)                    /* descheduled or parked: the others went on */
            g = c;
        if (id >= atomic_load_explicit(&tm->active, memory_order_relaxed)) {
            park(tm, id);
            continue;
        }
        const uint64_t uw = atomic_load_explicit(&tm->units.v, memory_order_relaxed);
        if (uw >> 32 == g) {
            const uint64_t n = uw & 0xffffffffu;
            const long step = (long)(g / (uint64_t)job->phases);
            const int phase = (int)(g % (uint64_t)job->phases);
            uint64_t mine = 0;        /* units run here, counted into done at the end */
            for (int k = 0; k < tm->T; k++) {
                const int r = (id + k) % tm->T;
                int u;
                if (k == 1 && mine == 0)
                    (void)spin_phase(tm, g, STEAL_WAIT_S);   /* the owner's chance */
                while ((u = claim(tm, r, g, n)) >= 0) {
                    job->unit(job->ctx, step, phase, u, id);
                    mine++;
                }
            }
            if (mine > 0) {
                uint64_t d = atomic_fetch_add_explicit(&tm->done.v, mine,
                                                       memory_order_acq_rel) + mine;
                if ((d & 0xffffffffu) == n)
                    finish(tm, g);
            }
        }
        wait_phase(tm, g, id);
        g++;
    }
}

fast_status fast_team_run(const fast_job *job, int threads, fast_adapt *adapt)
{
    team tm;
    fast_status st = FAST_OK;

    if (!job || !job->count || !job->unit || job->phases < 1 || job->steps < 0 ||
        threads < 1 || threads > FAST_TEAM_MAX ||
        (uint64_t)job->steps * (uint64_t)job->phases >= (uint64_t)1 << 32)
        return FAST_ERR_ARG;
    if (job->steps == 0)
        return FAST_OK;
    tm.job = job;
    tm.adapt = adapt;
    tm.T = threads;
    tm.total = (uint64_t)job->steps * (uint64_t)job->phases;
    if (adapt) {
        if (adapt->active < 1 || adapt->active > threads)
            adapt->active = threads;
        adapt->win_n = -1;            /* the first step wakes the threads: not measured */
        adapt->probe_from = 0;
    }
    atomic_init(&tm.active, adapt && adapt->mode != FAST_ADAPT_OFF ? adapt->active : threads);
    atomic_init(&tm.spin_free, 0);
    atomic_init(&tm.sleepers, 0);
    atomic_init(&tm.sleeps, 0);
    atomic_init(&tm.cur.v, 0);
    atomic_init(&tm.units.v, 0);
    atomic_init(&tm.done.v, 0);
#if defined(__linux__)
    for (int t = 0; t < FAST_TEAM_MAX; t++)
        atomic_init(&tm.tid[t], 0);
    tm.win_ok = tm.win_steps = 0;
    tm.win_t0 = 0.0;
    tm.sp = adapt ? &adapt->spread : &tm.own;
    if (!adapt || tm.sp->threads != threads)
        *tm.sp = (fast_spread_state){.threads = threads, .retry_s = RETRY_S};
#endif
    for (int r = 0; r < threads; r++)
        atomic_init(&tm.claim[r].v, 0);
    if (pthread_mutex_init(&tm.mu, NULL) != 0)
        return FAST_ERR_NOMEM;
    if (pthread_cond_init(&tm.phase_cv, NULL) != 0) {
        pthread_mutex_destroy(&tm.mu);
        return FAST_ERR_NOMEM;
    }
    if (pthread_cond_init(&tm.park_cv, NULL) != 0) {
        st = FAST_ERR_NOMEM;
        goto cleanup;
    }
    open_phase(&tm, 0);
    pin_setup(&tm, threads);
    spread_carry(&tm);
#if defined(__linux__)
    atomic_store(&tm.spin_free, tm.pin && tm.sp->k == 0 && tm.sp->free);
#endif

#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    run_worker(&tm, omp_get_thread_num());
#else
    run_worker(&tm, 0);
#endif
    if (adapt) {
        adapt->active = atomic_load(&tm.active);
        adapt->sleeps += atomic_load(&tm.sleeps);
    }
    pthread_cond_destroy(&tm.park_cv);
cleanup:
    pthread_cond_destroy(&tm.phase_cv);
    pthread_mutex_destroy(&tm.mu);
    return st;
}

/* ------------------------------------------------------------ wait cost */

static int empty_count(void *ctx, long step, int phase)
{
    (void)step;
    (void)phase;
    return *(const int *)ctx;
}

static void empty_unit(void *ctx, long step, int phase, int u, int thread)
{
    (void)ctx;
    (void)step;
    (void)phase;
    (void)u;
    (void)thread;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

fast_status fast_team_wait_cost(int threads, long phases, double *seconds)
{
    enum { RUNS = 5 };
    double t[RUNS];
    int units = threads;
    const fast_job job = {.count = empty_count, .unit = empty_unit, .ctx = &units,
                          .steps = phases, .phases = 1};
    if (phases < 1)
        return FAST_ERR_ARG;
    for (int r = 0; r < RUNS; r++) {
        const double t0 = fast_now();
        const fast_status st = fast_team_run(&job, threads, NULL);
        if (st != FAST_OK)
            return st;
        t[r] = (fast_now() - t0) / (double)phases;
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    *seconds = t[RUNS / 2];
    return FAST_OK;
}

/* ------------------------------------------------------------ line trip */

/* One run of `trips` round trips of one cache line between threads 0 and 1
 * of a 2-thread region, each on its CPU: thread 0 writes 2i+1 and waits
 * for 2i+2, thread 1 answers. Seconds per round trip, or -1 when the run
 * took longer than LINE_TRIP_MAX_S (the threads share a CPU: another
 * program pinned, say) or the runtime gave fewer threads. */
#define LINE_TRIP_MAX_S 1.0
#define LINE_STOP UINT64_MAX

static double line_run(const int *cpu, long trips)
{
    slot line;
    double took = -1.0;
    atomic_init(&line.v, 0);
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
    {
        const int id = omp_get_thread_num();
        if (omp_get_num_threads() == 2) {
#if defined(__linux__)
            cpu_set_t saved;
            const int pinned = cpu && pin_keep(cpu[id], &saved);
#endif
#pragma omp barrier
            if (id == 0) {
                const double t0 = fast_now();
                int late = 0;
                for (long i = 0; i < trips && !late; i++) {
                    atomic_store_explicit(&line.v, (uint64_t)(2 * i + 1), memory_order_release);
                    for (unsigned spins = 1; !late && atomic_load_explicit(&line.v,
                             memory_order_acquire) != (uint64_t)(2 * i + 2); spins++) {
                        late = spins % 1024 == 0 && fast_now() - t0 > LINE_TRIP_MAX_S;
                        cpu_relax();
                    }
                }
                if (!late)
                    took = (fast_now() - t0) / (double)trips;
                atomic_store_explicit(&line.v, LINE_STOP, memory_order_release);
            } else {
                for (long i = 0; i < trips; i++) {
                    uint64_t v;
                    while ((v = atomic_load_explicit(&line.v, memory_order_acquire)) !=
                           (uint64_t)(2 * i + 1) && v != LINE_STOP)
                        cpu_relax();
                    if (v == LINE_STOP)
                        break;
                    atomic_store_explicit(&line.v, (uint64_t)(2 * i + 2), memory_order_release);
                }
            }
#if defined(__linux__)
            if (pinned)
                unpin(&saved);
#endif
        }
    }
#else
    (void)cpu;
    (void)trips;
    (void)line;
#endif
    return took;
}

fast_status fast_team_line_trip(long trips, double *seconds)
{
    enum { RUNS = 5 };
    double t[RUNS];
    int cpu[2], *pin = NULL;
    if (trips < 1)
        return FAST_ERR_ARG;
#if defined(__linux__)
    if (team_cpus(2, cpu))
        pin = cpu;
#endif
    for (int r = 0; r < RUNS; r++)
        if ((t[r] = line_run(pin, trips)) < 0.0)
            return FAST_ERR_ARG;
    qsort(t, RUNS, sizeof t[0], cmp_double);
    *seconds = t[RUNS / 2];
    return FAST_OK;
}
