package io.xin.client.media;

import com.sun.net.httpserver.HttpServer;
import io.xin.protocol.pb.UploadHeader;
import io.xin.protocol.pb.UploadTicketResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Direct uploads: the uploader's one PUT of the whole body to a presigned URL, against an HTTP server on
 * 127.0.0.1 that stands for the object store and answers what each test scripts.
 */
@Timeout(30)
class MediaUploaderPutTest
{
    private static final RetryPolicy QUICK = new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5));

    private HttpServer server;
    /** Status codes to answer, one per PUT, then 200; the server's thread. */
    private final List<Integer> script = new CopyOnWriteArrayList<>();
    /** Bodies and checksum headers received, one per PUT; the server's thread. */
    private final List<byte[]> bodies = new CopyOnWriteArrayList<>();
    private final List<String> checksums = new CopyOnWriteArrayList<>();
    private final AtomicInteger ticketsAsked = new AtomicInteger();

    @BeforeEach
    void start() throws Exception
    {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/bucket/incoming/", exchange ->
        {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            try (InputStream in = exchange.getRequestBody())
            {
                in.transferTo(body);
            }
            bodies.add(body.toByteArray());
            checksums.add(exchange.getRequestHeaders().getFirst("x-amz-checksum-sha256") + "|" +
                exchange.getRequestHeaders().getFirst("Content-Type") + "|" +
                exchange.getRequestMethod() + "|" + exchange.getRequestURI().getRawQuery());
            final int status = script.isEmpty() ? 200 : script.remove(0);
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop()
    {
        server.stop(0);
    }

    @Test
    void shouldPutTheWholeBodyWithTheSignedHeadersAndRetryA5xxFromTheStart() throws Exception
    {
        final byte[] photo = bytes(200_000);
        script.add(503);
        final MediaUploader.Result result = uploader().upload(MediaSource.of(photo), "image/jpeg", 0,
            TransferProgress.NONE);

        assertEquals(2, bodies.size(), "one failed PUT, one that went through");
        assertArrayEquals(photo, bodies.get(0));
        assertArrayEquals(photo, bodies.get(1));
        assertEquals("c2hh|image/jpeg|PUT|X-Amz-Signature=s", checksums.get(1));
        assertEquals(MediaSource.of(photo).blobKey(), result.blobKey());
        assertEquals(0, result.resumes());
        assertEquals(1, result.tickets());
        assertEquals(2L * photo.length, result.bytesSent());
    }

    @Test
    void shouldAskANewTicketWhenTheSignatureExpired() throws Exception
    {
        final byte[] photo = bytes(1000);
        script.add(403);
        final MediaUploader.Result result = uploader().upload(MediaSource.of(photo), "image/jpeg", 0,
            TransferProgress.NONE);
        assertEquals(2, result.tickets());
        assertEquals(2, ticketsAsked.get());
        assertEquals(2, bodies.size());
    }

    @Test
    void shouldStopOnBytesTheStoreRefuses() throws Exception
    {
        script.add(400);
        final MediaTransferException ex = assertThrows(MediaTransferException.class,
            () -> uploader().upload(MediaSource.of(bytes(1000)), "image/jpeg", 0, TransferProgress.NONE));
        assertEquals(400, ex.status());
        assertEquals(1, bodies.size());
    }

    @Test
    void shouldGiveUpAfterTheRetryBudget() throws Exception
    {
        for (int i = 0; i < 10; i++)
        {
            script.add(500);
        }
        assertThrows(MediaTransferException.class,
            () -> uploader().upload(MediaSource.of(bytes(1000)), "image/jpeg", 0, TransferProgress.NONE));
        assertEquals(QUICK.maxRetries() + 1, bodies.size());
    }

    private MediaUploader uploader()
    {
        return new MediaUploader(MediaClient.newHttpClient(), (size, type, sha256, duration) ->
        {
            ticketsAsked.incrementAndGet();
            return CompletableFuture.completedFuture(UploadTicketResult.newBuilder()
                .setBlobKey(java.util.HexFormat.of().formatHex(sha256))
                .setUploadUrl("http://127.0.0.1:" + server.getAddress().getPort() +
                    "/bucket/incoming/u1?X-Amz-Signature=s")
                .setUploadMethod("PUT")
                .addUploadHeaders(UploadHeader.newBuilder().setName("content-type").setValue(type))
                .addUploadHeaders(UploadHeader.newBuilder().setName("x-amz-checksum-sha256").setValue("c2hh"))
                .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
                .build());
        }, MediaUploader.Options.DEFAULT.withRetry(QUICK));
    }

    private static byte[] bytes(final int length)
    {
        final byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
