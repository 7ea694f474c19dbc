package io.xin.loadgen.media;

import io.xin.client.XinClient;
import io.xin.client.media.MediaClient;
import io.xin.client.media.MediaCrypto;
import io.xin.client.media.MediaDownloader;
import io.xin.client.media.MediaUploader;
import io.xin.client.media.RetryPolicy;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.loadgen.report.Measurements;
import io.xin.loadgen.scenario.ChatRun;
import io.xin.loadgen.scenario.Fleet;
import io.xin.loadgen.scenario.Target;
import io.xin.media.BlobInfo;
import io.xin.media.ByteRange;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.Message;
import io.xin.server.media.DaemonMedia;
import io.xin.storage.FsyncPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Media end to end: a real switch with media on, on an ephemeral loopback port, its media server and local store,
 * and real clients. The sender's upload goes through a proxy that cuts it once mid-upload; it resumes, the message
 * goes out, the recipient gets it with the switch's access token, asks for the URL, downloads, checks and decrypts.
 * Then the load generator's media scenario, short, beside a chat run on the same sessions.
 */
@Timeout(120)
class MediaEndToEndIT
{
    private static final String SECRET = "media-end-to-end-test-secret-of-32-bytes";
    private static final long ALICE = 1001;
    private static final long BOB = 1002;
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final long WAIT_S = 30;

    @TempDir
    Path dir;

    @Test
    void shouldResumeACutUploadAndDeliverBytesTheRecipientDecrypts() throws Exception
    {
        final TokenIssuer issuer = new TokenIssuer(SECRET);
        final BlockingQueue<Message> bobInbox = new LinkedBlockingQueue<>();
        final byte[] photo = new byte[500_000];
        new Random(7).nextBytes(photo);
        final XinSwitch.Context ctx = new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(0)
            .dataDir(dir.resolve("data"))
            .jwtSecret(SECRET)
            .fsyncPolicy(FsyncPolicy.BATCH)
            .ioThreads(1)
            .mediaMaxChunkBytes(CHUNK_BYTES)
            // Alice and Bob are not friends.
            .strangersAllowedByDefault(true);
        try (DaemonMedia media = DaemonMedia.start(
                DaemonMedia.Options.local(dir.resolve("media"), "127.0.0.1", 0), ctx);
            XinSwitch xin = XinSwitch.launch(ctx);
            XinClient alice = client(issuer, ALICE, xin.port(), new XinClient.Listener()
            {
            });
            XinClient bob = client(issuer, BOB, xin.port(), new XinClient.Listener()
            {
                @Override
                public void onMessage(final Message message)
                {
                    if (message.getFromUserId() == ALICE)
                    {
                        bobInbox.add(message);
                    }
                }
            });
            // Cut in the third chunk of the first connection: two are stored, part of the third got through.
            CutOnceProxy proxy = new CutOnceProxy("127.0.0.1", media.port(), 2 * CHUNK_BYTES + 10_000))
        {
            alice.connect().get(WAIT_S, TimeUnit.SECONDS);
            bob.connect().get(WAIT_S, TimeUnit.SECONDS);
            final HttpClient http = MediaClient.newHttpClient();
            final MediaUploader uploader = new MediaUploader(http,
                (size, type, sha256, duration) -> alice.uploadTicket(size, type, sha256, duration)
                    .thenApply(ticket -> ticket.toBuilder().setUploadUrl(viaProxy(ticket.getUploadUrl(), proxy.port()))
                        .build()),
                MediaUploader.Options.DEFAULT.withRetry(
                    new RetryPolicy(4, Duration.ofMillis(10), Duration.ofMillis(50))));

            final MediaClient.SentMedia sent;
            try (MediaClient aliceMedia = new MediaClient(alice, uploader, new MediaDownloader(http, alice::mediaUrl),
                null))
            {
                sent = aliceMedia.sendMedia(BOB, MediaClient.Attachment.of(photo, "image/jpeg").encrypt(true)
                    .size(640, 480).caption("the view")).get(WAIT_S, TimeUnit.SECONDS);
            }

            assertTrue(proxy.cut(), "the upload was not cut");
            assertTrue(sent.upload().resumes() >= 1, "resumes: " + sent.upload().resumes());
            assertEquals(1, sent.upload().tickets());
            assertTrue(sent.upload().bytesSent() < photo.length + CHUNK_BYTES, "resumed from zero");
            assertEquals(MediaCrypto.ciphertextSize(photo.length), sent.ref().getSizeBytes());

            final Message received = bobInbox.poll(WAIT_S, TimeUnit.SECONDS);
            assertNotNull(received, "Bob did not get the message");
            assertEquals(ContentType.IMAGE, received.getContent().getType());
            assertEquals("the view", received.getContent().getBody().toStringUtf8());
            final MediaRef ref = received.getContent().getMedia();
            assertEquals(sent.ref().getBlobKey(), ref.getBlobKey());
            assertEquals(sent.ref().getEncryptionKey(), ref.getEncryptionKey());
            assertEquals(640, ref.getWidth());
            assertFalse(ref.getAccessToken().isEmpty(), "the switch stamped no access token");

            try (MediaClient bobMedia = new MediaClient(bob))
            {
                assertArrayEquals(photo, bobMedia.fetch(ref).get(WAIT_S, TimeUnit.SECONDS));
            }

            // The store holds ciphertext only, under its own hash.
            final BlobInfo blob = media.store().stat(ref.getBlobKey()).orElseThrow();
            assertEquals(photo.length + MediaCrypto.TAG_BYTES, blob.size());
            assertTrue(blob.owners().contains(ALICE));
            try (InputStream in = media.store().read(ref.getBlobKey(), ByteRange.ofLength(0, 4_096)))
            {
                assertFalse(Arrays.equals(Arrays.copyOf(photo, 4_096), in.readAllBytes()), "plaintext in the store");
            }
        }
    }

