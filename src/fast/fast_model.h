/*
 * fast_model.h - save and load a fast_net, and write files atomically.
 *
 * Model file, all little-endian:
 *   "NNTRFAST" (8 bytes) | u32 version (1) | u32 L | u32 n_0 .. n_L |
 *   u32 act | u32 loss | for l = 1..L: W^[l] as n_l rows of n_{l-1} float32
 *   (row j = weights into neuron j), then b^[l] (n_l float32) |
 *   u32 CRC-32 (zlib) of every byte before it.
 * The loader checks the size the header implies against the file size
 * before allocating, then the checksum, then builds the network.
 */
#ifndef NNTRACE_FAST_MODEL_H
#define NNTRACE_FAST_MODEL_H

#include "fast_net.h"

#define FAST_MODEL_VERSION 1u

/* Write net's weights and shape to path atomically. */
fast_status fast_model_save(const fast_net *net, const char *path, char *err, size_t errlen);

/* Load path into a new network (*out, owned by the caller, fast_net_free)
 * with room for batches of batch samples and velocities if with_velocity. */
fast_status fast_model_load(fast_net **out, const char *path, int batch, int with_velocity,
                            char *err, size_t errlen);

/* Write len bytes to path as outfile.h writes any output: atomically (a
 * temporary beside it, fsync, rename), or through to a device or "-". */
fast_status fast_write_atomic(const char *path, const void *data, size_t len,
                              char *err, size_t errlen);

#endif
