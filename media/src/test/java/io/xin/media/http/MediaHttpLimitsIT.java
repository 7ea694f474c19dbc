package io.xin.media.http;

import static io.xin.media.http.MediaFixture.assertStatus;
import static io.xin.media.http.MediaFixture.bytes;
import static io.xin.media.http.MediaFixture.closedByServer;
import static io.xin.media.http.MediaFixture.read;
import static io.xin.media.http.MediaFixture.send;
import static io.xin.media.http.MediaFixture.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every limit of the media server, each set low and reached on real sockets. */
class MediaHttpLimitsIT
{
    @TempDir
    Path root;

    @Test
    void connectionsPastTheLimitAreAnswered503AndClosed() throws Exception
    {
        try (MediaFixture media = new MediaFixture(root, b -> b.maxConnections(2));
            Socket first = media.connect();
            Socket second = media.connect())
        {
            // Both are served, so both are counted, before the third arrives.
            for (final Socket socket : new Socket[] {first, second})
            {
                send(socket, "OPTIONS /media/v1/uploads HTTP/1.1\r\nHost: media\r\n\r\n");
                assertEquals(204, read(socket.getInputStream(), false).status());
            }
            try (Socket third = media.connect())
            {
                send(third, "OPTIONS /media/v1/uploads HTTP/1.1\r\nHost: media\r\n\r\n");
                final MediaFixture.RawResponse refused = read(third.getInputStream(), false);
                assertEquals(503, refused.status());
                assertEquals("close", refused.header("Connection"));
                assertTrue(closedByServer(third.getInputStream()));
            }
            assertEquals(1, media.server.refusedConnections());

            // A place frees up once one closes.
            first.close();
            MediaFixture.await(() -> media.server.openConnections() == 1, "the closed connections to be gone");
            try (Socket fourth = media.connect())
            {
                send(fourth, "OPTIONS /media/v1/uploads HTTP/1.1\r\nHost: media\r\n\r\n");
                assertEquals(204, read(fourth.getInputStream(), false).status());
            }
        }
    }

    @Test
    void idleConnectionsAreClosedAndAStalledBodyKeepsItsBytes() throws Exception
    {
        try (MediaFixture media = new MediaFixture(root, b -> b.idleTimeoutMs(200)))
        {
            try (Socket silent = media.connect())
            {
                assertTrue(closedByServer(silent.getInputStream()));
            }
            final byte[] photo = bytes(50_000, 1);
            final String id = media.createUpload(photo, "image/png");
            try (Socket stalled = media.connect())
            {
                send(stalled, "PATCH /media/v1/uploads/" + id + " HTTP/1.1\r\nHost: media\r\nTus-Resumable: 1.0.0\r\n" +
                    "Authorization: Bearer " + media.uploadToken(id) + "\r\n" +
                    "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n" +
                    "Content-Length: 50000\r\n\r\n");
                stalled.getOutputStream().write(photo, 0, 20_000);
                stalled.getOutputStream().flush();
                assertTrue(closedByServer(stalled.getInputStream()));
            }
            MediaFixture.await(() -> media.store.offset(id) == 20_000, "the stalled body's bytes in the store");
        }
    }

    @Test
    void longRequestLinesAndHeadersAreRefused() throws Exception
    {
        try (MediaFixture media = new MediaFixture(root, b -> b.maxInitialLineBytes(256).maxHeaderBytes(1024)))
        {
            try (Socket socket = media.connect())
            {
                send(socket, "GET /media/v1/blobs/" + "a".repeat(300) + " HTTP/1.1\r\nHost: media\r\n\r\n");
                final MediaFixture.RawResponse response = read(socket.getInputStream(), false);
                assertEquals(414, response.status());
                assertEquals("close", response.header("Connection"));
            }
            try (Socket socket = media.connect())
            {
                send(socket, "OPTIONS /media/v1/uploads HTTP/1.1\r\nHost: media\r\nX-Filler: " + "f".repeat(1100) +
                    "\r\n\r\n");
                assertEquals(431, read(socket.getInputStream(), false).status());
            }
            // Just under both limits is served.
            try (Socket socket = media.connect())
            {
                send(socket, "OPTIONS /media/v1/uploads?" + "q".repeat(200) + " HTTP/1.1\r\nHost: media\r\n" +
                    "X-Filler: " + "f".repeat(900) + "\r\n\r\n");
                assertEquals(204, read(socket.getInputStream(), false).status());
            }
        }
    }

