package io.kvsqueeze.cli;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.eval.CompressionEval;
import io.kvsqueeze.eval.CompressionEval.Setting;
import io.kvsqueeze.eval.DistributionMetrics;
import io.kvsqueeze.eval.EvalGrid;
import io.kvsqueeze.eval.HeatMapPng;
import io.kvsqueeze.eval.PasskeyPrompt;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The compression evaluation: needle-in-a-haystack retrieval and next-token fidelity against the full cache. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate KV-cache policies: passkey retrieval (needle) or fidelity to the full cache.",
        subcommands = {EvalCommand.Needle.class, EvalCommand.Fidelity.class})
final class EvalCommand {

    /** Options of both evaluations. */
    static final class GridOptions {
        @Option(names = "--policies", paramLabel = "P1,P2", defaultValue = "full,snapkv,ada-snapkv",
                description = "policies (presets or JSON without commas) to compare (default: ${DEFAULT-VALUE})")
        String policies;

        @Option(names = "--budgets", paramLabel = "B1,B2", defaultValue = "128,0.2",
                description = "budgets: entries per (layer, KV head) or ratios of the prompt; 'full' ignores them "
                        + "(default: ${DEFAULT-VALUE})")
        String budgets;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = "eval-out",
                description = "where the CSV (and PNG) files go (default: ${DEFAULT-VALUE})")
        Path out;

