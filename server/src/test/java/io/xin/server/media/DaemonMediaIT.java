package io.xin.server.media;

import com.google.protobuf.ByteString;
import io.xin.core.RawClient;
import io.xin.core.TestSwitch;
import io.xin.core.status.SwitchCounters;
import io.xin.media.MediaCollector;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon's media wired as {@code xin server} wires it, on loopback with ephemeral ports, a real RocksDB and a
 * real local media store: a ticket, the bytes over HTTP (tus PATCH) to the media server, the message with its
 * reference, the download URL fetched over HTTP, whole and in part; the key file made at the first start; the
 * collector removing an expired upload.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class DaemonMediaIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final int WAIT_MS = 10_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dataDir;
    @TempDir
    Path mediaDir;

    private DaemonMedia media;
    private TestSwitch server;

    @AfterEach
    void tearDown()
    {
        if (server != null)
        {
            server.close();
        }
        if (media != null)
        {
            media.close();
        }
    }

    private void start()
    {
        server = new TestSwitch(dataDir,
            ctx -> media = DaemonMedia.start(DaemonMedia.Options.local(mediaDir, "127.0.0.1", 0), ctx));
        media.collectEvery(server.xin());
    }

    @Test
    void shouldUploadOverHttpSendTheReferenceAndDownloadItWithTheUrlOfItsToken() throws Exception
    {
        start();
        assertEquals("http://127.0.0.1:" + media.port(), media.publicUrl());
        assertTrue(Files.isRegularFile(mediaDir.resolve(DaemonMedia.DEFAULT_KEY_FILE)), "key file made");
        final byte[] bytes = new byte[100_000];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)(i * 31);
        }
        try (RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone");
            RawClient bob = RawClient.loggedIn(server.port(), server.token(BOB), "phone"))
        {
            alice.send(Frame.newBuilder().setUploadTicket(UploadTicket.newBuilder().setRequestId(1)
                .setSizeBytes(bytes.length).setContentType("image/jpeg")
                .setSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(bytes)))).build());
            final UploadTicketResult ticket =
                alice.readUntil(Frame.BodyCase.UPLOAD_TICKET_RESULT, WAIT_MS).getUploadTicketResult();

            final HttpResponse<String> patched = patchWhole(ticket, bytes);
            assertEquals(204, patched.statusCode(), patched.body());
            assertEquals(ticket.getBlobKey(), patched.headers().firstValue("Xin-Blob-Key").orElse(""));

            alice.send(Frame.newBuilder().setSend(Send.newBuilder().setRequestId(2).setToUserId(BOB)
                .setClientMsgId("photo").setContent(Content.newBuilder().setType(ContentType.IMAGE)
                    .setMedia(MediaRef.newBuilder().setBlobKey(ticket.getBlobKey()).setSizeBytes(bytes.length)
                        .setMimeType("image/jpeg")))).build());
            assertEquals(1, alice.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck().getSeq());
            final Message delivered = bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage();
            final MediaRef ref = delivered.getContent().getMedia();

            bob.send(Frame.newBuilder().setMediaUrl(MediaUrl.newBuilder().setRequestId(3)
                .setBlobKey(ref.getBlobKey()).setAccessToken(ref.getAccessToken())).build());
            final MediaUrlResult url = bob.readUntil(Frame.BodyCase.MEDIA_URL_RESULT, WAIT_MS).getMediaUrlResult();

            final HttpResponse<byte[]> whole = HTTP.send(HttpRequest.newBuilder(URI.create(url.getUrl())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(bytes, whole.body());
            final HttpResponse<byte[]> part = HTTP.send(HttpRequest.newBuilder(URI.create(url.getUrl()))
                .header("Range", "bytes=10-19").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, part.statusCode());
            assertArrayEquals(Arrays.copyOfRange(bytes, 10, 20), part.body());

            final HttpResponse<byte[]> forged = HTTP.send(HttpRequest.newBuilder(URI.create(
                url.getUrl().substring(0, url.getUrl().indexOf("?token=")) + "?token=" + ticket.getToken())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(403, forged.statusCode(), "an upload's token does not read the blob");
        }
    }

    @Test
    void shouldCollectAnUploadPastItsExpiryAndCountIt() throws Exception
    {
        start();
        try (RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            alice.send(Frame.newBuilder().setUploadTicket(UploadTicket.newBuilder().setRequestId(1).setSizeBytes(5)
                .setContentType("audio/ogg").setSha256(ByteString.copyFrom(new byte[32]))).build());
            final UploadTicketResult ticket =
                alice.readUntil(Frame.BodyCase.UPLOAD_TICKET_RESULT, WAIT_MS).getUploadTicketResult();
            final String uploadId = ticket.getUploadUrl().substring(ticket.getUploadUrl().lastIndexOf('/') + 1);
            assertTrue(media.store().upload(uploadId).isPresent());

            final Instant later = Instant.ofEpochMilli(ticket.getExpiresAtMs()).plusSeconds(1);
            final SwitchCounters counters = server.xin().counters();
            final MediaCollector collector = new MediaCollector(media.store(), fixed(later),
                Duration.ofSeconds(server.xin().context().retentionSeconds()),
                Duration.ofSeconds(server.xin().context().mediaUploadLifetimeSeconds()));

            assertEquals(1, DaemonMedia.collect(collector, counters));
            assertTrue(media.store().upload(uploadId).isEmpty());
            assertEquals(1, counters.mediaCollected.sum());
        }
    }

    @Test
    void shouldKeepTheKeyFileAcrossRestartsSoStoredTokensStayValid() throws Exception
    {
        start();
        final String key = Files.readString(mediaDir.resolve(DaemonMedia.DEFAULT_KEY_FILE), StandardCharsets.UTF_8);
        server.close();
        server = null;
        media.close();
        media = null;

        start();
        assertEquals(key, Files.readString(mediaDir.resolve(DaemonMedia.DEFAULT_KEY_FILE), StandardCharsets.UTF_8));
    }

    private static Clock fixed(final Instant at)
    {
        return new Clock()
        {
            @Override
            public ZoneId getZone()
            {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(final ZoneId zone)
            {
                return this;
            }

            @Override
            public Instant instant()
            {
                return at;
            }
        };
    }

    /** The whole upload in one tus PATCH from offset 0, with the ticket's URL and token. */
    static HttpResponse<String> patchWhole(final UploadTicketResult ticket, final byte[] bytes) throws Exception
    {
        return HTTP.send(HttpRequest.newBuilder(URI.create(ticket.getUploadUrl()))
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(bytes))
            .header("Authorization", "Bearer " + ticket.getToken())
            .header("Tus-Resumable", "1.0.0")
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", "0")
            .build(), HttpResponse.BodyHandlers.ofString());
    }
}
