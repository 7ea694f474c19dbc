package io.xin.client.media;

import com.google.protobuf.ByteString;
import io.xin.media.BlobInfo;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaLimits;
import io.xin.media.SignedUrls;
import io.xin.media.UploadRequest;
import io.xin.media.http.MediaHttpConfig;
import io.xin.media.http.MediaHttpServer;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.UploadTicketResult;

import java.io.IOException;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The media HTTP server on 127.0.0.1 over a real {@link LocalMediaStore}, and a stand-in for the switch's side of
 * the media flow (tickets and download URLs, signed with the server's key), as {@code io.xin.core.media.MediaService}
 * answers them for one user.
 */
final class MediaFixture implements AutoCloseable
{
    static final long OWNER = 42;
    static final int MAX_CHUNK_BYTES = 64 * 1024;

    final LocalMediaStore store;
    private final SignedUrls urls;
    private final SignedUrls.Key key;
    private final MediaHttpServer server;
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
        server = new MediaHttpServer(store, urls,
            MediaHttpConfig.builder("127.0.0.1", 0).maxChunkBytes(MAX_CHUNK_BYTES).build()).start();
    }

    int port()
    {
        return server.port();
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
                .setToken(sign("PATCH", "/media/v1/uploads/" + uploadId, nextTokenExpired))
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
                    sign("GET", "/media/v1/blobs/" + blobKey, nextUrlExpired))
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

    @Override
    public void close()
    {
        server.close();
        store.close();
    }
}
