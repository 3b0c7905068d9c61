package io.kvsqueeze.cli;

import io.kvsqueeze.engine.compress.Budget;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.compress.KvPolicyPresets;
import picocli.CommandLine.Option;

/** The KV-cache compression options of the commands that generate. */
final class KvPolicyOptions {
    @Option(names = "--kv-policy", paramLabel = "PRESET|JSON", defaultValue = "full",
            description = "KV-cache policy: a preset (${COMPLETION-CANDIDATES}) or a JSON policy "
                    + "(docs/compression.md); default: ${DEFAULT-VALUE}",
            completionCandidates = Presets.class)
    String policy;

    @Option(names = "--kv-budget", paramLabel = "TOKENS|RATIO",
            description = "KV budget per (layer, KV head), replacing the policy's: entries (e.g. 128) or a ratio "
                    + "of the prompt (e.g. 0.2)")
    String budget;

    /** The policy asked for; throws an IllegalArgumentException naming the field when it is invalid. */
    KvPolicy policy() {
        KvPolicy parsed = KvPolicy.parse(policy);
        return budget == null ? parsed : parsed.withBudget(Budget.parse(budget));
    }

    static final class Presets implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return KvPolicyPresets.names().iterator();
        }
    }
}
