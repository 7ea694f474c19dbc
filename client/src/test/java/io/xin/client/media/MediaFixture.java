package io.xin.client.media;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.xin.media.AppendResult;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaException;
import io.xin.media.MediaLimits;
import io.xin.media.SignedUrls;
import io.xin.media.UploadRequest;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.UploadTicketResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A media server on 127.0.0.1 over a real {@link LocalMediaStore}, and a stand-in for the switch's side of the
 * media flow (tickets and download URLs, signed with the server's key), as {@code io.xin.core.media.MediaService}
 * answers them for one user.
 */
final class MediaFixture implements AutoCloseable
{
    static final long OWNER = 42;
    static final int MAX_CHUNK_BYTES = 64 * 1024;

    private static final Pattern UPLOAD = Pattern.compile("/media/v1/uploads/([A-Za-z0-9_-]+)");
    private static final Pattern BLOB = Pattern.compile("/media/v1/blobs/([0-9a-f]{64})");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    final LocalMediaStore store;
    private final SignedUrls urls;
    private final SignedUrls.Key key;
    private final HttpServer server;
    /** Uploads in progress by sha256 + size, as the switch finds them for a second ticket. */
    private final Map<String, String> uploadsByContent = new ConcurrentHashMap<>();
    /** Tickets issued. */
    final AtomicInteger tickets = new AtomicInteger();
    /** URLs issued. */
    final AtomicInteger mediaUrls = new AtomicInteger();
    /** The next ticket's token has already expired; once. */
    volatile boolean nextTokenExpired;
    /** The next URL has already expired; once. */
    volatile boolean nextUrlExpired;

    MediaFixture(final Path dir) throws IOException
    {
        store = LocalMediaStore.open(dir, MediaLimits.DEFAULTS, Clock.systemUTC());
        final byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        key = new SignedUrls.Key("k1", secret);
        urls = new SignedUrls(key, List.of(), Clock.systemUTC());
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newFixedThreadPool(4, task ->
        {
            final Thread thread = new Thread(task, "media-fixture");
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/media/v1/", this::handle);
        server.start();
    }

    int port()
    {
        return server.getAddress().getPort();
    }

    /** The switch's answer to UploadTicket, with URLs on the given port (the server's, or a proxy's). */
    MediaUploader.Tickets tickets(final int port)
    {
        return (size, contentType, sha256, durationMs) ->
        {
            tickets.incrementAndGet();
            final String hex = HexFormat.of().formatHex(sha256);
            final Optional<BlobInfo> blob = store.stat(hex);
            final UploadTicketResult.Builder answer = UploadTicketResult.newBuilder().setBlobKey(hex)
                .setMaxChunkBytes(MAX_CHUNK_BYTES);
            if (blob.isPresent() && blob.get().owners().contains(OWNER))
            {
                return CompletableFuture.completedFuture(answer.setAlreadyStored(true).build());
            }
            final Instant expiresAt = Instant.now().plus(Duration.ofHours(1));
            String uploadId = uploadsByContent.get(hex + "/" + size);
            if (uploadId == null || store.upload(uploadId).isEmpty())
            {
                uploadId = store.createUpload(new UploadRequest(OWNER, size, contentType, hex, expiresAt));
                uploadsByContent.put(hex + "/" + size, uploadId);
            }
            return CompletableFuture.completedFuture(answer
                .setUploadUrl("http://127.0.0.1:" + port + "/media/v1/uploads/" + uploadId)
                .setToken(sign("PATCH", uploadId, nextTokenExpired))
                .setExpiresAtMs(expiresAt.toEpochMilli())
                .setOffset(store.offset(uploadId))
                .build());
        };
    }

    /** The switch's answer to MediaUrl, with URLs on the given port. */
    MediaDownloader.Urls mediaUrls(final int port)
    {
        return (blobKey, accessToken) ->
        {
            mediaUrls.incrementAndGet();
            return CompletableFuture.completedFuture(MediaUrlResult.newBuilder().setBlobKey(blobKey)
                .setUrl("http://127.0.0.1:" + port + "/media/v1/blobs/" + blobKey + "?token=" +
                    sign("GET", blobKey, nextUrlExpired))
                .build());
        };
    }

    /** A reference to a stored blob, as a received message carries it. */
    static MediaRef ref(final String blobKey, final long size)
    {
        return MediaRef.newBuilder().setBlobKey(blobKey).setSizeBytes(size).setMimeType("image/png")
            .setAccessToken("capability").setEncryptionKey(ByteString.EMPTY).build();
    }

    private String sign(final String method, final String resource, final boolean expired)
    {
        if (!expired)
        {
            return urls.sign(method, resource, Instant.now().plus(Duration.ofHours(1)));
        }
        nextTokenExpired = false;
        nextUrlExpired = false;
        // Signed an hour ago, for half an hour: authentic, and expired.
        final Instant then = Instant.now().minus(Duration.ofHours(1));
        return new SignedUrls(key, List.of(), Clock.fixed(then, java.time.ZoneOffset.UTC))
            .sign(method, resource, then.plus(Duration.ofMinutes(30)));
    }

    // ---------------------------------------------------------------- the media server's tus and GET subset

    private void handle(final HttpExchange exchange) throws IOException
    {
        try (exchange)
        {
            final String path = exchange.getRequestURI().getPath();
            final Matcher upload = UPLOAD.matcher(path);
            final Matcher blob = BLOB.matcher(path);
            if (upload.matches())
            {
                upload(exchange, upload.group(1));
            }
            else if (blob.matches())
            {
                blob(exchange, blob.group(1));
            }
            else
            {
                answer(exchange, 404, "no such resource");
            }
        }
    }

    private void upload(final HttpExchange exchange, final String uploadId) throws IOException
    {
        final String method = exchange.getRequestMethod();
        final String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (!"1.0.0".equals(exchange.getRequestHeaders().getFirst("Tus-Resumable")))
        {
            answer(exchange, 412, "Tus-Resumable 1.0.0 required");
            return;
        }
        if (authorization == null || !authorization.startsWith("Bearer ") ||
            urls.verify("PATCH", uploadId, authorization.substring(7)) != SignedUrls.Verdict.VALID)
        {
            answer(exchange, 401, "bad or expired token");
            return;
        }
        try
        {
            if ("HEAD".equals(method))
            {
                exchange.getResponseHeaders().set("Upload-Offset", Long.toString(store.offset(uploadId)));
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.sendResponseHeaders(200, -1);
            }
            else if ("PATCH".equals(method))
            {
                if (!"application/offset+octet-stream".equals(exchange.getRequestHeaders().getFirst("Content-Type")))
                {
                    answer(exchange, 415, "wrong content type");
                    return;
                }
                final long length = Long.parseLong(exchange.getRequestHeaders().getFirst("Content-Length"));
                if (length > MAX_CHUNK_BYTES)
                {
                    answer(exchange, 413, "chunk over " + MAX_CHUNK_BYTES);
                    return;
                }
                final long offset = Long.parseLong(exchange.getRequestHeaders().getFirst("Upload-Offset"));
                final AppendResult result;
                try (InputStream body = exchange.getRequestBody())
                {
                    result = store.append(uploadId, offset, body);
                }
                exchange.getResponseHeaders().set("Upload-Offset", Long.toString(result.offset()));
                if (result.completed())
                {
                    exchange.getResponseHeaders().set(MediaUploader.BLOB_KEY_HEADER, result.blob().blobId());
                }
                exchange.sendResponseHeaders(204, -1);
            }
            else
            {
                answer(exchange, 405, "method not allowed");
            }
        }
        catch (final MediaException ex)
        {
            answer(exchange, switch (ex.reason())
            {
                case NOT_FOUND -> 404;
                case WRONG_OFFSET -> 409;
                case EXPIRED -> 410;
                case TOO_LARGE -> 413;
                case HASH_MISMATCH -> 460;
                default -> 400;
            }, ex.getMessage());
        }
    }

    private void blob(final HttpExchange exchange, final String blobId) throws IOException
    {
        final String query = exchange.getRequestURI().getQuery();
        final String token = query != null && query.startsWith("token=") ? query.substring(6) : "";
        if (urls.verify("GET", blobId, token) != SignedUrls.Verdict.VALID)
        {
            answer(exchange, 403, "bad or expired URL");
            return;
        }
        final Optional<BlobInfo> info = store.stat(blobId);
        if (info.isEmpty())
        {
            answer(exchange, 404, "no such blob");
            return;
        }
        final long size = info.get().size();
        ByteRange range = ByteRange.whole(size);
        int status = 200;
        final String rangeHeader = exchange.getRequestHeaders().getFirst("Range");
        if (rangeHeader != null)
        {
            final Matcher matcher = RANGE.matcher(rangeHeader);
            if (!matcher.matches() || matcher.group(1).isEmpty())
            {
                answer(exchange, 400, "range not supported here");
                return;
            }
            final long first = Long.parseLong(matcher.group(1));
            final long last = matcher.group(2).isEmpty() ? size - 1 :
                Math.min(size - 1, Long.parseLong(matcher.group(2)));
            if (first >= size || last < first)
            {
                answer(exchange, 416, "unsatisfiable");
                return;
            }
            range = new ByteRange(first, last);
            status = 206;
            exchange.getResponseHeaders().set("Content-Range", "bytes " + first + "-" + last + "/" + size);
        }
        exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
        exchange.sendResponseHeaders(status, range.length());
        try (InputStream in = store.read(blobId, range); OutputStream out = exchange.getResponseBody())
        {
            in.transferTo(out);
        }
    }

    private static void answer(final HttpExchange exchange, final int status, final String reason) throws IOException
    {
        final byte[] body = reason.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        if ("HEAD".equals(exchange.getRequestMethod()))
        {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(body);
        }
    }

    @Override
    public void close()
    {
        server.stop(0);
        store.close();
    }
}
