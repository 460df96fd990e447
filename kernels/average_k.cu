/* ops.md section 8 - Average-K: the radix select behind the global threshold and the pseudo-labels,
 * and the two heads of the two-head loss. Scores are float32 (rows x cols, row-major); labels are
 * int32 class indices, one per row. Keys: avgk_key maps a float to a uint32 whose unsigned order is
 * the numeric order (-0 and +0 share the key of +0), as Selection/OrderedKey.cs does on the host.
 * A candidate is any entry, less (i, labels[i]) of each row when exclude != 0.
 *
 * average_k_key_histogram(scores, labels, exclude, rows, cols, chunk, prefix_mask, prefix_value,
 *                         bin_shift, bins, partials)
 *   group g reads the flat entries [g*chunk, (g+1)*chunk) once (and the labels of the rows they
 *   touch) and writes partials[g*bins .. g*bins + bins): the number of its candidates whose key
 *   satisfies (key & prefix_mask) == prefix_value, binned by (key >> bin_shift) & (bins - 1). Counts
 *   are integer atomics on local memory, so they do not depend on timing; a chunk is < 2^31 entries.
 * average_k_histogram_total(partials, groups, bins, totals)
 *   reads partials (groups x bins) and writes totals[b] = sum over g, in 64 bits.
 * average_k_tie_counts(scores, labels, exclude, rows, cols, key, counts)
 *   one group per row: reads the row, writes counts[row] = its candidates whose key equals key.
 * average_k_mark_targets(scores, labels, exclude, rows, cols, key, quota, targets)
 *   one group per row: reads the row and quota[row], writes targets (rows x cols) once: 1 at the
 *   label, at candidates with a larger key and at the first quota[row] candidates (column order) with
 *   this key; else 0. Rows with a quota rank their ties with a block scan, tile by tile.
 * average_k_max_key_below(scores, count, key, partials)
 *   reads count flat entries, writes partials[g] = the group's largest key below key (0 if none).
 * average_k_label_hits(scores, labels, rows, cols, value, partials)
 *   gathers scores[i, labels[i]] and writes partials[g] = the group's rows with that score >= value.
 * two_head_softmax_head(logits, labels, probs, dlogits, rows, cols, scale, partials)
 *   one group per row: reads the row for m = max a and s = sum exp(a - m) (float64, online), reads it
 *   again and writes probs = exp(a - m - ln s) and dlogits = scale (probs - onehot), both computed in
 *   float64 and rounded once; partials[g] = sum over the group's rows of ln s - (a_y - m) (float64).
 * two_head_multilabel_head(logits, targets, dlogits, count, scale, partials)
 *   reads b and z (count flat entries) once, writes dlogits = scale (sigmoid(b) - z) and
 *   partials[g] = the group's sum of BCE(b, z) = z softplus(-b) + (1 - z) softplus(b), all float64.
 *
 * Floating-point partials are per group, in a fixed grid-stride order, and summed by the host in
 * group order: no floating-point atomics anywhere. */
#include "common/gsl_portable.h"
#include "common/reductions.h"
#include "common/reductions_f64.h"

/* The most bins a histogram round uses (the host's rounds take 11, 11 and 10 bits). */
#define AVGK_MAX_BINS 2048

DEVICE_INLINE unsigned int avgk_key(float v)
{
    unsigned int bits = FLOAT_AS_UINT(v);
    /* -0 is +0: a bit test, because v + 0.0f may be folded away by a compiler. */
    if (bits == 0x80000000u)
    {
        bits = 0u;
    }
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

/* sum of 64-bit counts over the group. scratch: LOCAL_SIZE() entries. */
DEVICE_INLINE GSL_INDEX avgk_block_sum_index(LOCAL_PTR GSL_INDEX* scratch, GSL_INDEX v)
{
    int t = LOCAL_ID();
    scratch[t] = v;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s)
        {
            scratch[t] += scratch[t + s];
        }
        BARRIER();
    }
    v = scratch[0];
    BARRIER();
    return v;
}

/* max of keys over the group. scratch: LOCAL_SIZE() entries. */
DEVICE_INLINE unsigned int avgk_block_max_key(LOCAL_PTR unsigned int* scratch, unsigned int v)
{
    int t = LOCAL_ID();
    scratch[t] = v;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s && scratch[t + s] > scratch[t])
        {
            scratch[t] = scratch[t + s];
        }
        BARRIER();
    }
    v = scratch[0];
    BARRIER();
    return v;
}