    @Test
    void shouldRunTheMediaScenarioBesideChatWithCutsAndNothingLost() throws Exception
    {
        final XinSwitch.Context ctx = new XinSwitch.Context()
            .bindHost("127.0.0.1")
            .port(0)
            .dataDir(dir.resolve("data"))
            .jwtSecret(SECRET)
            .fsyncPolicy(FsyncPolicy.BATCH)
            .ioThreads(1)
            .mediaMaxChunkBytes(CHUNK_BYTES)
            .strangersAllowedByDefault(true);
        try (DaemonMedia media = DaemonMedia.start(
                DaemonMedia.Options.local(dir.resolve("media"), "127.0.0.1", 0), ctx.mediaQuotaBytes(0));
            XinSwitch xin = XinSwitch.launch(ctx);
            Fleet fleet = new Fleet(new Target("127.0.0.1", xin.port(), null, SECRET, 5_000, List.of()), 10, 1))
        {
            assertEquals(0, fleet.connect(0, fleet.size(), 20_000));
            final ChatRun.Settings chatSettings = new ChatRun.Settings();
            chatSettings.ratePerSecond = 100;
            chatSettings.durationMs = 3_000;
            chatSettings.drainMs = 15_000;
            final MediaRun.Settings settings = new MediaRun.Settings();
            settings.uploadsPerSecond = 10;
            settings.sizes = "20k:1,200k:1";
            settings.cutFraction = 0.5;
            settings.encrypt = true;
            settings.durationMs = chatSettings.durationMs;
            final MediaRun mediaRun = new MediaRun(fleet, settings);
            final ChatRun.Outcome chat;
            try (Measurements measurements = new Measurements("media", () -> ""))
            {
                final ChatRun chatRun = new ChatRun(fleet, chatSettings, measurements).others(mediaRun);
                mediaRun.start();
                chat = chatRun.run();
            }
            final MediaRun.Outcome outcome = mediaRun.finish(30_000);

            assertEquals(0, chat.tally.lost, "text messages lost beside the media");
            assertEquals(0, chat.tally.duplicates);
            assertEquals(0, chat.foreign, "media messages reached the chat run");
            assertEquals(30, outcome.scheduled);
            assertEquals(30, outcome.uploads, () -> "failures: " + outcome.failureReasons);
            assertEquals(30, outcome.mediaSent);
            assertEquals(30, outcome.downloads, () -> "failures: " + outcome.failureReasons);
            assertEquals(0, outcome.corrupt + outcome.duplicates + outcome.undownloaded + outcome.unfinished);
            assertTrue(outcome.cutUploads > 0 && outcome.cuts == outcome.cutUploads, () -> outcome.cuts + " of " +
                outcome.cutUploads + " cut uploads cut");
            assertTrue(outcome.resumes >= outcome.cuts,
                () -> outcome.resumes + " resumes for " + outcome.cuts + " cuts");
            assertEquals(outcome.bytesUp, outcome.bytesDown);
        }
    }

    private static XinClient client(
        final TokenIssuer issuer, final long userId, final int port, final XinClient.Listener listener)
    {
        return XinClient.builder()
            .host("127.0.0.1")
            .port(port)
            .tokenSupplier(() -> issuer.issue(userId, Duration.ofHours(1)))
            .deviceId("phone-" + userId)
            .listener(listener)
            .build();
    }

    private static String viaProxy(final String url, final int proxyPort)
    {
        final URI uri = URI.create(url);
        return uri.getScheme() + "://127.0.0.1:" + proxyPort + uri.getRawPath();
    }
}
