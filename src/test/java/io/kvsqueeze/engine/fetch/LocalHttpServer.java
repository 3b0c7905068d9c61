package io.kvsqueeze.engine.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An HTTP server on 127.0.0.1 serving byte arrays, with single open-ended Range support ("bytes=N-"). */
final class LocalHttpServer implements AutoCloseable {
    /** What a client asked for; {@code range} is null when it sent no Range header. */
    record Request(String path, String range, String accept) {
    }

    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, String> contentTypes = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile boolean honourRange = true;

    LocalHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    void serve(String path, byte[] content) {
        files.put(path, content);
    }

    void serve(String path, byte[] content, String contentType) {
        files.put(path, content);
        contentTypes.put(path, contentType);
    }

    /** Makes the server answer every request with the whole file, as servers without Range support do. */
    void ignoreRange() {
        honourRange = false;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String range = exchange.getRequestHeaders().getFirst("Range");
            requests.add(new Request(path, range, exchange.getRequestHeaders().getFirst("Accept")));
            byte[] content = files.get(path);
            if (content == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders()
                    .set("Content-Type", contentTypes.getOrDefault(path, "application/octet-stream"));
            int from = 0;
            int status = 200;
            if (honourRange && range != null) {
                from = Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
                if (from >= content.length) {
                    exchange.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                    exchange.sendResponseHeaders(416, -1);
                    return;
                }
                status = 206;
                exchange.getResponseHeaders().set("Content-Range",
                        "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
            }
            exchange.sendResponseHeaders(status, content.length - from);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(content, from, content.length - from);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
