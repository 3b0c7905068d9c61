package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.gguf.GgmlType;
import io.kvsqueeze.engine.tensor.WeightTensor;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A deliberately naive Llama forward pass for tests: weights dequantized to float, plain loops, double
 * accumulation, RoPE and attention written out from their definitions, every token recomputed from scratch.
 * Like ggml (and the engine), it rounds the input of a product with 32-block weights to 8 bits first — written
 * out here from the definition, so the comparison can be tight. It shares no kernel with the engine, so
 * agreement means the engine's batching, caching, quantized products and threading are right.
 */
final class ReferenceLlama {
    private final LlamaConfig c;
    private final LlamaWeights w;

    ReferenceLlama(LlamaModel model) {
        this.c = model.config();
        this.w = model.weights();
    }

    /** Logits after the last of {@code tokens}, positions 0..n-1. */
    float[] logits(int[] tokens) {
        int n = tokens.length;
        int hd = c.headDim();
        float[][] x = new float[n][];
        for (int t = 0; t < n; t++) {
            x[t] = row(w.tokenEmbedding(), tokens[t]);
        }
        for (int l = 0; l < c.layers(); l++) {
            LlamaWeights.Layer layer = w.layers()[l];
            float[][] q = new float[n][];
            float[][] k = new float[n][];
            float[][] v = new float[n][];
            for (int t = 0; t < n; t++) {
                float[] h = rmsNorm(x[t], layer.attentionNorm());
                // Q, K and V in half precision, as llama.cpp's f16 KV cache holds them.
                q[t] = half(rope(plus(matvec(layer.wq(), h), layer.bq()), t, c.heads()));
                k[t] = half(rope(plus(matvec(layer.wk(), h), layer.bk()), t, c.kvHeads()));
                v[t] = half(plus(matvec(layer.wv(), h), layer.bv()));
            }
            for (int t = 0; t < n; t++) {
                float[] out = new float[c.heads() * hd];
                for (int head = 0; head < c.heads(); head++) {
                    int kvHead = head / (c.heads() / c.kvHeads());
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) {
                            dot += (double) q[t][head * hd + i] * k[s][kvHead * hd + i];
                        }
                        scores[s] = dot / Math.sqrt(hd);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int i = 0; i < hd; i++) {
                        double acc = 0;
                        for (int s = 0; s <= t; s++) {
                            double weight = Float.float16ToFloat(Float.floatToFloat16((float) (scores[s] / sum)));
                            acc += weight * v[s][kvHead * hd + i];
                        }
                        out[head * hd + i] = (float) acc;
                    }
                }
                x[t] = plus(x[t], matvec(layer.wo(), out));
            }
            for (int t = 0; t < n; t++) {
                float[] h = rmsNorm(x[t], layer.ffnNorm());
                float[] gate = matvec(layer.ffnGate(), h);
                float[] up = matvec(layer.ffnUp(), h);
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
                }
                x[t] = plus(x[t], matvec(layer.ffnDown(), gate));
            }
        }
        return matvec(w.output(), rmsNorm(x[n - 1], w.outputNorm()));
    }

    private float[] rope(float[] vec, int position, int heads) {
        int hd = c.headDim();
        float[] out = vec.clone();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                double angle = position / (double) c.ropeScale() * Math.pow(c.ropeTheta(), -2.0 * i / hd);
                if (w.ropeFreqFactors() != null) {
                    angle /= w.ropeFreqFactors()[i];
                }
                int a = c.ropeNeox() ? h * hd + i : h * hd + 2 * i;
                int b = c.ropeNeox() ? a + hd / 2 : a + 1;
                out[a] = (float) (vec[a] * Math.cos(angle) - vec[b] * Math.sin(angle));
                out[b] = (float) (vec[a] * Math.sin(angle) + vec[b] * Math.cos(angle));
            }
        }
        return out;
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double sum = 0;
        for (float value : x) {
            sum += value * value;
        }
        double scale = 1 / Math.sqrt(sum / x.length + c.rmsEps());
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) (x[i] * scale * weight[i]);
        }
        return out;
    }

    private static float[] matvec(WeightTensor m, float[] input) {
        boolean eightBit = m.supportsQ8();
        float[] x = eightBit ? roundTo8Bits(input) : input;
        boolean hasMinimum = m.type() == GgmlType.Q4_1 || m.type() == GgmlType.Q5_1;
        float[] out = new float[(int) m.rows()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < out.length; r++) {
            m.dequantizeRow(r, row, 0);
            double acc = 0;
            for (int i = 0; i < row.length; i++) {
                acc += (double) row[i] * x[i];
            }
            if (hasMinimum) {
                // ggml multiplies a block's minimum m by the activation block's stored sum s = fp16(d * sum(q))
                // rather than by the exact sum of the rounded activations: replace one by the other.
                for (int block = 0; block < row.length / 32; block++) {
                    long at = r * m.rowBytes() + (long) block * m.type().blockBytes() + 2;
                    float minimum = Float.float16ToFloat(m.data().get(HALF, at));
                    double exactSum = 0;
                    for (int i = block * 32; i < block * 32 + 32; i++) {
                        exactSum += x[i];
                    }
                    acc += minimum * (storedBlockSum(input, block * 32) - exactSum);
                }
            }
            out[r] = (float) acc;
        }
        return out;
    }

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** ggml's q8_0: per 32 values, scale d = max|x| / 127 (stored as fp16), values rint(x * 127 / max|x|) * d. */
    private static float[] roundTo8Bits(float[] x) {
        float[] out = new float[x.length];
        for (int block = 0; block < x.length; block += 32) {
            float amax = amax(x, block);
            float storedD = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            for (int i = block; i < block + 32; i++) {
                out[i] = quant(x[i], amax) * storedD;
            }
        }
        return out;
    }

    /** ggml's q8_1 block sum: fp16(d * sum(q)) with the unrounded d. */
    private static double storedBlockSum(float[] x, int block) {
        float amax = amax(x, block);
        int sum = 0;
        for (int i = block; i < block + 32; i++) {
            sum += quant(x[i], amax);
        }
        return Float.float16ToFloat(Float.floatToFloat16(sum * (amax / 127f)));
    }

    private static float amax(float[] x, int block) {
        float amax = 0;
        for (int i = block; i < block + 32; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
        }
        return amax;
    }

    /** x * (127 / amax) rounded half to even, as ggml's x86 quantizer does. */
    private static int quant(float value, float amax) {
        return amax == 0 ? 0 : (int) Math.rint(value * (127f / amax));
    }

    private static float[] half(float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
        }
        return out;
    }

    private static float[] row(WeightTensor m, int r) {
        float[] out = new float[m.cols()];
        m.dequantizeRow(r, out, 0);
        return out;
    }

    private static float[] plus(float[] a, float[] b) {
        if (b == null) {
            return a;
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }
}
