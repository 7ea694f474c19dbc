package io.xin.core.session;

import com.google.protobuf.ByteString;
import com.lmax.disruptor.RingBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xin.core.XinSwitch;
import io.xin.core.auth.TokenIssuer;
import io.xin.core.auth.TokenVerifier;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.media.MediaKeys;
import io.xin.core.media.MediaService;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.status.SwitchCounters;
import io.xin.core.status.SwitchStatus;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaIds;
import io.xin.media.MediaLimits;
import io.xin.media.UploadRequest;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.UploadTicket;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A session's media detour on an embedded channel, its media "thread" a queue the test runs by hand: a send with a
 * media reference waits for its check off the loop, and nothing read after it (a text send, a ping) goes ahead of it;
 * requests while media is off are refused.
 */
class SessionMediaTest
{
    private static final String SECRET = "session-media-test-secret-of-32-bytes!!!";
    private static final long ALICE = 1;
    private static final long BOB = 2;

    @TempDir
    Path dir;

    private final Queue<Runnable> mediaThread = new ArrayDeque<>();
    private final SwitchCounters counters = new SwitchCounters();
    private final RingBuffer<SwitchEvent> ring = RingBuffer.createMultiProducer(SwitchEvent::new, 16);
    private LocalMediaStore store;
    private String blob;
    private int blobSize;

    @BeforeEach
    void storeABlobOfAlices() throws Exception
    {
        store = LocalMediaStore.open(dir, MediaLimits.DEFAULTS, Clock.systemUTC());
        final byte[] bytes = "alice's photo".getBytes(StandardCharsets.UTF_8);
        blob = MediaIds.blobId(MessageDigest.getInstance("SHA-256").digest(bytes));
        blobSize = bytes.length;
        final String upload = store.createUpload(new UploadRequest(ALICE, bytes.length, "image/jpeg", blob,
            Clock.systemUTC().instant().plusSeconds(600)));
        assertTrue(store.append(upload, 0, ByteBuffer.wrap(bytes)).completed());
    }

    @AfterEach
    void closeStore()
    {
        store.close();
    }

    @SuppressWarnings("unchecked")
    private EmbeddedChannel loggedIn(final MediaService media) throws Exception
    {
        final XinSwitch.Context settings = new XinSwitch.Context().jwtSecret(SECRET).parkIdleMs(0).ringSize(16);
        final SessionContext shared = new SessionContext(settings,
            new TokenVerifier(SECRET.getBytes(StandardCharsets.UTF_8), null, 30, System::currentTimeMillis),
            new RingBuffer[]{ ring }, null, new SwitchStatus(), counters, SystemNanoClock.INSTANCE, media, null);
        final EmbeddedChannel channel =
            new EmbeddedChannel(false, true, new XinChannelInitializer(shared, counters, null, false, null));
        channel.register();
        channel.freezeTime();
        channel.writeInbound(encode(Frame.newBuilder().setLogin(Login.newBuilder().setRequestId(1)
            .setToken(new TokenIssuer(SECRET).issue(ALICE, Duration.ofMinutes(5))).setDeviceId("phone")).build()));
        assertEquals(SwitchEvent.LOGIN, ring.get(0).type());
        return channel;
    }

    private MediaService media(final MediaKeys keys)
    {
        return new MediaService(store, keys.signedUrls(Clock.systemUTC()), keys.accessTokens(null, Clock.systemUTC()),
            new MediaService.Settings("http://media.example", MediaLimits.DEFAULTS, 0, 1 << 20), Clock.systemUTC(),
            counters, mediaThread::add);
    }

    private static Frame send(final long requestId, final String clientMsgId, final Content content)
    {
        return Frame.newBuilder().setSend(Send.newBuilder().setRequestId(requestId).setToUserId(BOB)
            .setClientMsgId(clientMsgId).setContent(content)).build();
    }

    private Content image(final long size)
    {
        return Content.newBuilder().setType(ContentType.IMAGE)
            .setMedia(MediaRef.newBuilder().setBlobKey(blob).setSizeBytes(size).setMimeType("image/jpeg")).build();
    }

    private static Content text(final String text)
    {
        return Content.newBuilder().setType(ContentType.TEXT).setBody(ByteString.copyFromUtf8(text)).build();
    }