/* Exclusive prefix sum of v over the group in work-item order; *total gets the group's sum. */
DEVICE_INLINE int avgk_block_exclusive_scan(LOCAL_PTR int* scratch, int v, int* total)
{
    int t = LOCAL_ID();
    scratch[t] = v;
    BARRIER();
    for (int offset = 1; offset < LOCAL_SIZE(); offset <<= 1)
    {
        int add = t >= offset ? scratch[t - offset] : 0;
        BARRIER();
        scratch[t] += add;
        BARRIER();
    }
    int inclusive = scratch[t];
    *total = scratch[LOCAL_SIZE() - 1];
    BARRIER();
    return inclusive - v;
}

/* The online state of a row for a float64 softmax: max = max a, sum = sum exp(a - max) in float64. */
typedef struct
{
    float max;
    double sum;
} avgk_softmax_pair;

DEVICE_INLINE avgk_softmax_pair avgk_pair_add(avgk_softmax_pair p, float a)
{
    if (a > p.max)
    {
        p.sum = p.sum * DEXP((double)p.max - (double)a) + 1.0;
        p.max = a;
    }
    else
    {
        p.sum += DEXP((double)a - (double)p.max);
    }
    return p;
}

/* The guard keeps (-inf) - (-inf) = NaN out when both sets are empty. */
DEVICE_INLINE avgk_softmax_pair avgk_pair_merge(avgk_softmax_pair a, avgk_softmax_pair b)
{
    avgk_softmax_pair r;
    r.max = FMAX(a.max, b.max);
    if (r.max == GSL_NEG_INFINITY)
    {
        r.sum = 0.0;
        return r;
    }
    r.sum = a.sum * DEXP((double)a.max - (double)r.max) + b.sum * DEXP((double)b.max - (double)r.max);
    return r;
}

DEVICE_INLINE avgk_softmax_pair avgk_block_pair(LOCAL_PTR float* scratch_max, LOCAL_PTR double* scratch_sum,
                                                avgk_softmax_pair p)
{
    int t = LOCAL_ID();
    scratch_max[t] = p.max;
    scratch_sum[t] = p.sum;
    BARRIER();
    for (int s = LOCAL_SIZE() / 2; s > 0; s >>= 1)
    {
        if (t < s)
        {
            avgk_softmax_pair a;
            avgk_softmax_pair b;
            a.max = scratch_max[t];
            a.sum = scratch_sum[t];
            b.max = scratch_max[t + s];
            b.sum = scratch_sum[t + s];
            a = avgk_pair_merge(a, b);
            scratch_max[t] = a.max;
            scratch_sum[t] = a.sum;
        }
        BARRIER();
    }
    p.max = scratch_max[0];
    p.sum = scratch_sum[0];
    BARRIER();
    return p;
}

KERNEL void average_k_key_histogram(const GLOBAL float* RESTRICT scores, const GLOBAL int* RESTRICT labels,
                                    int exclude, GSL_INDEX rows, GSL_INDEX cols, GSL_INDEX chunk,
                                    unsigned int prefix_mask, unsigned int prefix_value, int bin_shift, int bins,
                                    GLOBAL int* RESTRICT partials)
{
    LOCAL int histogram[AVGK_MAX_BINS];
    unsigned int bin_mask = (unsigned int)bins - 1u;
    for (int b = LOCAL_ID(); b < bins; b += LOCAL_SIZE())
    {
        histogram[b] = 0;
    }
    BARRIER();

    GSL_INDEX count = rows * cols;
    GSL_INDEX start = GROUP_ID() * chunk;
    GSL_INDEX end = start + chunk < count ? start + chunk : count;
    for (GSL_INDEX e = start + LOCAL_ID(); e < end; e += LOCAL_SIZE())
    {
        unsigned int key = avgk_key(scores[e]);
        if ((key & prefix_mask) == prefix_value)
        {
            ATOMIC_ADD_INT(&histogram[(key >> bin_shift) & bin_mask], 1);
        }
    }

    /* Counting the label entries with the rest and taking them back keeps the loop above free of a
     * column test; only the rows this chunk touches are visited. */
    if (exclude && start < end)
    {
        GSL_INDEX last_row = (end - 1) / cols;
        for (GSL_INDEX r = start / cols + LOCAL_ID(); r <= last_row; r += LOCAL_SIZE())
        {
            GSL_INDEX e = r * cols + labels[r];
            if (e >= start && e < end)
            {
                unsigned int key = avgk_key(scores[e]);
                if ((key & prefix_mask) == prefix_value)
                {
                    ATOMIC_ADD_INT(&histogram[(key >> bin_shift) & bin_mask], -1);
                }
            }
        }
    }
    BARRIER();

    GLOBAL int* out = partials + GROUP_ID() * bins;
    for (int b = LOCAL_ID(); b < bins; b += LOCAL_SIZE())
    {
        out[b] = histogram[b];
    }
}

