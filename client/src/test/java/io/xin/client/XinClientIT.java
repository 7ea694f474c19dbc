package io.xin.client;

import io.xin.protocol.pb.Error;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.Kicked;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.LoginError;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.SyncHint;
import io.xin.protocol.pb.SyncResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.xin.client.Frames.busy;
import static io.xin.client.Frames.USER_ID;
import static io.xin.client.Frames.deliver;
import static io.xin.client.Frames.syncResultFrame;
import static io.xin.client.Frames.text;
import static io.xin.client.RecordingListener.take;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client against a scripted fake server on a loopback socket.
 */
@Timeout(20)
class XinClientIT
{
    private static final long WAIT_S = 5;

    private final RecordingListener listener = new RecordingListener();
    private FakeServer server;
    private XinClient client;

    @BeforeEach
    void startServer() throws InterruptedException
    {
        server = new FakeServer();
    }

    @AfterEach
    void stop()
    {
        if (client != null)
        {
            client.close();
        }
        server.close();
    }

    @Test
    void shouldLogInAndReportLoginOk() throws Exception
    {
        client = builder().clientVersion("test/1").build();
        final CompletableFuture<LoginOk> connected = client.connect();

        final FakeConnection connection = server.accept();
        final Login login = connection.expectLogin();
        assertEquals("token-1", login.getToken());
        assertEquals("phone", login.getDeviceId());
        assertEquals("test/1", login.getClientVersion());
        connection.write(Frame.newBuilder()
            .setLoginOk(Frames.loginOk(USER_ID, 0, 0).toBuilder().setRequestId(login.getRequestId()))
            .build());

        final LoginOk ok = connected.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(USER_ID, ok.getUserId());
        assertEquals(USER_ID, client.userId());
        assertEquals(XinClient.State.LOGGED_IN, client.state());
        assertEquals(USER_ID, take(listener.logins).getUserId());
        assertEquals(XinClient.State.CONNECTING, take(listener.states));
        assertEquals(XinClient.State.LOGGED_IN, take(listener.states));
        assertEquals(ok, client.connect().get(WAIT_S, TimeUnit.SECONDS));
        assertTrue(listener.callbackThreads.stream().allMatch(name -> name.startsWith("xin-client")),
            listener.callbackThreads::toString);
    }

    @Test
    void shouldConnectFromTheConfiguredLocalAddress() throws Exception
    {
        client = builder().localAddress(java.net.InetAddress.getByName("127.0.0.3")).build();
        final CompletableFuture<LoginOk> connected = client.connect();

        final FakeConnection connection = server.accept();
        connection.loginOk(USER_ID, 0, 0);

        connected.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals("127.0.0.3", connection.remoteAddress().getAddress().getHostAddress());
    }

    @Test
    void shouldSendUntrackedOnceAndIgnoreItsAck() throws Exception
    {
        client = builder().ackTimeoutMs(50).build();
        final CompletableFuture<LoginOk> connected = client.connect();
        final FakeConnection connection = server.accept();
        connection.loginOk(USER_ID, 0, 0);
        connected.get(WAIT_S, TimeUnit.SECONDS);

        client.sendUntracked(7, "untracked-1", text("fire and forget"));

        final Send send = connection.expectSend();
        assertEquals("untracked-1", send.getClientMsgId());
        assertEquals(7, send.getToUserId());
        connection.ack(send, 1);
        assertEquals(0, client.pendingSends());
        assertNull(connection.poll(300), "an untracked send was resent or answered");
        assertEquals(0, client.lastSeq(), "an untracked send entered the local inbox");
    }

