/*
 * scalar_mlp.c - the yardstick for `make bench-scalar`: a plain C
 * multilayer perceptron in the style of genann (double weights in one array,
 * logistic units, a bias weight first in each neuron's row, per-example SGD
 * on half squared error), no trace, no rounding, no generality.
 *
 * Usage: scalar_mlp N_IN N_HID N_OUT EXAMPLES STEPS
 * Trains on seeded random data, one example per step (cycling), and prints
 * "steps S weights W seconds T updates_per_s U" (T the CPU time of the
 * training loop, so other programs on the machine do not count; U = S*W/T,
 * the weight updates per second) and a checksum that keeps the work from
 * being optimised away.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double rnd(unsigned long long *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53 * 2.0 - 1.0;
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: scalar_mlp N_IN N_HID N_OUT EXAMPLES STEPS\n");
        return 2;
    }
    const int ni = atoi(argv[1]), nh = atoi(argv[2]), no = atoi(argv[3]);
    const int ne = atoi(argv[4]);
    const long steps = atol(argv[5]);
    if (ni < 1 || nh < 1 || no < 1 || ne < 1 || steps < 1) {
        fprintf(stderr, "scalar_mlp: sizes, examples and steps must be >= 1\n");
        return 2;
    }
    const size_t nw = (size_t)(ni + 1) * nh + (size_t)(nh + 1) * no;
    double *w = malloc(nw * sizeof *w), *x = malloc((size_t)ne * ni * sizeof *x);
    double *y = malloc((size_t)ne * no * sizeof *y), *h = malloc((size_t)nh * sizeof *h);
    double *o = malloc((size_t)no * sizeof *o), *dh = malloc((size_t)nh * sizeof *dh);
    double *dout = malloc((size_t)no * sizeof *dout);
    unsigned long long s = 88172645463325252ull;
    const double rate = 0.1;
    if (!w || !x || !y || !h || !o || !dh || !dout) {
        fprintf(stderr, "scalar_mlp: out of memory\n");
        return 2;
    }
    for (size_t k = 0; k < nw; k++) w[k] = 0.5 * rnd(&s);
    for (size_t k = 0; k < (size_t)ne * ni; k++) x[k] = rnd(&s);
    for (size_t k = 0; k < (size_t)ne * no; k++) y[k] = 0.5 + 0.5 * rnd(&s);

    double t0 = now();
    for (long st = 0; st < steps; st++) {
        const double *xe = x + (size_t)(st % ne) * ni, *ye = y + (size_t)(st % ne) * no;
        double *wh = w, *wo = w + (size_t)(ni + 1) * nh;
        for (int j = 0; j < nh; j++) {               /* forward */
            const double *r = wh + (size_t)j * (ni + 1);
            double z = r[0];
            for (int i = 0; i < ni; i++) z += r[i + 1] * xe[i];
            h[j] = sigmoid(z);
        }
        for (int k = 0; k < no; k++) {
            const double *r = wo + (size_t)k * (nh + 1);
            double z = r[0];
            for (int j = 0; j < nh; j++) z += r[j + 1] * h[j];
            o[k] = sigmoid(z);
            dout[k] = (o[k] - ye[k]) * o[k] * (1.0 - o[k]);   /* half sse, logistic */
        }
        for (int j = 0; j < nh; j++) {               /* hidden deltas, old weights */
            double sum = 0.0;
            for (int k = 0; k < no; k++) sum += wo[(size_t)k * (nh + 1) + j + 1] * dout[k];
            dh[j] = sum * h[j] * (1.0 - h[j]);
        }
        for (int k = 0; k < no; k++) {               /* updates */
            double *r = wo + (size_t)k * (nh + 1);
            r[0] -= rate * dout[k];
            for (int j = 0; j < nh; j++) r[j + 1] -= rate * dout[k] * h[j];
        }
        for (int j = 0; j < nh; j++) {
            double *r = wh + (size_t)j * (ni + 1);
            r[0] -= rate * dh[j];
            for (int i = 0; i < ni; i++) r[i + 1] -= rate * dh[j] * xe[i];
        }
    }
    double secs = now() - t0, sum = 0.0;
    for (size_t k = 0; k < nw; k++) sum += w[k];
    printf("steps %ld weights %zu seconds %.6f updates_per_s %.0f checksum %.6f\n", steps, nw,
           secs, (double)steps * (double)nw / secs, sum);
    free(w); free(x); free(y); free(h); free(o); free(dh); free(dout);
    return 0;
}
