package io.xin.core;

import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.ChannelSync;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.GroupOp;
import io.xin.protocol.pb.GroupOpType;
import io.xin.protocol.pb.LoginError;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What docs/protocol.md tells a client writer, held against the switch over a raw socket: the paging rule at the
 * top of the uint64 range, the admission order of a send and the push-back at the in-flight limit, the checks of
 * {@code GroupOp.user_ids}, the answers of a draining switch, and how the HS256 secret becomes the key.
 */
@Timeout(60)
class ProtocolContractIT
{
    private static final long ALICE = 1;

    @TempDir
    Path dataDir;

    private static Frame sync(final long requestId, final long afterSeq)
    {
        return Frame.newBuilder().setSync(Sync.newBuilder().setRequestId(requestId).setAfterSeq(afterSeq)).build();
    }

    /** Reads until the answer to a sync, asking again after a BUSY (one sync at a time per connection). */
    private static Frame syncAnswer(final RawClient client, final Frame request, final Frame.BodyCase answerCase)
        throws Exception
    {
        client.send(request);
        while (true)
        {
            final Frame answer = client.read();
            if (answer.getBodyCase() == answerCase)
            {
                return answer;
            }
            if (answer.hasError())
            {
                assertEquals(ErrorCode.BUSY, answer.getError().getCode(), answer.toString());
                Thread.sleep(answer.getError().getRetryAfterMs());
                client.send(request);
            }
        }
    }

    @Test
    void shouldAnswerASyncPastEverySeqWithAnEmptyPageWhoseLastSeqIsTheAfterSeq() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            alice.send(RawClient.text(1, ALICE, "note-1", "to self"));
            assertEquals(1, alice.readUntil(Frame.BodyCase.SEND_ACK, 5_000).getSendAck().getSeq());

            // 2^63 - 1, 2^63 and 2^64 - 1 as uint64 on the wire.
            for (final long afterSeq : new long[]{ Long.MAX_VALUE, Long.MIN_VALUE, -1L })
            {
                final SyncResult page = syncAnswer(alice, sync(7, afterSeq), Frame.BodyCase.SYNC_RESULT).getSyncResult();
                final String at = Long.toUnsignedString(afterSeq);
                assertEquals(0, page.getMessagesCount(), at);
                assertFalse(page.getHasMore(), at);
                assertEquals(1, page.getHeadSeq(), at);
                assertEquals(at, Long.toUnsignedString(page.getLastSeq()), "last_seq = max(after_seq, head_seq)");
            }

