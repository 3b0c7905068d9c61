package io.kvsqueeze.engine.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;

/** Streams an HTTP(S) resource to a file, optionally resuming with a Range request. */
final class HttpDownloads {
    static final String USER_AGENT = "kvsqueeze";
    /** Time to wait for the response headers; the body may take as long as it needs. */
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);
    private static final int BUFFER_BYTES = 1 << 20;

    private HttpDownloads() {
    }

    /** A client that follows redirects (Hugging Face sends downloads to its CDN) but never from HTTPS to HTTP. */
    static HttpClient newClient() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(20))
                .build();
    }

    /**
     * Downloads {@code uri} into {@code target}. With {@code resume}, bytes already in {@code target} are kept and
     * only the rest is requested; a server that ignores the Range header sends everything and the file is rewritten.
     *
     * @param expectedSize the complete size, or 0 if unknown; a complete target is left alone, and a download that
     *                     ends short of it fails (keeping what arrived, for the next resume)
     */
    static void download(HttpClient client, URI uri, Path target, long expectedSize, boolean resume, FetchLog log,
                         String label) throws IOException {
        long existing = resume && Files.exists(target) ? Files.size(target) : 0;
        if (expectedSize > 0 && existing > expectedSize) {
            Files.delete(target);
            existing = 0;
        }
        if (expectedSize > 0 && existing == expectedSize) {
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().timeout(HEADERS_TIMEOUT)
                .header("User-Agent", USER_AGENT);
        if (existing > 0) {
            request.header("Range", "bytes=" + existing + "-");
            log.note("resuming at " + existing + " bytes");
        }
        HttpResponse<InputStream> response = send(client, request.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            boolean append = startOffset(response, uri, existing, target) > 0;
            long done = append ? existing : 0;
            long total = expectedSize > 0 ? expectedSize
                    : response.headers().firstValueAsLong("Content-Length").orElse(-1) + done;
            log.startTransfer(label, Math.max(total, 0), done);
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[BUFFER_BYTES];
                int read;
                while ((read = body.read(buffer)) != -1) {
                    out.write(buffer, 0, read);
                    done += read;
                    if (expectedSize > 0 && done > expectedSize) {
                        throw new IOException(uri + " sent more than the expected " + expectedSize + " bytes");
                    }
                    log.transferred(done);
                }
            } finally {
                log.endTransfer();
            }
            if (expectedSize > 0 && done < expectedSize) {
                throw new IOException("the download from " + uri + " ended after " + done + " of " + expectedSize
                        + " bytes; run again to resume");
            }
        }
    }

    /** Where the response body starts in the file: {@code existing} for a matching 206, 0 for a 200. */
    private static long startOffset(HttpResponse<?> response, URI uri, long existing, Path target) throws IOException {
        int status = response.statusCode();
        if (status == 200) {
            return 0;
        }
        if (status == 206 && existing > 0) {
            Optional<String> contentRange = response.headers().firstValue("Content-Range");
            if (contentRange.isPresent() && contentRange.get().startsWith("bytes " + existing + "-")) {
                return existing;
            }
            throw new IOException(uri + " answered a request for bytes from " + existing + " with Content-Range "
                    + contentRange.orElse("(none)"));
        }
        if (status == 416) {
            // The server's file is no longer than what we hold, yet ours is short of the expected size: start over.
            Files.deleteIfExists(target);
        }
        throw new IOException("HTTP " + status + " from " + uri);
    }

    static <T> HttpResponse<T> send(HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException {
        try {
            return client.send(request, handler);
        } catch (ConnectException e) {
            // Its own message is usually empty; the host and the cause say what went wrong.
            throw new IOException("cannot connect to " + request.uri().getHost(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while requesting " + request.uri());
        }
    }
}
