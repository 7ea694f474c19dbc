package io.xin.server.media;

import io.xin.client.XinClient;
import io.xin.client.media.MediaClient;
import io.xin.client.media.MediaDownloader;
import io.xin.client.media.MediaUploader;
import io.xin.core.Configuration;
import io.xin.core.TestSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.media.s3.S3MediaStore;
import io.xin.media.s3.S3ProxyServer;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.UploadTicketResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Direct uploads end to end: a real switch with the daemon's media on a real S3Proxy and
 * {@code media-s3-direct-uploads} on. The Java client's {@link MediaClient#sendMedia} PUTs the bytes straight to
 * the bucket through the ticket's presigned URL, the message's reference completes the upload, and the recipient's
 * {@link MediaClient#fetch} downloads them. The switch's spool never holds a byte of them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
final class DirectUploadMediaIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final long WAIT_S = 20;

    @TempDir
    Path dir;

    private S3ProxyServer s3;
    private DaemonMedia media;
    private TestSwitch server;

    @AfterEach
    void tearDown() throws Exception
    {
        if (server != null)
        {
            server.close();
        }
        if (media != null)
        {
            media.close();
        }
        if (s3 != null)
        {
            s3.close();
        }
    }

    @Test
    void shouldSendMediaStraightToTheBucketAndDeliverIt() throws Exception
    {
        s3 = new S3ProxyServer(Files.createDirectory(dir.resolve("s3")));
        final String bucket = s3.newBucket();
        final Path accessKey = Files.writeString(dir.resolve("s3.access"), S3ProxyServer.ACCESS_KEY);
        final Path secretKey = Files.writeString(dir.resolve("s3.secret"), S3ProxyServer.SECRET_KEY);
        final Path spool = dir.resolve("spool");
        final DaemonMedia.Options options = new DaemonMedia.Options(Configuration.MEDIA_STORE_S3, null, spool,
            "127.0.0.1", 0, null, s3.endpoint().toString(), S3ProxyServer.REGION, bucket, accessKey, secretKey, true);
        server = new TestSwitch(dir.resolve("data"), ctx -> media = DaemonMedia.start(options,
            ctx.mediaS3DirectUploads(true).strangersAllowedByDefault(true)));

        final byte[] photo = new byte[300_000];
        new SecureRandom().nextBytes(photo);
        final BlockingQueue<Message> bobInbox = new LinkedBlockingQueue<>();
        final BlockingQueue<UploadTicketResult> tickets = new LinkedBlockingQueue<>();
        try (XinClient alice = client(ALICE, new XinClient.Listener()
            {
            });
            XinClient bob = client(BOB, new XinClient.Listener()
            {
                @Override
                public void onMessage(final Message message)
                {
                    if (message.getFromUserId() == ALICE)
                    {
                        bobInbox.add(message);
                    }
                }
            }))
        {
            alice.connect().get(WAIT_S, TimeUnit.SECONDS);
            bob.connect().get(WAIT_S, TimeUnit.SECONDS);
            final HttpClient http = MediaClient.newHttpClient();
            final MediaUploader uploader = new MediaUploader(http, (size, type, sha256, duration) ->
                alice.uploadTicket(size, type, sha256, duration).thenApply(ticket ->
                {
                    tickets.add(ticket);
                    return ticket;
                }));
            final MediaClient.SentMedia sent;
            try (MediaClient aliceMedia = new MediaClient(alice, uploader, new MediaDownloader(http, alice::mediaUrl),
                null))
            {
                sent = aliceMedia.sendMedia(BOB, MediaClient.Attachment.of(photo, "image/jpeg").encrypt(true)
                    .size(640, 480)).get(WAIT_S, TimeUnit.SECONDS);
            }
            final UploadTicketResult ticket = tickets.poll();
            assertNotNull(ticket);
            assertEquals("PUT", ticket.getUploadMethod());
            assertTrue(ticket.getUploadUrl().startsWith(s3.endpoint() + "/" + bucket + "/incoming/"),
                ticket.getUploadUrl());
            assertEquals(1, sent.upload().tickets());
            assertEquals(0, sent.upload().resumes());
            assertEquals(sent.ref().getSizeBytes(), sent.upload().bytesSent());

            final Message received = bobInbox.poll(WAIT_S, TimeUnit.SECONDS);
            assertNotNull(received, "Bob did not get the message");
            final MediaRef ref = received.getContent().getMedia();
            assertEquals(sent.ref().getBlobKey(), ref.getBlobKey());
            assertFalse(ref.getAccessToken().isEmpty(), "the switch stamped no access token");
            try (MediaClient bobMedia = new MediaClient(bob))
            {
                assertArrayEquals(photo, bobMedia.fetch(ref).get(WAIT_S, TimeUnit.SECONDS));
            }

            assertTrue(media.store().stat(ref.getBlobKey()).orElseThrow().owners().contains(ALICE));
            assertEquals(List.of("blobs/" + ref.getBlobKey(), "meta/" + ref.getBlobKey(), "usage/" + ALICE),
                s3.keys(bucket), "completed: nothing left under incoming/");
            // An upload through the switch keeps a directory in the spool until it completes; none is left, and
            // the bytes went to incoming/ (copied from there, nothing left), never to the spool.
            try (Stream<Path> files = Files.list(((S3MediaStore)media.store()).config().spoolDir()))
            {
                assertEquals(List.of(), files.filter(Files::isDirectory).toList(),
                    "the switch's spool held no upload");
            }
        }
    }

    private XinClient client(final long userId, final XinClient.Listener listener)
    {
        final TokenIssuer issuer = new TokenIssuer(TestSwitch.SECRET);
        return XinClient.builder()
            .host("127.0.0.1")
            .port(server.port())
            .tokenSupplier(() -> issuer.issue(userId, Duration.ofHours(1)))
            .deviceId("phone-" + userId)
            .listener(listener)
            .build();
    }
}
