package io.kvsqueeze.engine.tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import io.kvsqueeze.engine.gguf.GgmlType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One-thread matrix-vector kernels over a memory-mapped GGUF-layout matrix: the float-activation path
 * ({@code matmulFloat}: {@link WeightTensor#matmul}) against the int8-activation path ({@code matmulQ8}:
 * {@link Q8Activations#quantize} + {@link WeightTensor#matmulQ8}), the prompt GEMM ({@code matmulQ8Batch},
 * {@value #BATCH} tokens per call) and the activation quantization alone. Weight GB/s =
 * {@code rows · rowBytes / ns per token} (1536×576 Q4_1: 552,960 bytes; 49152×576 Q8_0: 30,081,024 bytes).
 *
 * <p>Run: {@code ./mvnw -q -o test-compile org.apache.maven.plugins:maven-dependency-plugin:2.8:build-classpath
 * -Dmdep.outputFile=target/cp.txt}, then {@code java --add-modules jdk.incubator.vector
 * -cp target/test-classes:target/classes:$(cat target/cp.txt) org.openjdk.jmh.Main MatmulBenchmark -f 1 -wi 2 -i 3}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class MatmulBenchmark {
    /** {@code TYPE_ROWSxCOLS}. */
    @Param({"Q4_1_1536x576", "Q8_0_49152x576"})
    public String matrix;

    /** Tokens per {@code matmulQ8Batch} call. */
    static final int BATCH = 8;

    private Arena arena;
    private Path file;
    private WeightTensor tensor;
    private float[] x;
    private float[] out;
    private Q8Activations q8;
    private Q8Activations[] batch;
    private float[][] batchOut;
    private int rows;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        int split = matrix.indexOf('_', 3);
        GgmlType type = GgmlType.valueOf(matrix.substring(0, split));
        String[] shape = matrix.substring(split + 1).split("x");
        rows = Integer.parseInt(shape[0]);
        int cols = Integer.parseInt(shape[1]);
        long bytes = type.bytesFor((long) rows * cols);
        byte[] content = randomBlocks(type, bytes, new SplittableRandom(42));
        file = Files.createTempFile("kvsqueeze-bench", ".bin");
        Files.write(file, content);
        arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment data = channel.map(FileChannel.MapMode.READ_ONLY, 0, bytes, arena);
            tensor = WeightTensor.of("bench." + matrix, type, cols, rows, data);
        }
        SplittableRandom random = new SplittableRandom(7);
        x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) random.nextGaussian();
        }
        out = new float[rows];
        q8 = new Q8Activations(cols);
        batch = new Q8Activations[BATCH];
        batchOut = new float[BATCH][rows];
        for (int t = 0; t < BATCH; t++) {
            batch[t] = new Q8Activations(cols);
            for (int i = 0; i < cols; i++) {
                x[i] = (float) random.nextGaussian();
            }
            batch[t].quantize(x, 0, cols);
        }
        System.out.println("# " + tensor + ", " + bytes + " bytes, " + Simd.describe());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        arena.close();
        Files.deleteIfExists(file);
    }

    /** Random quant bytes with sane fp16 scales (and mins) in every block. */
    static byte[] randomBlocks(GgmlType type, long bytes, SplittableRandom random) {
        byte[] content = new byte[Math.toIntExact(bytes)];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) random.nextInt(256);
        }
        int halves = switch (type) {
            case Q4_0, Q5_0, Q8_0 -> 1;
            case Q4_1, Q5_1 -> 2;
            default -> throw new IllegalArgumentException("no benchmark layout for " + type);
        };
        for (int off = 0; off < content.length; off += type.blockBytes()) {
            for (int h = 0; h < halves; h++) {
                short half = Float.floatToFloat16((float) (random.nextDouble(-1, 1) * 0.01));
                content[off + 2 * h] = (byte) half;
                content[off + 2 * h + 1] = (byte) (half >>> 8);
            }
        }
        return content;
    }

    @Benchmark
    public float[] matmulFloat() {
        tensor.matmul(x, out, 0, rows);
        return out;
    }

    @Benchmark
    public float[] matmulQ8() {
        q8.quantize(x, 0, x.length);
        tensor.matmulQ8(q8, out, 0, rows);
        return out;
    }

    @Benchmark
    public Q8Activations quantize() {
        q8.quantize(x, 0, x.length);
        return q8;
    }

    /** {@link #BATCH} tokens per call: divide by BATCH for the per-token time. */
    @Benchmark
    public float[][] matmulQ8Batch() {
        tensor.matmulQ8Batch(batch, BATCH, batchOut, 0, rows);
        return batchOut;
    }
}