    @Test
    void shouldKeepALaterTextSendAndPingBehindAMediaSendBeingChecked() throws Exception
    {
        final EmbeddedChannel channel = loggedIn(media(MediaKeys.random()));
        try
        {
            // One read holding the media send, a text send (read in place by the decoder) and a ping.
            channel.writeInbound(encode(send(2, "m-1", image(blobSize)), send(3, "t-2", text("after the photo")),
                Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(4)).build()));

            assertEquals(0, ring.getCursor(), "nothing published while the media reference is checked");
            assertNull(channel.readOutbound(), "the ping waits too");
            assertEquals(1, mediaThread.size());
            // A frame arriving later still waits.
            channel.writeInbound(encode(send(5, "t-3", text("later still"))));
            assertEquals(0, ring.getCursor());

            mediaThread.remove().run();
            assertEquals(0, ring.getCursor(), "the answer is handed to the session's loop");
            channel.runPendingTasks();

            assertEquals(3, ring.getCursor());
            assertEquals("m-1", ring.get(1).clientMsgId());
            assertEquals("t-2", ring.get(2).clientMsgId());
            assertEquals("t-3", ring.get(3).clientMsgId());
            assertTrue(readFrame(channel).hasPong(), "the ping answered after the send before it");
            assertEquals(1, counters.mediaRefsVerified.sum());
            assertTrue(channel.config().isAutoRead());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldRefuseABadReferenceAndGoOnWithTheSendsAfterIt() throws Exception
    {
        final EmbeddedChannel channel = loggedIn(media(MediaKeys.random()));
        try
        {
            channel.writeInbound(encode(send(2, "m-1", image(blobSize + 1)), send(3, "t-2", text("next"))));
            mediaThread.remove().run();
            channel.runPendingTasks();

            final Frame refused = readFrame(channel);
            assertEquals(ErrorCode.BAD_MEDIA_REF, refused.getError().getCode());
            assertEquals("m-1", refused.getError().getClientMsgId());
            assertFalse(refused.getError().getFatal());
            assertEquals(1, ring.getCursor(), "only the text send published");
            assertEquals("t-2", ring.get(1).clientMsgId());
            assertTrue(channel.isActive());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldRefuseAMediaSendAsBusyWhenTheMediaQueueIsFull() throws Exception
    {
        final MediaKeys keys = MediaKeys.random();
        final MediaService full = new MediaService(store, keys.signedUrls(Clock.systemUTC()),
            keys.accessTokens(null, Clock.systemUTC()),
            new MediaService.Settings("http://media.example", MediaLimits.DEFAULTS, 0, 1 << 20), Clock.systemUTC(),
            counters, task ->
            {
                throw new java.util.concurrent.RejectedExecutionException("full");
            });
        final EmbeddedChannel channel = loggedIn(full);
        try
        {
            channel.writeInbound(encode(send(2, "m-1", image(blobSize)), send(3, "t-2", text("next"))));

            final Frame busy = readFrame(channel);
            assertEquals(ErrorCode.BUSY, busy.getError().getCode());
            assertEquals("m-1", busy.getError().getClientMsgId());
            // Refused in order: the text send behind it waits for the media send to come again.
            assertEquals(ErrorCode.BUSY, readFrame(channel).getError().getCode());
            assertEquals(0, ring.getCursor());
            assertEquals(1, counters.mediaRefusedBusy.sum());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void shouldRefuseMediaRequestsAndStoreReferencesAsSentWhileMediaIsOff() throws Exception
    {
        final EmbeddedChannel channel = loggedIn(null);
        try
        {
            final Content asSent = image(blobSize).toBuilder()
                .setMedia(image(blobSize).getMedia().toBuilder().setAccessToken("client's own")).build();
            channel.writeInbound(encode(Frame.newBuilder().setUploadTicket(UploadTicket.newBuilder().setRequestId(2)
                .setSizeBytes(1).setContentType("image/png").setSha256(ByteString.copyFrom(new byte[32]))).build(),
                Frame.newBuilder().setMediaUrl(io.xin.protocol.pb.MediaUrl.newBuilder().setRequestId(3)
                    .setBlobKey(blob).setAccessToken("x")).build(),
                send(4, "m-1", asSent)));

            final Frame ticket = readFrame(channel);
            assertEquals(ErrorCode.NOT_ALLOWED, ticket.getError().getCode());
            assertEquals(2, ticket.getError().getRequestId());
            assertFalse(ticket.getError().getFatal());
            assertEquals(ErrorCode.NOT_ALLOWED, readFrame(channel).getError().getCode());
            assertEquals(1, ring.getCursor(), "the media send published at once, unchecked");
            assertEquals("m-1", ring.get(1).clientMsgId());
            assertTrue(mediaThread.isEmpty());
            assertEquals(2, counters.mediaRefusedOff.sum());
            assertTrue(channel.isActive());
        }
        finally
        {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf encode(final Frame... frames) throws Exception
    {
        final ByteBuf buffer = Unpooled.buffer();
        for (final Frame frame : frames)
        {
            FrameEncoder.writeFrame(frame, buffer);
        }
        return buffer;
    }

    private static Frame readFrame(final EmbeddedChannel channel)
    {
        final ByteBuf bytes = channel.readOutbound();
        assertTrue(bytes != null, "a frame was written");
        final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder(Integer.MAX_VALUE));
        try
        {
            decoder.writeInbound(bytes);
            return decoder.readInbound();
        }
        finally
        {
            decoder.finishAndReleaseAll();
        }
    }
}
