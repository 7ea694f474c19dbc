package io.xin.core;

import com.google.protobuf.ByteString;
import io.xin.core.media.GatedMediaStore;
import io.xin.core.media.MediaKeys;
import io.xin.media.LocalMediaStore;
import io.xin.media.MediaIds;
import io.xin.media.SignedUrls;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.MediaRef;
import io.xin.protocol.pb.MediaUrl;
import io.xin.protocol.pb.MediaUrlResult;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.UploadTicket;
import io.xin.protocol.pb.UploadTicketResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Media end to end over real sockets, a real RocksDB and a real local media store: a ticket, the bytes through the
 * store's API (as the media HTTP server writes them), the message with its reference stored and delivered with an
 * access token, the download URL for that token; references to someone else's blob, to no blob and of the wrong size
 * refused with nothing stored; the size limit and the quota; the order of a media send and the text after it; media
 * off.
 */
@Timeout(120)
class MediaIT
{
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final String PUBLIC_URL = "http://127.0.0.1:7702";
    private static final int WAIT_MS = 10_000;

    @TempDir
    Path dataDir;
    @TempDir
    Path mediaDir;

    private final MediaKeys keys = MediaKeys.random();
    private GatedMediaStore store;
    private TestSwitch server;

    @AfterEach
    void tearDown()
    {
        if (server != null)
        {
            server.close();
        }
        if (store != null)
        {
            store.close();
        }
    }

    /** A switch with media on, its store in {@link #mediaDir} with the limits of the context. */
    private void start(final Consumer<XinSwitch.Context> settings)
    {
        server = new TestSwitch(dataDir, ctx ->
        {
            settings.accept(ctx);
            store = new GatedMediaStore(LocalMediaStore.open(mediaDir, ctx.mediaLimits(), Clock.systemUTC()));
            ctx.media(store, keys).mediaPublicUrl(PUBLIC_URL);
        });
    }

    private RawClient login(final long userId, final String deviceId) throws IOException
    {
        return RawClient.loggedIn(server.port(), server.token(userId), deviceId);
    }