        List<Setting> settings() {
            List<Setting> settings = new ArrayList<>();
            List<String> budgetList = EvalGrid.budgets(budgets);
            for (String policy : EvalGrid.names(policies, "--policies")) {
                if (policy.equals("full")) {
                    settings.add(new Setting(policy, null));
                } else {
                    for (String budget : budgetList) {
                        settings.add(new Setting(policy, budget));
                    }
                }
            }
            settings.forEach(Setting::policy); // a bad policy or budget fails before the model loads
            return settings;
        }
    }

    @Command(name = "needle", mixinStandardHelpOptions = true,
            description = "Passkey retrieval over context lengths and needle depths; CSV and PNG heat maps.")
    static final class Needle implements Callable<Integer> {
        @Mixin
        ModelOptions modelOptions;

        @Mixin
        GridOptions grid;

        @Option(names = "--lengths", paramLabel = "L1,L2", defaultValue = "1k,2k,4k",
                description = "prompt lengths in tokens, k = 1024 (default: ${DEFAULT-VALUE})")
        String lengths;

        @Option(names = "--depths", paramLabel = "D", defaultValue = "0..1/10",
                description = "needle depths: a list or from..to/steps (default: ${DEFAULT-VALUE})")
        String depths;

        @Option(names = "--trials", paramLabel = "N", defaultValue = "1",
                description = "passkeys per (length, depth) cell (default: ${DEFAULT-VALUE})")
        int trials;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "passkey seed (default: 1)")
        long seed;

        @Override
        public Integer call() throws IOException {
            List<Integer> lengthList = EvalGrid.lengths(lengths);
            List<Double> depthList = EvalGrid.depths(depths);
            List<Setting> settings = grid.settings();
            if (trials < 1) {
                throw new IllegalArgumentException("--trials must be at least 1");
            }
            int longest = lengthList.stream().mapToInt(Integer::intValue).max().orElseThrow();
            modelOptions.context = Math.max(modelOptions.context, longest + 16);
            Files.createDirectories(grid.out);
            Map<Setting, int[][]> correct = new LinkedHashMap<>();
            settings.forEach(s -> correct.put(s, new int[depthList.size()][lengthList.size()]));
            Path csv = grid.out.resolve("needle.csv");
            try (InferenceEngine engine = modelOptions.load();
                 CompressionEval eval = new CompressionEval(engine, settings);
                 PrintWriter rows = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
                rows.println("policy,budget,target_tokens,prompt_tokens,depth,trial,passkey,correct,kv_bytes,"
                        + "kv_bytes_full,answer");
                PasskeyPrompt prompts = new PasskeyPrompt(engine.tokenizer(), engine.chatTemplate());
                for (int l = 0; l < lengthList.size(); l++) {
                    for (int d = 0; d < depthList.size(); d++) {
                        for (int trial = 0; trial < trials; trial++) {
                            PasskeyPrompt.Case c = prompts.build(lengthList.get(l), depthList.get(d), trial, seed);
                            CompressionEval.Prefilled prefilled = eval.prefill(c.promptIds());
                            for (Setting setting : settings) {
                                long kvBytes = prefilled.compressInto(setting);
                                int[] answerIds = eval.greedy(prefilled.logits(), 8);
                                String answer = engine.tokenizer().decode(answerIds, false);
                                boolean ok = PasskeyPrompt.correct(c, answer);
                                correct.get(setting)[d][l] += ok ? 1 : 0;
                                rows.printf(Locale.ROOT, "%s,%s,%d,%d,%.3f,%d,%s,%b,%d,%d,%s%n",
                                        csv(setting.policyName()), setting.budget() == null ? "" : setting.budget(),
                                        c.targetTokens(), c.promptIds().length, c.depth(), trial, c.passkey(), ok,
                                        kvBytes, prefilled.fullBytes(), csv(answer));
                            }
                            rows.flush();
                            System.err.printf(Locale.ROOT, "length %d depth %.2f trial %d done%n",
                                    lengthList.get(l), depthList.get(d), trial);
                        }
                    }
                }
            }
            System.out.printf("%-40s %8s%n", "setting", "accuracy");
            for (Map.Entry<Setting, int[][]> entry : correct.entrySet()) {
                double[][] accuracy = new double[depthList.size()][lengthList.size()];
                int sum = 0;
                for (int d = 0; d < depthList.size(); d++) {
                    for (int l = 0; l < lengthList.size(); l++) {
                        accuracy[d][l] = entry.getValue()[d][l] / (double) trials;
                        sum += entry.getValue()[d][l];
                    }
                }
                Setting setting = entry.getKey();
                HeatMapPng.write(grid.out.resolve("needle-" + fileName(setting.label()) + ".png"),
                        "passkey retrieval: " + setting.label(), lengthList, depthList, accuracy);
                System.out.printf(Locale.ROOT, "%-40s %7.1f%%%n", setting.label(),
                        100.0 * sum / (trials * depthList.size() * lengthList.size()));
            }
            System.out.println("rows: " + csv);
            return 0;
        }
    }

    @Command(name = "fidelity", mixinStandardHelpOptions = true,
            description = "Teacher-forced top-1 agreement and KL divergence against the full cache, and greedy "
                    + "continuation agreement, on a fixed text.")
    static final class Fidelity implements Callable<Integer> {
        @Mixin
        ModelOptions modelOptions;

        @Mixin
        GridOptions grid;

        @Option(names = "--text", paramLabel = "FILE",
                description = "text to use instead of the built-in corpus (docs/compression.md describes it)")
        Path text;

        @Option(names = "--context-tokens", paramLabel = "N", defaultValue = "1024",
                description = "tokens of the text that form the compressed context (default: ${DEFAULT-VALUE})")
        int contextTokens;

        @Option(names = "--continuation-tokens", paramLabel = "M", defaultValue = "128",
                description = "following tokens scored teacher-forced (default: ${DEFAULT-VALUE})")
        int continuationTokens;

        @Option(names = "--greedy-tokens", paramLabel = "G", defaultValue = "32",
                description = "greedy tokens compared with the full cache's (default: ${DEFAULT-VALUE})")
        int greedyTokens;

        @Override
        public Integer call() throws IOException {
            List<Setting> settings = grid.settings();
            String corpus = text != null ? Files.readString(text) : builtInCorpus();
            modelOptions.context = Math.max(modelOptions.context, contextTokens + continuationTokens + greedyTokens);
            Files.createDirectories(grid.out);
            Path csv = grid.out.resolve("fidelity.csv");
            try (InferenceEngine engine = modelOptions.load();
                 CompressionEval eval = new CompressionEval(engine, settings);
                 PrintWriter rows = new PrintWriter(Files.newBufferedWriter(csv, StandardCharsets.UTF_8))) {
                int[] ids = engine.tokenizer().encode(corpus, true, false);
                if (ids.length < contextTokens + continuationTokens) {
                    throw new IllegalArgumentException("the text has " + ids.length + " tokens; --context-tokens + "
                            + "--continuation-tokens need " + (contextTokens + continuationTokens));
                }
                int vocab = engine.model().config().vocabSize();
                int[] context = Arrays.copyOf(ids, contextTokens);
                CompressionEval.Prefilled prefilled = eval.prefill(context);
                Sequence work = eval.work();

                // The reference: the full cache, teacher-forced and greedy.
                prefilled.compressInto(new Setting("full", null));
                float[][] reference = teacherForce(work, prefilled.logits(), ids, contextTokens, continuationTokens);
                prefilled.compressInto(new Setting("full", null));
                int[] referenceGreedy = eval.greedy(prefilled.logits(), greedyTokens);

                rows.println("policy,budget,context_tokens,kv_bytes,kv_bytes_full,top1_agreement,mean_kl,"
                        + "greedy_prefix_agreement");
                System.out.printf("%-40s %10s %10s %8s %10s%n", "setting", "kv ratio", "top-1", "KL", "greedy");
                for (Setting setting : settings) {
                    long kvBytes = prefilled.compressInto(setting);
                    float[][] logits = teacherForce(work, prefilled.logits(), ids, contextTokens, continuationTokens);
                    int agree = 0;
                    double kl = 0;
                    for (int step = 0; step < continuationTokens; step++) {
                        agree += VectorOps.argmax(reference[step], vocab)
                                == VectorOps.argmax(logits[step], vocab) ? 1 : 0;
                        kl += DistributionMetrics.klDivergence(reference[step], logits[step], vocab);
                    }
                    prefilled.compressInto(setting);
                    int[] greedy = eval.greedy(prefilled.logits(), greedyTokens);
                    int prefix = 0;
                    while (prefix < Math.min(greedy.length, referenceGreedy.length)
                            && greedy[prefix] == referenceGreedy[prefix]) {
                        prefix++;
                    }
                    double top1 = agree / (double) continuationTokens;
                    double meanKl = kl / continuationTokens;
                    double greedyAgreement = prefix / (double) Math.max(1, referenceGreedy.length);
                    rows.printf(Locale.ROOT, "%s,%s,%d,%d,%d,%.4f,%.5f,%.4f%n", csv(setting.policyName()),
                            setting.budget() == null ? "" : setting.budget(), contextTokens, kvBytes,
                            prefilled.fullBytes(), top1, meanKl, greedyAgreement);
                    System.out.printf(Locale.ROOT, "%-40s %10.3f %10.3f %8.4f %10.3f%n", setting.label(),
                            kvBytes / (double) prefilled.fullBytes(), top1, meanKl, greedyAgreement);
                }
            }
            System.out.println("rows: " + csv);
            return 0;
        }

        /** Logits before each of the {@code count} tokens after the context, feeding the text's own tokens. */
        private static float[][] teacherForce(Sequence work, float[] first, int[] ids, int from, int count) {
            float[][] logits = new float[count][];
            logits[0] = first.clone();
            for (int step = 1; step < count; step++) {
                logits[step] = work.append(ids[from + step - 1]).clone();
            }
            return logits;
        }

        private static String builtInCorpus() {
            try (InputStream in = EvalCommand.class.getResourceAsStream("/io/kvsqueeze/eval/fidelity-corpus.txt")) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** A CSV field: quoted when it holds a comma, quote or line break. */
    static String csv(String value) {
        if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
            return "\"" + value.replace("\"", "\"\"") + "\"";
        }
        return value;
    }

    static String fileName(String label) {
        return label.replaceAll("[^A-Za-z0-9.]+", "_");
    }
}