    @Test
    void aPatchBodyIsReadNoFasterThanTheStoreTakesIt() throws Exception
    {
        final int buffer = 64 * 1024;
        try (MediaFixture media = new MediaFixture(root, b -> b.connectionBufferBytes(buffer).fileThreads(1)
            .maxChunkBytes(64L * 1024 * 1024)))
        {
            // 64 MiB: far more than the kernel's socket buffers can hold on their own.
            final byte[] video = bytes(64 * 1024 * 1024, 2);
            final String id = media.createUpload(video, "video/mp4");
            final CountDownLatch storeBusy = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            media.server.files().execute(() ->
            {
                storeBusy.countDown();
                await(release);
            });
            await(storeBusy);

            try (Socket socket = media.connect())
            {
                final CompletableFuture<Void> writer = CompletableFuture.runAsync(() ->
                {
                    try
                    {
                        final OutputStream out = socket.getOutputStream();
                        out.write(("PATCH /media/v1/uploads/" + id + " HTTP/1.1\r\nHost: media\r\n" +
                            "Tus-Resumable: 1.0.0\r\nAuthorization: Bearer " + media.uploadToken(id) + "\r\n" +
                            "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n" +
                            "Content-Length: " + video.length + "\r\n\r\n").getBytes());
                        out.write(video);
                        out.flush();
                    }
                    catch (final java.io.IOException e)
                    {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                MediaFixture.await(() -> media.server.bodyBytesHeld() >= buffer, "a connection buffer held");

                assertFalse(writer.isDone(), "the client is held back while the store is busy");
                assertTrue(media.server.bodyBytesHeld() < 2 * buffer + 64 * 1024, "" + media.server.bodyBytesHeld());

                release.countDown();
                writer.get(MediaFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
                final MediaFixture.RawResponse response = read(socket.getInputStream(), false);
                assertEquals(204, response.status(), response.text());
                assertEquals(sha256(video), response.header("Xin-Blob-Key"));
            }
            assertEquals(0, media.server.bodyBytesHeld());
            // Never more than the connection buffer and one read of the socket past it.
            assertTrue(media.server.peakBodyBytesHeld() <= buffer + 64 * 1024,
                "peak " + media.server.peakBodyBytesHeld());
        }
    }

    @Test
    void servesOverTls() throws Exception
    {
        final X509Bundle authority = new CertificateBuilder().subject("CN=Xin test CA").ecp256()
            .setIsCertificateAuthority(true).buildSelfSigned();
        final X509Bundle leaf = new CertificateBuilder().subject("CN=localhost").ecp256()
            .addSanIpAddress("127.0.0.1").buildIssuedBy(authority);
        final SSLContext trusting = SSLContext.getInstance("TLS");
        trusting.init(null, authority.toTrustManagerFactory().getTrustManagers(), null);
        final io.netty.handler.ssl.SslContext tls = SslContextBuilder.forServer(leaf.toKeyManagerFactory()).build();
        try (MediaFixture media = new MediaFixture(root, b -> b.sslContext(tls),
            HttpClient.newBuilder().sslContext(trusting)))
        {
            final byte[] photo = bytes(700_000, 3);
            final String id = media.createUpload(photo, "image/jpeg");
            final String token = media.uploadToken(id);
            assertStatus(204, media.patch(id, token, 0, Arrays.copyOf(photo, 300_000)));
            assertStatus(401, media.head(id, "bad"));
            final HttpResponse<String> done = media.patch(id, token, 300_000, Arrays.copyOfRange(photo, 300_000,
                photo.length));
            assertStatus(204, done);
            final HttpResponse<byte[]> download = media.get(media.blobUri(sha256(photo)));
            assertStatus(200, download);
            assertArrayEquals(photo, download.body());
            final HttpResponse<byte[]> range = media.get(media.blobUri(sha256(photo)), "Range", "bytes=-10");
            assertArrayEquals(Arrays.copyOfRange(photo, photo.length - 10, photo.length), range.body());
        }
    }

    @Test
    void aDownloadToASlowReaderIsPacedByTheConnection() throws Exception
    {
        final int buffer = 32 * 1024;
        try (MediaFixture media = new MediaFixture(root, b -> b.connectionBufferBytes(buffer)))
        {
            final byte[] video = bytes(8 * 1024 * 1024, 4);
            final String id = media.createUpload(video, "video/mp4");
            assertStatus(204, media.patch(id, media.uploadToken(id), 0, video));
            try (Socket socket = media.connect())
            {
                send(socket, "GET " + media.blobUri(sha256(video)).toString().substring(media.base.length()) +
                    " HTTP/1.1\r\nHost: media\r\n\r\n");
                // Not reading: once the socket buffers are full the server stops reading the blob.
                MediaFixture.await(() -> media.server.downloadPauses() > 0, "the download to wait for the reader");
                final InputStream in = socket.getInputStream();
                final MediaFixture.RawResponse response = read(in, false);
                assertEquals(200, response.status());
                assertArrayEquals(video, response.body());
            }
        }
    }

    private static void await(final CountDownLatch latch)
    {
        try
        {
            if (!latch.await(MediaFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS))
            {
                throw new AssertionError("latch not reached");
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