KERNEL void average_k_histogram_total(const GLOBAL int* RESTRICT partials, GSL_INDEX groups, int bins,
                                      GLOBAL GSL_INDEX* RESTRICT totals)
{
    GSL_INDEX b = GLOBAL_ID();
    if (b < bins)
    {
        GSL_INDEX total = 0;
        for (GSL_INDEX g = 0; g < groups; g++)
        {
            total += partials[g * bins + b];
        }
        totals[b] = total;
    }
}

KERNEL void average_k_tie_counts(const GLOBAL float* RESTRICT scores, const GLOBAL int* RESTRICT labels,
                                 int exclude, GSL_INDEX rows, GSL_INDEX cols, unsigned int key,
                                 GLOBAL GSL_INDEX* RESTRICT counts)
{
    LOCAL GSL_INDEX scratch[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* s = scores + row * cols;
        GSL_INDEX skip = exclude ? (GSL_INDEX)labels[row] : -1;
        GSL_INDEX count = 0;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            if (k != skip && avgk_key(s[k]) == key)
            {
                count++;
            }
        }
        count = avgk_block_sum_index(scratch, count);
        if (LOCAL_ID() == 0)
        {
            counts[row] = count;
        }
    }
}

KERNEL void average_k_mark_targets(const GLOBAL float* RESTRICT scores, const GLOBAL int* RESTRICT labels,
                                   int exclude, GSL_INDEX rows, GSL_INDEX cols, unsigned int key,
                                   const GLOBAL GSL_INDEX* RESTRICT quota, GLOBAL float* RESTRICT targets)
{
    LOCAL int scratch[GSL_MAX_LOCAL_SIZE];
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* s = scores + row * cols;
        GLOBAL float* z = targets + row * cols;
        GSL_INDEX label = labels[row];
        GSL_INDEX skip = exclude ? label : -1;
        GSL_INDEX q = quota[row];
        if (q == 0)
        {
            for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
            {
                int chosen = k == label || (k != skip && avgk_key(s[k]) > key);
                z[k] = chosen ? 1.0f : 0.0f;
            }
        }
        else
        {
            /* q is the same for the whole group, so every work-item takes this branch and its barriers. */
            GSL_INDEX taken = 0;
            for (GSL_INDEX tile = 0; tile < cols; tile += LOCAL_SIZE())
            {
                GSL_INDEX k = tile + LOCAL_ID();
                int above = 0;
                int tie = 0;
                if (k < cols && k != skip)
                {
                    unsigned int kk = avgk_key(s[k]);
                    above = kk > key;
                    tie = kk == key;
                }
                int tile_ties;
                int before = avgk_block_exclusive_scan(scratch, tie, &tile_ties);
                if (k < cols)
                {
                    int chosen = k == label || above || (tie && taken + before < q);
                    z[k] = chosen ? 1.0f : 0.0f;
                }
                taken += tile_ties;
            }
        }
    }
}

KERNEL void average_k_max_key_below(const GLOBAL float* RESTRICT scores, GSL_INDEX count, unsigned int key,
                                    GLOBAL unsigned int* RESTRICT partials)
{
    LOCAL unsigned int scratch[GSL_MAX_LOCAL_SIZE];
    unsigned int best = 0u;
    for (GSL_INDEX e = GLOBAL_ID(); e < count; e += GLOBAL_SIZE())
    {
        unsigned int k = avgk_key(scores[e]);
        if (k < key && k > best)
        {
            best = k;
        }
    }
    best = avgk_block_max_key(scratch, best);
    if (LOCAL_ID() == 0)
    {
        partials[GROUP_ID()] = best;
    }
}