    @Test
    void shouldPassOwnSendToTheListenerFromItsAckByDefault() throws Exception
    {
        client = builder().ackDelayMs(0).build();
        final FakeConnection connection = connect(0, 0);

        final CompletableFuture<SendAck> sent = client.send(7, "own-1", text("mine"));
        connection.ack(connection.expectSend(), 1);

        assertEquals(1, sent.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        final io.xin.protocol.pb.Message own = take(listener.messages);
        assertEquals(1, own.getSeq());
        assertEquals("own-1", own.getClientMsgId());
        assertEquals(USER_ID, own.getFromUserId());
    }

    @Test
    void shouldMovePastOwnSendWithoutPassingItWhenToldNotTo() throws Exception
    {
        client = builder().passOwnSends(false).ackDelayMs(0).build();
        final FakeConnection connection = connect(0, 0);

        final CompletableFuture<SendAck> sent = client.send(7, "own-1", text("mine"));
        connection.ack(connection.expectSend(), 1);
        assertEquals(1, sent.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        assertEquals(1L, connection.nextAck(FakeServer.WAIT_MS), "the cursor moves past the own send");
        connection.write(deliver(2));

        assertEquals(List.of(2L), listener.takeSeqs(1), "the own send is not passed on, the next message is");
        assertEquals(2, client.lastSeq());
        assertEquals(2L, connection.nextAck(FakeServer.WAIT_MS));
        assertNull(listener.messages.poll(50, TimeUnit.MILLISECONDS));
    }

    @Test
    void shouldFailConnectWithLoginErrorCodeAndNotReconnect() throws Exception
    {
        client = builder().build();
        final CompletableFuture<LoginOk> connected = client.connect();

        final FakeConnection connection = server.accept();
        final Login login = connection.expectLogin();
        connection.write(Frame.newBuilder().setLoginError(LoginError.newBuilder()
            .setRequestId(login.getRequestId())
            .setCode(ErrorCode.AUTH_FAILED)
            .setMessage("bad signature"))
            .build());

        final XinClientException ex = failure(connected);
        assertEquals(ErrorCode.AUTH_FAILED, ex.code());
        assertTrue(ex.getMessage().contains("bad signature"), ex.getMessage());
        assertEquals(ErrorCode.AUTH_FAILED, take(listener.errors).getCode());
        connection.awaitClosed();
        assertEquals(XinClient.State.DISCONNECTED, client.state());
        assertNull(server.pollAccept(200), "reconnected before the first login succeeded");
    }

    @Test
    void shouldFailConnectWhenNothingListens() throws Exception
    {
        server.unbind();
        client = builder().build();

        final XinClientException ex = failure(client.connect());

        assertEquals(ErrorCode.ERROR_CODE_UNSPECIFIED, ex.code());
        assertTrue(ex.getMessage().contains("connect to 127.0.0.1:" + server.port()), ex.getMessage());
        assertEquals(XinClient.State.DISCONNECTED, client.state());
    }

    @Test
    void shouldFailConnectWhenLoginIsNotAnswered() throws Exception
    {
        client = builder().connectTimeoutMs(300).build();
        final CompletableFuture<LoginOk> connected = client.connect();
        final FakeConnection connection = server.accept();
        connection.expectLogin();

        final XinClientException ex = failure(connected);

        assertTrue(ex.getMessage().contains("no login"), ex.getMessage());
        connection.awaitClosed();
    }

    @Test
    void shouldSyncGapAndDeliverInOrderWithoutDuplicates() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);

        connection.write(deliver(1));
        assertEquals(1, take(listener.messages).getSeq());
        connection.awaitAck(1);

        connection.write(deliver(1), deliver(3));
        final Sync sync = connection.expectSync();
        assertEquals(1, sync.getAfterSeq());
        assertEquals(0, sync.getLimit());

        connection.write(deliver(4), deliver(2));
        assertEquals(2, take(listener.messages).getSeq());
        assertNull(connection.poll(50), "a second sync while one is in flight");

        connection.write(syncResultFrame(sync.getRequestId(), 3, 3, false, 2, 3));
        final Sync again = connection.expectSync();
        assertEquals(3, again.getAfterSeq());
        connection.write(syncResultFrame(again.getRequestId(), 4, 4, false, 4));

        assertEquals(List.of(3L, 4L), listener.takeSeqs(2));
        connection.awaitAck(4);
        assertEquals(4, client.lastSeq());
        assertNull(listener.messages.poll(50, TimeUnit.MILLISECONDS), "a duplicate");
        assertNull(connection.poll(50), "an unneeded sync");
    }

