package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * Exact 1-D k-means by dynamic programming over the sorted distinct values (optimal within-cluster sum of
 * squares, as Ckmeans.1d.dp). SqueezeAttention calls sklearn's randomly initialised KMeans without a seed
 * (§6.2); the exact optimum is deterministic (§12.5) and on well-separated similarities finds the same
 * clusters. Equal values always share a cluster; with fewer distinct values than {@code k}, there are as many
 * clusters as distinct values. Among partitions whose costs compare equal in floating point, the one with
 * the earliest boundaries wins; either way the same input always gives the same labels.
 */
public final class OneDimensionalKMeans {
    private OneDimensionalKMeans() {
    }

    /**
     * Cluster labels of {@code values}, {@code 0} for the cluster with the lowest centre, consecutive up to
     * {@code clusterCount(labels) - 1}.
     */
    public static int[] cluster(double[] values, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, was " + k);
        }
        for (double v : values) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("values must be finite, was " + Arrays.toString(values));
            }
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double[] distinct = new double[sorted.length];
        int[] weight = new int[sorted.length];
        int d = 0;
        for (double v : sorted) {
            if (d > 0 && distinct[d - 1] == v) {
                weight[d - 1]++;
            } else {
                distinct[d] = v;
                weight[d++] = 1;
            }
        }
        int clusters = Math.min(k, d);
        int[] firstOfCluster = boundaries(distinct, weight, d, clusters);
        int[] labels = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            int index = Arrays.binarySearch(distinct, 0, d, values[i]);
            int label = 0;
            while (label + 1 < clusters && firstOfCluster[label + 1] <= index) {
                label++;
            }
            labels[i] = label;
        }
        return labels;
    }

    /** Index of the first distinct value of each cluster in the optimal partition. */
    private static int[] boundaries(double[] x, int[] w, int n, int clusters) {
        double[] sumW = new double[n + 1];
        double[] sumX = new double[n + 1];
        double[] sumXx = new double[n + 1];
        for (int i = 0; i < n; i++) {
            sumW[i + 1] = sumW[i] + w[i];
            sumX[i + 1] = sumX[i] + w[i] * x[i];
            sumXx[i + 1] = sumXx[i] + w[i] * x[i] * x[i];
        }
        // cost[c][j]: best sum of squares of x[0, j) in c + 1 clusters; start[c][j]: where its last cluster starts.
        double[][] cost = new double[clusters][n + 1];
        int[][] start = new int[clusters][n + 1];
        for (int j = 1; j <= n; j++) {
            cost[0][j] = squares(sumW, sumX, sumXx, 0, j);
        }
        for (int c = 1; c < clusters; c++) {
            for (int j = c + 1; j <= n; j++) {
                double best = Double.POSITIVE_INFINITY;
                for (int i = c; i < j; i++) {
                    double candidate = cost[c - 1][i] + squares(sumW, sumX, sumXx, i, j);
                    if (candidate < best) {
                        best = candidate;
                        start[c][j] = i;
                    }
                }
                cost[c][j] = best;
            }
        }
        int[] first = new int[clusters];
        int end = n;
        for (int c = clusters - 1; c > 0; c--) {
            first[c] = start[c][end];
            end = first[c];
        }
        return first;
    }

    private static double squares(double[] sumW, double[] sumX, double[] sumXx, int from, int to) {
        double w = sumW[to] - sumW[from];
        double s = sumX[to] - sumX[from];
        return Math.max(0, (sumXx[to] - sumXx[from]) - s * s / w);
    }
}