    private static Frame ticket(final long requestId, final byte[] bytes, final String contentType) throws Exception
    {
        return Frame.newBuilder().setUploadTicket(UploadTicket.newBuilder().setRequestId(requestId)
            .setSizeBytes(bytes.length).setContentType(contentType)
            .setSha256(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(bytes)))).build();
    }

    /** Asks a ticket and uploads the bytes through the store's API; returns the blob key. */
    private String upload(final RawClient client, final byte[] bytes) throws Exception
    {
        client.send(ticket(10, bytes, "image/jpeg"));
        final Frame answer = client.readUntil(Frame.BodyCase.UPLOAD_TICKET_RESULT, WAIT_MS);
        final UploadTicketResult ticket = answer.getUploadTicketResult();
        assertEquals(10, ticket.getRequestId());
        assertTrue(ticket.getUploadUrl().startsWith(PUBLIC_URL + "/media/v1/uploads/"), ticket.getUploadUrl());
        final String uploadId = ticket.getUploadUrl().substring(ticket.getUploadUrl().lastIndexOf('/') + 1);
        assertEquals(SignedUrls.Verdict.VALID, keys.signedUrls(Clock.systemUTC())
            .verify("PATCH", "/media/v1/uploads/" + uploadId, ticket.getToken()));
        assertTrue(store.append(uploadId, 0, ByteBuffer.wrap(bytes)).completed());
        return ticket.getBlobKey();
    }

    private static Content photo(final String blobKey, final long size)
    {
        return Content.newBuilder().setType(ContentType.IMAGE).setBody(ByteString.copyFromUtf8("look"))
            .setMedia(MediaRef.newBuilder().setBlobKey(blobKey).setSizeBytes(size).setMimeType("image/jpeg")
                .setWidth(640).setHeight(480).setThumbnail(ByteString.copyFrom(new byte[]{ 1, 2, 3 }))
                .setEncryptionKey(ByteString.copyFrom(new byte[]{ 9, 9 })).setAccessToken("the client's guess"))
            .build();
    }

    private static Frame send(final long requestId, final String clientMsgId, final Content content)
    {
        return Frame.newBuilder().setSend(Send.newBuilder().setRequestId(requestId).setToUserId(BOB)
            .setClientMsgId(clientMsgId).setContent(content)).build();
    }

    private static MediaRef stampedAs(final Content sent, final String accessToken)
    {
        return sent.getMedia().toBuilder().setAccessToken(accessToken).build();
    }

    @Test
    void shouldStoreAndDeliverAMediaMessageWithItsAccessTokenAndAnswerItsDownloadUrl() throws Exception
    {
        start(ctx -> { });
        try (RawClient alice = login(ALICE, "phone"); RawClient bob = login(BOB, "phone"))
        {
            final byte[] bytes = "a photo of the sea".getBytes(StandardCharsets.UTF_8);
            final String blob = upload(alice, bytes);
            assertEquals(MediaIds.blobId(MessageDigest.getInstance("SHA-256").digest(bytes)), blob);

            final Content sent = photo(blob, bytes.length);
            alice.send(send(11, "photo-1", sent));
            final SendAck ack = alice.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck();
            assertEquals(1, ack.getSeq());

            final Message delivered = bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage();
            final String token = delivered.getContent().getMedia().getAccessToken();
            assertNotEquals("the client's guess", token);
            assertFalse(token.isEmpty());
            assertEquals(stampedAs(sent, token), delivered.getContent().getMedia(), "all else as sent");
            assertEquals(sent.getBody(), delivered.getContent().getBody());

            // What is stored is what was delivered: the stamped reference.
            try (RawClient bobsLaptop = login(BOB, "laptop"))
            {
                bobsLaptop.send(Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(12)).build());
                final Message stored = bobsLaptop.readUntil(Frame.BodyCase.SYNC_RESULT, WAIT_MS).getSyncResult()
                    .getMessages(0);
                assertEquals(delivered.getContent(), stored.getContent());
            }

            bob.send(Frame.newBuilder().setMediaUrl(MediaUrl.newBuilder().setRequestId(13).setBlobKey(blob)
                .setAccessToken(token)).build());
            final MediaUrlResult url = bob.readUntil(Frame.BodyCase.MEDIA_URL_RESULT, WAIT_MS).getMediaUrlResult();
            assertEquals(13, url.getRequestId());
            final String prefix = PUBLIC_URL + "/media/v1/blobs/" + blob + "?token=";
            assertTrue(url.getUrl().startsWith(prefix), url.getUrl());
            assertEquals(SignedUrls.Verdict.VALID, keys.signedUrls(Clock.systemUTC())
                .verify("GET", "/media/v1/blobs/" + blob, url.getUrl().substring(prefix.length())));
            assertTrue(url.getExpiresAtMs() > System.currentTimeMillis());

            final XinSwitch xin = server.xin();
            assertEquals(1, xin.counters().mediaTicketsNew.sum());
            assertEquals(1, xin.counters().mediaRefsVerified.sum());
            assertEquals(1, xin.counters().mediaUrls.sum());
        }
    }

    @Test
    void shouldRefuseReferencesToAnotherUsersBlobNoBlobOrTheWrongSizeAndStoreNothing() throws Exception
    {
        start(ctx -> { });
        try (RawClient alice = login(ALICE, "phone"); RawClient bob = login(BOB, "phone"))
        {
            final byte[] bytes = "bob's own photo".getBytes(StandardCharsets.UTF_8);
            final String bobs = upload(bob, bytes);
            final String alices = upload(alice, "alice's".getBytes(StandardCharsets.UTF_8));

            alice.send(send(1, "others", photo(bobs, bytes.length)));
            final Frame others = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
            alice.send(send(2, "missing", photo("e".repeat(64), bytes.length)));
            final Frame missing = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
            alice.send(send(3, "wrong-size", photo(alices, 1)));
            final Frame wrongSize = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);

            for (final Frame refused : new Frame[]{ others, missing, wrongSize })
            {
                assertEquals(ErrorCode.BAD_MEDIA_REF, refused.getError().getCode(), refused.toString());
                assertFalse(refused.getError().getFatal());
            }
            assertEquals("others", others.getError().getClientMsgId());
            assertEquals(missing.getError().getMessage(), others.getError().getMessage(),
                "someone else's blob is refused as a missing one");

            // Nothing was stored: the next message is the first in both inboxes.
            alice.send(RawClient.text(4, BOB, "text-1", "did you get it?"));
            assertEquals(1, alice.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck().getSeq());
            final Message first = bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage();
            assertEquals("text-1", first.getClientMsgId());
            assertEquals(1, first.getSeq());
            assertEquals(3, server.xin().counters().mediaRefusedBadRef.sum());
        }
    }

    @Test
    void shouldRefuseATicketOverTheSizeLimitOrOverTheQuota() throws Exception
    {
        start(ctx -> ctx.mediaMaxImageBytes(100).mediaQuotaBytes(150));
        try (RawClient alice = login(ALICE, "phone"))
        {
            alice.send(ticket(1, new byte[101], "image/png"));
            final Frame tooLarge = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
            assertEquals(ErrorCode.MEDIA_TOO_LARGE, tooLarge.getError().getCode());
            assertEquals(1, tooLarge.getError().getRequestId());

            upload(alice, new byte[100]);
            alice.send(ticket(2, new byte[51], "image/png"));
            final Frame overQuota = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
            assertEquals(ErrorCode.QUOTA_EXCEEDED, overQuota.getError().getCode());
            assertEquals(2, overQuota.getError().getRequestId());
            assertFalse(overQuota.getError().getFatal());

            alice.send(ticket(3, new byte[50], "image/png"));
            assertTrue(alice.readUntil(Frame.BodyCase.UPLOAD_TICKET_RESULT, WAIT_MS).hasUploadTicketResult(),
                "exactly at the quota");
        }
    }

    @Test
    void shouldAnswerADownloadUrlForAGoodTokenOnlyAndNotForAForgedOne() throws Exception
    {
        start(ctx -> { });
        try (RawClient alice = login(ALICE, "phone"); RawClient bob = login(BOB, "phone"))
        {
            final byte[] bytes = "private".getBytes(StandardCharsets.UTF_8);
            final String blob = upload(alice, bytes);
            alice.send(send(1, "p", photo(blob, bytes.length)));
            final String token = bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage()
                .getContent().getMedia().getAccessToken();
            final MediaKeys otherKeys = MediaKeys.random();
            final String forged = otherKeys.accessTokens(null, Clock.systemUTC()).issue(blob);
            final String[] parts = token.split("\\.");
            final String otherKeyId = forged.substring(0, forged.indexOf('.'));
            assertNotEquals(parts[0], otherKeyId);

            for (final String bad : new String[]{ forged, parts[0] + "." + parts[1] + "." + forged.split("\\.")[2],
                "", "the client's guess" })
            {
                bob.send(Frame.newBuilder().setMediaUrl(MediaUrl.newBuilder().setRequestId(20).setBlobKey(blob)
                    .setAccessToken(bad)).build());
                final Frame refused = bob.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
                assertEquals(ErrorCode.BAD_MEDIA_REF, refused.getError().getCode(), bad);
                assertEquals(20, refused.getError().getRequestId());
            }
            bob.send(Frame.newBuilder().setMediaUrl(MediaUrl.newBuilder().setRequestId(21).setBlobKey(blob)
                .setAccessToken(token)).build());
            assertEquals(21, bob.readUntil(Frame.BodyCase.MEDIA_URL_RESULT, WAIT_MS).getMediaUrlResult()
                .getRequestId());
            assertEquals(4, server.xin().counters().mediaRefusedBadToken.sum());
        }
    }

    @Test
    void shouldStoreAMediaSendBeforeTheTextSendAfterItWhileItsCheckWaits() throws Exception
    {
        start(ctx -> { });
        try (RawClient alice = login(ALICE, "phone"); RawClient bob = login(BOB, "phone"))
        {
            final byte[] bytes = "first the photo".getBytes(StandardCharsets.UTF_8);
            final String blob = upload(alice, bytes);
            store.close(1);

            // One write: the media send and the text send arrive in one read of the switch.
            final ByteArrayOutputStream both = new ByteArrayOutputStream();
            send(1, "photo", photo(blob, bytes.length)).writeDelimitedTo(both);
            RawClient.text(2, BOB, "caption", "then the caption").writeDelimitedTo(both);
            alice.sendRaw(both.toByteArray());
            assertTrue(store.awaitWaiting(WAIT_MS), "the photo's check reached the store");
            store.open();

            final SendAck photoAck = alice.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck();
            final SendAck captionAck = alice.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck();
            assertEquals("photo", photoAck.getClientMsgId());
            assertEquals(1, photoAck.getSeq());
            assertEquals("caption", captionAck.getClientMsgId());
            assertEquals(2, captionAck.getSeq());
            assertEquals("photo", bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage()
                .getClientMsgId());
            assertEquals("caption", bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage()
                .getClientMsgId());
        }
    }

    @Test
    void shouldStampAChannelPostsReferenceAndRefuseAPostOfSomeoneElsesBlob() throws Exception
    {
        start(ctx -> { });
        try (RawClient alice = login(ALICE, "phone"); RawClient bob = login(BOB, "phone"))
        {
            alice.send(Frame.newBuilder().setChannelOp(ChannelOp.newBuilder().setRequestId(1)
                .setOp(ChannelOpType.CHANNEL_CREATE).setName("alice's photos")).build());
            final long channel = alice.readUntil(Frame.BodyCase.CHANNEL_RESULT, WAIT_MS).getChannelResult()
                .getChannelId();
            bob.send(Frame.newBuilder().setChannelOp(ChannelOp.newBuilder().setRequestId(2)
                .setOp(ChannelOpType.CHANNEL_FOLLOW).setChannelId(channel)).build());
            bob.readUntil(Frame.BodyCase.CHANNEL_RESULT, WAIT_MS);
            final byte[] bytes = "a channel photo".getBytes(StandardCharsets.UTF_8);
            final String alices = upload(alice, bytes);
            final byte[] bobsBytes = "bob's".getBytes(StandardCharsets.UTF_8);
            final String bobs = upload(bob, bobsBytes);

            alice.send(Frame.newBuilder().setChannelOp(ChannelOp.newBuilder().setRequestId(3)
                .setOp(ChannelOpType.CHANNEL_POST).setChannelId(channel).setClientMsgId("post-1")
                .setContent(photo(bobs, bobsBytes.length))).build());
            final Frame refused = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
            assertEquals(ErrorCode.BAD_MEDIA_REF, refused.getError().getCode());
            assertEquals(3, refused.getError().getRequestId());

            final Content sent = photo(alices, bytes.length);
            alice.send(Frame.newBuilder().setChannelOp(ChannelOp.newBuilder().setRequestId(4)
                .setOp(ChannelOpType.CHANNEL_POST).setChannelId(channel).setClientMsgId("post-2")
                .setContent(sent)).build());
            assertEquals(1, alice.readUntil(Frame.BodyCase.CHANNEL_RESULT, WAIT_MS).getChannelResult().getSeq(),
                "the refused post took no seq");
            final MediaRef pushed = bob.readUntil(Frame.BodyCase.CHANNEL_PUSH, WAIT_MS).getChannelPush().getMessage()
                .getContent().getMedia();
            assertNotEquals("the client's guess", pushed.getAccessToken());
            assertEquals(stampedAs(sent, pushed.getAccessToken()), pushed);
        }
    }

    @Test
    void shouldRefuseMediaRequestsAndStoreReferencesAsSentWhileMediaIsOff() throws Exception
    {
        server = new TestSwitch(dataDir);
        try (RawClient alice = login(ALICE, "phone"); RawClient bob = login(BOB, "phone"))
        {
            alice.send(ticket(1, new byte[10], "image/png"));
            final Frame ticket = alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS);
            assertEquals(ErrorCode.NOT_ALLOWED, ticket.getError().getCode());
            assertFalse(ticket.getError().getFatal());
            alice.send(Frame.newBuilder().setMediaUrl(MediaUrl.newBuilder().setRequestId(2).setBlobKey("f".repeat(64))
                .setAccessToken("t")).build());
            assertEquals(ErrorCode.NOT_ALLOWED, alice.readUntil(Frame.BodyCase.ERROR, WAIT_MS).getError().getCode());

            final Content sent = photo("f".repeat(64), 10);
            alice.send(send(3, "unchecked", sent));
            assertEquals(1, alice.readUntil(Frame.BodyCase.SEND_ACK, WAIT_MS).getSendAck().getSeq());
            assertEquals(sent, bob.readUntil(Frame.BodyCase.DELIVER, WAIT_MS).getDeliver().getMessage().getContent());
            assertEquals(2, server.xin().counters().mediaRefusedOff.sum());
        }
    }
}