KERNEL void average_k_label_hits(const GLOBAL float* RESTRICT scores, const GLOBAL int* RESTRICT labels,
                                 GSL_INDEX rows, GSL_INDEX cols, float value, GLOBAL GSL_INDEX* RESTRICT partials)
{
    LOCAL GSL_INDEX scratch[GSL_MAX_LOCAL_SIZE];
    GSL_INDEX hits = 0;
    for (GSL_INDEX row = GLOBAL_ID(); row < rows; row += GLOBAL_SIZE())
    {
        if (scores[row * cols + labels[row]] >= value)
        {
            hits++;
        }
    }
    hits = avgk_block_sum_index(scratch, hits);
    if (LOCAL_ID() == 0)
    {
        partials[GROUP_ID()] = hits;
    }
}

KERNEL void two_head_softmax_head(const GLOBAL float* RESTRICT logits, const GLOBAL int* RESTRICT labels,
                                  GLOBAL float* RESTRICT probs, GLOBAL float* RESTRICT dlogits,
                                  GSL_INDEX rows, GSL_INDEX cols, double scale, GLOBAL double* RESTRICT partials)
{
    LOCAL float scratch_max[GSL_MAX_LOCAL_SIZE];
    LOCAL double scratch_sum[GSL_MAX_LOCAL_SIZE];
    double loss = 0.0;
    for (GSL_INDEX row = GROUP_ID(); row < rows; row += NUM_GROUPS())
    {
        const GLOBAL float* a = logits + row * cols;
        GLOBAL float* p = probs + row * cols;
        GLOBAL float* d = dlogits + row * cols;
        GSL_INDEX label = labels[row];
        avgk_softmax_pair pair;
        pair.max = GSL_NEG_INFINITY;
        pair.sum = 0.0;
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            pair = avgk_pair_add(pair, a[k]);
        }
        pair = avgk_block_pair(scratch_max, scratch_sum, pair);
        double shift = (double)pair.max;
        double log_sum = DLOG(pair.sum);
        for (GSL_INDEX k = LOCAL_ID(); k < cols; k += LOCAL_SIZE())
        {
            double x = DEXP(((double)a[k] - shift) - log_sum);
            p[k] = (float)x;
            d[k] = (float)((k == label ? x - 1.0 : x) * scale);
        }
        loss += log_sum - ((double)a[label] - shift);
    }
    if (LOCAL_ID() == 0)
    {
        partials[GROUP_ID()] = loss;
    }
}

/* ln(1 + e) for 0 <= e <= 1, accurate for tiny e where 1 + e would round (the CPU backend's form). */
DEVICE_INLINE double avgk_log_one_plus(double e)
{
    return e < 1e-4 ? e * (1.0 - (e * (0.5 - (e * (1.0 / 3.0))))) : DLOG(1.0 + e);
}

KERNEL void two_head_multilabel_head(const GLOBAL float* RESTRICT logits, const GLOBAL float* RESTRICT targets,
                                     GLOBAL float* RESTRICT dlogits, GSL_INDEX count, double scale,
                                     GLOBAL double* RESTRICT partials)
{
    LOCAL double scratch[GSL_MAX_LOCAL_SIZE];
    double sum = 0.0;
    for (GSL_INDEX e = GLOBAL_ID(); e < count; e += GLOBAL_SIZE())
    {
        double x = (double)logits[e];
        double z = (double)targets[e];
        double t = DEXP(-DFABS(x));
        double tail = avgk_log_one_plus(t);
        double sigmoid = x >= 0.0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
        /* softplus(x) - z x per 0/1 target, without the cancellation of softplus(x) - x. */
        sum += (z * (DFMAX(-x, 0.0) + tail)) + ((1.0 - z) * (DFMAX(x, 0.0) + tail));
        dlogits[e] = (float)((sigmoid - z) * scale);
    }
    sum = gsl_block_sum_f64(scratch, sum);
    if (LOCAL_ID() == 0)
    {
        partials[GROUP_ID()] = sum;
    }
}