            final ChannelOp create = ChannelOp.newBuilder().setRequestId(20).setOp(ChannelOpType.CHANNEL_CREATE)
                .setName("news").build();
            alice.send(Frame.newBuilder().setChannelOp(create).build());
            final long channelId = alice.readUntil(Frame.BodyCase.CHANNEL_RESULT, 5_000).getChannelResult().getChannelId();
            alice.send(Frame.newBuilder().setChannelOp(ChannelOp.newBuilder().setRequestId(21)
                .setOp(ChannelOpType.CHANNEL_FOLLOW).setChannelId(channelId)).build());
            alice.readUntil(Frame.BodyCase.CHANNEL_RESULT, 5_000);
            for (final long afterSeq : new long[]{ Long.MIN_VALUE, -1L })
            {
                final Frame request = Frame.newBuilder().setChannelSync(ChannelSync.newBuilder().setRequestId(22)
                    .setChannelId(channelId).setAfterSeq(afterSeq)).build();
                final ChannelSyncResult page =
                    syncAnswer(alice, request, Frame.BodyCase.CHANNEL_SYNC_RESULT).getChannelSyncResult();
                final String at = Long.toUnsignedString(afterSeq);
                assertEquals(0, page.getMessagesCount(), at);
                assertFalse(page.getHasMore(), at);
                assertEquals(at, Long.toUnsignedString(page.getLastSeq()), "channel last_seq = max(after_seq, head_seq)");
            }
        }
    }

    @Test
    void shouldRefuseGroupOpNamingANonPositiveUserIdAndOneThatNeedsUserIdsWithout() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir);
            RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            // 0, and 2^64 - 1 (a uint64 past 2^63 - 1): the whole op is refused, nothing is created.
            for (final long bad : new long[]{ 0, -1L, Long.MIN_VALUE })
            {
                alice.send(Frame.newBuilder().setGroupOp(GroupOp.newBuilder().setRequestId(3)
                    .setOp(GroupOpType.GROUP_CREATE).setName("g").addAllUserIds(List.of(2L, bad))).build());
                final Frame answer = alice.read();
                assertEquals(ErrorCode.BAD_REQUEST, answer.getError().getCode(), answer.toString());
                assertEquals(3, answer.getError().getRequestId());
                assertFalse(answer.getError().getFatal());
            }

            // Repeats and the requester's own id are dropped: the owner and user 2.
            alice.send(Frame.newBuilder().setGroupOp(GroupOp.newBuilder().setRequestId(4)
                .setOp(GroupOpType.GROUP_CREATE).setName("g").addAllUserIds(List.of(2L, 2L, ALICE))).build());
            final Frame created = alice.readUntil(Frame.BodyCase.GROUP_RESULT, 5_000);
            assertEquals(2, created.getGroupResult().getMemberCount(), created.toString());
            final long groupId = created.getGroupResult().getGroupId();

            for (final GroupOpType op : new GroupOpType[]{ GroupOpType.GROUP_ADD_MEMBERS,
                GroupOpType.GROUP_REMOVE_MEMBERS, GroupOpType.GROUP_ADD_ADMINS, GroupOpType.GROUP_REMOVE_ADMINS })
            {
                alice.send(Frame.newBuilder().setGroupOp(GroupOp.newBuilder().setRequestId(5).setOp(op)
                    .setGroupId(groupId)).build());
                // The group's creation event may be pushed first.
                final Frame answer = alice.readUntil(Frame.BodyCase.ERROR, 5_000);
                assertEquals(ErrorCode.BAD_REQUEST, answer.getError().getCode(), op + ": " + answer);
            }
            // An op that needs no user_ids still refuses a non-positive one.
            alice.send(Frame.newBuilder().setGroupOp(GroupOp.newBuilder().setRequestId(6)
                .setOp(GroupOpType.GROUP_LIST_MEMBERS).setGroupId(groupId).addUserIds(0)).build());
            assertEquals(ErrorCode.BAD_REQUEST, alice.readUntil(Frame.BodyCase.ERROR, 5_000).getError().getCode());
        }
    }

    @Test
    void shouldCheckASendInTheDocumentedOrderAndStopReadingAtTheInFlightLimitInsteadOfRefusing() throws Exception
    {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean stall = new AtomicBoolean();
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx
            .maxInFlightSendsPerSession(1)
            .sendRateLimit(1, 2)
            .journalWriter(store -> batch ->
            {
                if (stall.get())
                {
                    try
                    {
                        release.await(20, TimeUnit.SECONDS);
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                }
                store.append(batch);
            }));
            RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone"))
        {
            stall.set(true);
            // a is taken and waits for the stalled journal: one send in flight, the limit. b is not read.
            alice.send(RawClient.text(1, 2, "a", "a"));
            alice.send(RawClient.text(2, 2, "b", "b"));
            assertThrows(SocketTimeoutException.class, () -> alice.read(500), "no answer, no BUSY: reading stopped");
            stall.set(false);
            release.countDown();
            assertEquals("a", alice.read().getSendAck().getClientMsgId());
            assertEquals("b", alice.read().getSendAck().getClientMsgId());

            // Two sends taken in this second: the rate refuses the next. A malformed send is still refused as
            // malformed, before the rate and before the refusal of every send after a refused one.
            alice.send(RawClient.text(3, 2, "c", "c"));
            final Frame limited = alice.read();
            assertEquals(ErrorCode.RATE_LIMITED, limited.getError().getCode(), limited.toString());
            assertEquals("c", limited.getError().getClientMsgId());
            alice.send(RawClient.text(4, 0, "d", "to nobody"));
            final Frame malformed = alice.read();
            assertEquals(ErrorCode.BAD_REQUEST, malformed.getError().getCode(), malformed.toString());
            alice.send(RawClient.text(5, 2, "e", "e"));
            final Frame held = alice.read();
            assertEquals(ErrorCode.RATE_LIMITED, held.getError().getCode(), "held behind c: " + held);
            assertEquals("e", held.getError().getClientMsgId());
        }
        finally
        {
            release.countDown();
        }
    }

    @Test
    void shouldRefuseLoginsAndSendsWhileDrainingAndTellEveryConnectionToGoAway() throws Exception
    {
        final int maxDelayMs = 3_000;
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.goAwayMaxReconnectDelayMs(maxDelayMs)))
        {
            final RawClient alice = RawClient.loggedIn(server.port(), server.token(ALICE), "phone");
            final RawClient late = new RawClient(server.port());
            final RawClient silent = new RawClient(server.port());
            try (alice; late; silent)
            {
                // The first step of a stop, alone: the ports are still open, nothing is closed yet.
                server.xin().status().startDraining();
                late.send(RawClient.login(server.token(2), "phone"));
                final LoginError refused = late.read().getLoginError();
                assertEquals(ErrorCode.SHUTTING_DOWN, refused.getCode(), refused.toString());
                assertEquals(0, refused.getRetryAfterMs());
                assertTrue(late.closedWithin(5_000), "a refused login is closed");

                alice.send(RawClient.text(9, 2, "while-draining", "x"));
                final Frame notStored = alice.read();
                assertEquals(ErrorCode.SHUTTING_DOWN, notStored.getError().getCode(), notStored.toString());
                assertEquals("while-draining", notStored.getError().getClientMsgId());
                assertFalse(notStored.getError().getFatal());
                alice.send(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(10)).build());
                assertEquals(10, alice.readUntil(Frame.BodyCase.PONG, 5_000).getPong().getRequestId());
                assertEquals(0, syncAnswer(alice, sync(11, 0), Frame.BodyCase.SYNC_RESULT).getSyncResult().getHeadSeq());

                final Thread stop = new Thread(server::close, "stop");
                stop.start();
                for (final RawClient client : new RawClient[]{ alice, silent })
                {
                    // A connection that has not logged in is told too.
                    final GoAway goAway = client.readUntil(Frame.BodyCase.GO_AWAY, 10_000).getGoAway();
                    assertEquals("server draining", goAway.getReason());
                    assertTrue(goAway.getReconnectDelayMs() >= 0 && goAway.getReconnectDelayMs() <= maxDelayMs,
                        goAway.toString());
                    assertTrue(client.closedWithin(10_000), "the stream ends after the GoAway");
                }
                stop.join(20_000);
            }
        }
    }

    /**
     * protocol.md, "Cluster mode": MOVED answers a valid Login as a fatal Error (not a LoginError) with the Login's
     * request id, the node's address and no delay; an invalid token is still refused first, as AUTH_FAILED.
     */
    @Test
    void shouldAnswerALoginOnANodeThatDoesNotServeTheUserWithAFatalMovedError() throws Exception
    {
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.placement(userId -> "[2001:db8::1]:7800")))
        {
            try (RawClient client = new RawClient(server.port()))
            {
                client.send(Frame.newBuilder().setLogin(io.xin.protocol.pb.Login.newBuilder().setRequestId(41)
                    .setToken(server.token(ALICE)).setDeviceId("phone")).build());
                final Frame answer = client.read();
                assertEquals(Frame.BodyCase.ERROR, answer.getBodyCase(), answer.toString());
                assertEquals(ErrorCode.MOVED, answer.getError().getCode());
                assertEquals(41, answer.getError().getRequestId());
                assertTrue(answer.getError().getFatal());
                assertEquals("[2001:db8::1]:7800", answer.getError().getAddress());
                assertEquals(0, answer.getError().getRetryAfterMs());
                assertTrue(client.closedWithin(5_000));
            }
            try (RawClient client = new RawClient(server.port()))
            {
                client.send(RawClient.login("not-a-token", "phone"));
                assertEquals(ErrorCode.AUTH_FAILED, client.read().getLoginError().getCode());
            }
        }
    }

    @Test
    void shouldTakeTheUtf8BytesOfTheSecretStringAsTheHmacKey() throws Exception
    {
        final byte[] random = new byte[48];
        new java.security.SecureRandom().nextBytes(random);
        // What operations.md makes with head -c 48 /dev/urandom | base64: 64 characters of text.
        final String secret = Base64.getEncoder().encodeToString(random);
        try (TestSwitch server = new TestSwitch(dataDir, ctx -> ctx.jwtSecret(secret)))
        {
            final String withTextBytes = token(secret.getBytes(StandardCharsets.UTF_8));
            RawClient.loggedIn(server.port(), withTextBytes, "phone").close();

            try (RawClient client = new RawClient(server.port()))
            {
                client.send(RawClient.login(token(random), "tablet"));
                assertEquals(ErrorCode.AUTH_FAILED, client.read().getLoginError().getCode(),
                    "the string is not base64-decoded");
            }
        }
        // At least 32 bytes of UTF-8, not 32 characters.
        final XinSwitch.Context ctx = new XinSwitch.Context().dataDir(dataDir);
        assertThrows(IllegalArgumentException.class, () -> ctx.jwtSecret("x".repeat(31)).conclude());
        ctx.jwtSecret("ключ".repeat(4)).conclude();
    }

    private static String token(final byte[] key)
    {
        final Instant now = Instant.now();
        return Jwts.builder().subject(Long.toString(ALICE)).issuedAt(Date.from(now))
            .expiration(Date.from(now.plusSeconds(600)))
            .signWith(Keys.hmacShaKeyFor(key), Jwts.SIG.HS256).compact();
    }
}