    @Test
    void shouldPageFromCursorAfterLoginAndSkipRemovedSeqs() throws Exception
    {
        client = builder().syncPageLimit(2).build();
        final FakeConnection connection = connect(6, 2);

        final Sync first = connection.expectSync();
        assertEquals(2, first.getAfterSeq());
        assertEquals(2, first.getLimit());
        connection.write(syncResultFrame(first.getRequestId(), 4, 6, true, 4));

        final Sync second = connection.expectSync();
        assertEquals(4, second.getAfterSeq());
        connection.write(syncResultFrame(second.getRequestId(), 6, 6, false, 5, 6));

        assertEquals(List.of(4L, 5L, 6L), listener.takeSeqs(3));
        connection.awaitAck(6);
        assertEquals(6, client.lastSeq());
    }

    @Test
    void shouldStartFromInitialSeqInsteadOfCursor() throws Exception
    {
        client = builder().initialSeq(4).build();
        final FakeConnection connection = connect(5, 1);

        final Sync sync = connection.expectSync();
        assertEquals(4, sync.getAfterSeq());
        connection.write(syncResultFrame(sync.getRequestId(), 5, 5, false, 5));

        assertEquals(5, take(listener.messages).getSeq());
        connection.awaitAck(5);
    }

    @Test
    void shouldSyncOnSyncHint() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);

        connection.write(Frame.newBuilder().setSyncHint(SyncHint.newBuilder().setHeadSeq(2)).build());

        final Sync sync = connection.expectSync();
        assertEquals(0, sync.getAfterSeq());
        connection.write(syncResultFrame(sync.getRequestId(), 2, 2, false, 1, 2));
        assertEquals(List.of(1L, 2L), listener.takeSeqs(2));
    }

    @Test
    void shouldLeaveStateAloneOnRawSync() throws Exception
    {
        client = builder().autoAck(false).build();
        final FakeConnection connection = connect(0, 0);

        final CompletableFuture<SyncResult> result = client.sync(0, 10);
        final Sync sync = connection.expectSync();
        assertEquals(10, sync.getLimit());
        connection.write(syncResultFrame(sync.getRequestId(), 2, 2, false, 1, 2));

        assertEquals(2, result.get(WAIT_S, TimeUnit.SECONDS).getMessagesCount());
        assertEquals(0, client.lastSeq());
        assertNull(listener.messages.poll(50, TimeUnit.MILLISECONDS));
    }

    @Test
    void shouldAskRawSyncAgainWhenServerAnswersBusy() throws Exception
    {
        client = builder().autoAck(false).build();
        final FakeConnection connection = connect(0, 0);

        final CompletableFuture<SyncResult> result = client.sync(5, 10);
        final Sync refused = connection.expectSync();
        connection.write(busy(refused.getRequestId(), 50));

        final Sync retry = connection.expectSync();
        assertNotEquals(refused.getRequestId(), retry.getRequestId());
        assertEquals(5, retry.getAfterSeq());
        assertEquals(10, retry.getLimit());
        assertFalse(result.isDone(), "a BUSY answer failed the raw sync");
        connection.write(syncResultFrame(retry.getRequestId(), 7, 7, false, 6, 7));
        assertEquals(2, result.get(WAIT_S, TimeUnit.SECONDS).getMessagesCount());
    }

    @Test
    void shouldCoverEveryMessageOfTheAckDelayWithOneAck() throws Exception
    {
        client = builder().ackDelayMs(400).build();
        final FakeConnection connection = connect(0, 0);
        connection.write(deliver(1));
        assertEquals(List.of(1L), listener.takeSeqs(1));
        Thread.sleep(100); // a later read, within the delay the first one started
        connection.write(deliver(2), deliver(3));
        assertEquals(List.of(2L, 3L), listener.takeSeqs(2));

        assertEquals(3L, connection.nextAck(FakeServer.WAIT_MS), "one Ack covering the three messages");
        assertNull(connection.nextAck(600), "no further Ack without new messages");
    }

    @Test
    void shouldAckAtTheEndOfEveryReadWithoutAnAckDelay() throws Exception
    {
        client = builder().ackDelayMs(0).build();
        final FakeConnection connection = connect(0, 0);
        connection.write(deliver(1));
        assertEquals(1L, connection.nextAck(FakeServer.WAIT_MS));
        connection.write(deliver(2));
        assertEquals(2L, connection.nextAck(FakeServer.WAIT_MS));
    }

    @Test
    void shouldRejectANegativeAckDelay()
    {
        assertThrows(IllegalArgumentException.class, () -> builder().ackDelayMs(-1));
    }

    @Test
    void shouldAckOnlyWhenToldWithoutAutoAck() throws Exception
    {
        client = builder().autoAck(false).build();
        final FakeConnection connection = connect(0, 0);
        connection.write(deliver(1), deliver(2));
        assertEquals(List.of(1L, 2L), listener.takeSeqs(2));

        client.ack(2);

        connection.awaitAck(2);
    }

    @Test
    void shouldResendPendingSendsWithSameClientMsgIdAfterServerDropsConnection() throws Exception
    {
        client = builder().build();
        final FakeConnection first = connect(0, 0);

        final CompletableFuture<SendAck> a = client.send(Frames.PEER_ID, "msg-a", text("a"));
        final CompletableFuture<SendAck> b = client.send(Frames.PEER_ID, "msg-b", text("b"));
        final Send firstA = first.expectSend();
        final Send firstB = first.expectSend();
        assertEquals("msg-a", firstA.getClientMsgId());
        assertEquals("msg-b", firstB.getClientMsgId());
        assertEquals(2, client.pendingSends());

        first.close();
        listener.awaitState(XinClient.State.DISCONNECTED);

        final FakeConnection second = server.accept();
        second.loginOk(USER_ID, 0, 0);
        final Send againA = second.expectSend();
        final Send againB = second.expectSend();
        assertEquals("msg-a", againA.getClientMsgId());
        assertEquals("msg-b", againB.getClientMsgId());
        assertEquals(firstA.getContent(), againA.getContent());
        assertEquals(Frames.PEER_ID, againB.getToUserId());

        second.ack(againA, 1);
        second.ack(againB, 2);
        assertEquals(1, a.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        assertEquals(2, b.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        assertEquals(0, client.pendingSends());
        assertEquals("msg-a", take(listener.sendAcks).getClientMsgId());
    }

    @Test
    void shouldSendWhatWasQueuedBeforeLogin() throws Exception
    {
        client = builder().build();
        final CompletableFuture<SendAck> queued = client.send(Frames.PEER_ID, text("early"));
        assertFalse(queued.isDone());

        final FakeConnection connection = connect(0, 0);
        final Send send = connection.expectSend();
        assertEquals(22, send.getClientMsgId().length());
        connection.ack(send, 1);

        assertEquals(send.getClientMsgId(), queued.get(WAIT_S, TimeUnit.SECONDS).getClientMsgId());
    }

    @Test
    void shouldResendOnSameConnectionAfterAckTimeout() throws Exception
    {
        client = builder().ackTimeoutMs(200).build();
        final FakeConnection connection = connect(0, 0);

        final long startNs = System.nanoTime();
        final CompletableFuture<SendAck> sent = client.send(Frames.PEER_ID, "slow", text("x"));
        final Send first = connection.expectSend();
        final Send second = connection.expectSend();
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);

        assertEquals("slow", second.getClientMsgId());
        assertNotEquals(first.getRequestId(), second.getRequestId());
        assertTrue(elapsedMs >= 150, "resent after " + elapsedMs + " ms");
        connection.ack(second, 1);
        assertEquals(1, sent.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        assertNull(server.pollAccept(0), "reconnected instead of resending");
        assertEquals(0, client.pendingSends());
    }

    @Test
    void shouldResendTrackedSendUntilAckedAndReportItToTheListenerOnce() throws Exception
    {
        client = builder().ackTimeoutMs(200).build();
        final FakeConnection connection = connect(0, 0);

        client.sendTracked(7, "tracked-1", text("x"));
        client.sendTracked(7, "tracked-1", text("x"));
        final Send first = connection.expectSend();
        final Send resent = connection.expectSend();
        assertEquals("tracked-1", first.getClientMsgId());
        assertEquals("tracked-1", resent.getClientMsgId(), "resent after the ack timeout, under the same id");
        assertEquals(1, client.pendingSends(), "the second call shares the pending send");
        connection.ack(resent, 1);

        assertEquals("tracked-1", take(listener.sendAcks).getClientMsgId());
        assertEquals(0, client.pendingSends());
        assertNull(listener.sendAcks.poll(300, TimeUnit.MILLISECONDS), "the ack is reported once");
        assertTrue(listener.sendFailures.isEmpty());
    }

    @Test
    void shouldReportRefusedTrackedSendToTheListenerAndFailASharedFuture() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);

        client.sendTracked(0, "bad", text("x"));
        final CompletableFuture<SendAck> shared = client.send(0, "bad", text("x"));
        final Send badSend = connection.expectSend();
        connection.write(Frame.newBuilder().setError(Error.newBuilder()
            .setCode(ErrorCode.BAD_REQUEST)
            .setMessage("no such user")
            .setClientMsgId(badSend.getClientMsgId()))
            .build());

        assertEquals("bad", take(listener.failedClientMsgIds));
        assertEquals(ErrorCode.BAD_REQUEST, take(listener.sendFailures).code());
        assertEquals(ErrorCode.BAD_REQUEST, failure(shared).code());
        assertEquals(0, client.pendingSends());
        assertThrows(IllegalArgumentException.class, () -> client.sendTracked(7, "", text("x")));
    }

    @Test
    void shouldReportPendingTrackedSendsAsFailedWhenClosed() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);
        client.sendTracked(7, "never-acked", text("x"));
        connection.expectSend();

        client.close();

        assertEquals("never-acked", take(listener.failedClientMsgIds));
        assertEquals(ErrorCode.ERROR_CODE_UNSPECIFIED, take(listener.sendFailures).code());
    }

    @Test
    void shouldRetryBusySendAndFailRejectedOne() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);

        final CompletableFuture<SendAck> busy = client.send(Frames.PEER_ID, "busy", text("x"));
        final Send first = connection.expectSend();
        connection.write(Frame.newBuilder().setError(Error.newBuilder()
            .setRequestId(first.getRequestId())
            .setCode(ErrorCode.BUSY)
            .setRetryAfterMs(100)
            .setClientMsgId("busy"))
            .build());

        final Send retry = connection.expectSend();
        assertEquals("busy", retry.getClientMsgId());
        assertEquals(ErrorCode.BUSY, take(listener.errors).getCode());
        connection.ack(retry, 1);
        busy.get(WAIT_S, TimeUnit.SECONDS);

        final CompletableFuture<SendAck> bad = client.send(0, "bad", text("x"));
        final Send badSend = connection.expectSend();
        connection.write(Frame.newBuilder().setError(Error.newBuilder()
            .setCode(ErrorCode.BAD_REQUEST)
            .setMessage("no such user")
            .setClientMsgId(badSend.getClientMsgId()))
            .build());

        final XinClientException ex = failure(bad);
        assertEquals(ErrorCode.BAD_REQUEST, ex.code());
        assertEquals(0, client.pendingSends());
        assertEquals(XinClient.State.LOGGED_IN, client.state());
    }

    @Test
    void shouldResendEachRateLimitedSendAfterItsOwnRetryAfterInIssueOrderAndNotBefore() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);
        final CompletableFuture<SendAck> first = client.send(Frames.PEER_ID, "r-1", text("1"));
        final CompletableFuture<SendAck> second = client.send(Frames.PEER_ID, "r-2", text("2"));
        final Send sent1 = connection.expectSend();
        final Send sent2 = connection.expectSend();

        final long refusedAtNs = System.nanoTime();
        connection.write(rateLimited(sent1, 300));
        connection.write(rateLimited(sent2, 3_000));
        assertEquals(ErrorCode.RATE_LIMITED, take(listener.errors).getCode());
        assertEquals(ErrorCode.RATE_LIMITED, take(listener.errors).getCode());
        final CompletableFuture<SendAck> third = client.send(Frames.PEER_ID, "r-3", text("3"));

        final Send again1 = connection.expectSend();
        final long firstAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refusedAtNs);
        assertEquals("r-1", again1.getClientMsgId());
        assertTrue(firstAfterMs >= 300, "resent before its retry_after_ms: after " + firstAfterMs + " ms");
        assertTrue(firstAfterMs < 2_500, "held until the later send's retry_after_ms: " + firstAfterMs + " ms");
        connection.ack(again1, 1);
        assertEquals(1, first.get(WAIT_S, TimeUnit.SECONDS).getSeq());

        final Send again2 = connection.expectSend();
        final long secondAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refusedAtNs);
        assertEquals("r-2", again2.getClientMsgId());
        assertTrue(secondAfterMs >= 3_000, "resent before its retry_after_ms: after " + secondAfterMs + " ms");
        final Send then3 = connection.expectSend();
        assertEquals("r-3", then3.getClientMsgId(), "a send issued during the refusal goes after the refused ones");
        connection.ack(again2, 2);
        connection.ack(then3, 3);
        assertEquals(2, second.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        assertEquals(3, third.get(WAIT_S, TimeUnit.SECONDS).getSeq());
        assertNull(connection.poll(100), "each refused send resent once");
    }

    private static Frame rateLimited(final Send send, final int retryAfterMs)
    {
        return Frame.newBuilder().setError(Error.newBuilder()
            .setRequestId(send.getRequestId())
            .setCode(ErrorCode.RATE_LIMITED)
            .setRetryAfterMs(retryAfterMs)
            .setClientMsgId(send.getClientMsgId()))
            .build();
    }

    @Test
    void shouldResendAfterReconnectWhenStorageFailedFatally() throws Exception
    {
        client = builder().build();
        final FakeConnection first = connect(0, 0);
        final CompletableFuture<SendAck> sent = client.send(Frames.PEER_ID, "durable", text("x"));
        final Send send = first.expectSend();

        first.write(Frame.newBuilder().setError(Error.newBuilder()
            .setRequestId(send.getRequestId())
            .setCode(ErrorCode.STORAGE_FAILURE)
            .setFatal(true)
            .setClientMsgId("durable"))
            .build());
        first.awaitClosed();
        assertFalse(sent.isDone());

        final FakeConnection second = server.accept();
        second.loginOk(USER_ID, 0, 0);
        final Send again = second.expectSend();
        assertEquals("durable", again.getClientMsgId());
        second.ack(again, 1);
        assertEquals(1, sent.get(WAIT_S, TimeUnit.SECONDS).getSeq());
    }

    @Test
    void shouldRetryBusySyncAfterRetryAfter() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(3, 0);
        final Sync refused = connection.expectSync();
        connection.write(busy(refused.getRequestId(), 100));

        final Sync retry = connection.expectSync();
        assertEquals(0, retry.getAfterSeq());
        assertNotEquals(refused.getRequestId(), retry.getRequestId());
        connection.write(syncResultFrame(retry.getRequestId(), 3, 3, false, 1, 2, 3));
        assertEquals(List.of(1L, 2L, 3L), listener.takeSeqs(3));
    }

    @Test
    void shouldStopReconnectingWhenKicked() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);
        final CompletableFuture<SendAck> pending = client.send(Frames.PEER_ID, text("x"));
        connection.expectSend();

        connection.write(Frame.newBuilder().setKicked(Kicked.newBuilder().setReason("newer login")).build());

        assertEquals("newer login", take(listener.kicks));
        listener.awaitState(XinClient.State.KICKED);
        assertTrue(failure(pending).getMessage().contains("kicked"));
        connection.awaitClosed();
        assertNull(server.pollAccept(300), "reconnected after Kicked");
        assertEquals(XinClient.State.KICKED, client.state());
        assertThrows(ExecutionException.class, () -> client.send(Frames.PEER_ID, text("y")).get());
    }

    @Test
    void shouldWaitForGoAwayDelayBeforeReconnecting() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);

        final long goAwayAtNs = System.nanoTime();
        connection.write(Frame.newBuilder()
            .setGoAway(GoAway.newBuilder().setReason("drain").setReconnectDelayMs(300))
            .build());

        assertEquals("drain", take(listener.goAways).getReason());
        final FakeConnection next = server.accept();
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - goAwayAtNs);
        assertTrue(elapsedMs >= 280 && elapsedMs < 3_000, "reconnected after " + elapsedMs + " ms");
        next.loginOk(USER_ID, 0, 0);
        listener.awaitState(XinClient.State.LOGGED_IN);
    }

    @Test
    void shouldKeepReloggingInWithFreshTokenAfterTokenExpired() throws Exception
    {
        final AtomicInteger logins = new AtomicInteger();
        client = builder().tokenSupplier(() -> "token-" + logins.incrementAndGet()).build();
        final FakeConnection first = connect(0, 0);
        first.close();

        final FakeConnection second = server.accept();
        final Login expired = second.expectLogin();
        assertEquals("token-2", expired.getToken());
        second.write(Frame.newBuilder().setLoginError(LoginError.newBuilder()
            .setRequestId(expired.getRequestId())
            .setCode(ErrorCode.TOKEN_EXPIRED))
            .build());
        assertEquals(ErrorCode.TOKEN_EXPIRED, take(listener.errors).getCode());

        final FakeConnection third = server.accept();
        final Login fresh = third.expectLogin();
        assertEquals("token-3", fresh.getToken());
        third.write(Frame.newBuilder()
            .setLoginOk(Frames.loginOk(USER_ID, 0, 0).toBuilder().setRequestId(fresh.getRequestId()))
            .build());
        assertEquals(USER_ID, take(listener.logins).getUserId());
        assertEquals(USER_ID, take(listener.logins).getUserId());
        assertEquals(XinClient.State.LOGGED_IN, client.state());
        assertEquals(3, logins.get());
    }

    @Test
    void shouldSendPingWhenIdleAndReconnectWhenServerIsSilent() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(Frames.loginOk(USER_ID, 0, 0).toBuilder()
            .setHeartbeatIntervalMs(50)
            .setIdleTimeoutMs(100)
            .build());

        connection.awaitPing();
        connection.awaitPing();
        connection.awaitClosed();
        server.accept().loginOk(USER_ID, 0, 0);
        listener.awaitState(XinClient.State.DISCONNECTED);
        listener.awaitState(XinClient.State.LOGGED_IN);
    }

    @Test
    void shouldFailPendingWorkOnClose() throws Exception
    {
        client = builder().build();
        final FakeConnection connection = connect(0, 0);
        final CompletableFuture<SendAck> pending = client.send(Frames.PEER_ID, text("x"));
        connection.expectSend();

        client.close();

        assertTrue(failure(pending).getMessage().contains("closed"));
        assertEquals(XinClient.State.CLOSED, client.state());
        connection.awaitClosed();
        assertNull(server.pollAccept(100), "reconnected after close");
    }

    private XinClient.Builder builder()
    {
        return XinClient.builder()
            .host("127.0.0.1")
            .port(server.port())
            .token("token-1")
            .deviceId("phone")
            .listener(listener)
            .reconnectInitialDelayMs(10)
            .reconnectMaxDelayMs(50);
    }

    private FakeConnection connect(final long headSeq, final long cursorSeq) throws Exception
    {
        return connect(Frames.loginOk(USER_ID, headSeq, cursorSeq));
    }

    private FakeConnection connect(final LoginOk ok) throws Exception
    {
        final CompletableFuture<LoginOk> connected = client.connect();
        final FakeConnection connection = server.accept();
        connection.loginOk(ok);
        connected.get(WAIT_S, TimeUnit.SECONDS);
        return connection;
    }

    private static XinClientException failure(final CompletableFuture<?> future)
    {
        final ExecutionException ex = assertThrows(ExecutionException.class, () -> future.get(WAIT_S, TimeUnit.SECONDS));
        return assertInstanceOf(XinClientException.class, ex.getCause());
    }
}
