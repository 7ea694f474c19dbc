package io.xin.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.ScheduledFuture;
import io.xin.client.XinClient.Listener;
import io.xin.client.XinClient.State;
import io.xin.protocol.codec.EncodedFrames;
import io.xin.protocol.pb.Ack;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.ChannelResult;
import io.xin.protocol.pb.ChannelSync;
import io.xin.protocol.pb.ChannelSyncResult;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.Kicked;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.LoginError;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;
import io.xin.protocol.pb.SyncResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The session state machine of a {@link XinClient}: connection, login, heartbeat, reconnect, pending
 * sends, the inbox sequence and acks.
 * <p>
 * Every field below is owned by the client's event loop; the public API reaches it only through
 * tasks submitted to that loop ({@code on...} methods called from {@link XinClient}) and through
 * {@link ClientHandler} callbacks. The few values other threads may read are mirrored into volatile
 * fields. A single timer task, re-armed for the earliest deadline, drives heartbeats, ack timeouts,
 * retries, the login timeout and reconnects; nothing is scheduled per message.
 */
final class ClientConductor implements InboxSequencer.Output, ChannelCursors.Output
{
    private static final Logger LOG = LoggerFactory.getLogger(XinClient.class);

    /** No deadline. */
    static final long NEVER = PendingSends.NEVER;
    /** {@code Kicked.reason} of a node that no longer serves the user (cluster mode): reconnect, keep sends. */
    static final String MOVED_REASON = "moved";
    /** Retry delay when a BUSY error or a BUSY LoginError names none. */
    static final long DEFAULT_RETRY_AFTER_MS = 1_000;
    /** Heartbeat interval when LoginOk names none. */
    static final long DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
    /** Shortest time between two scans of the pending sends for ack timeouts and retries. */
    static final long RESEND_SCAN_INTERVAL_MS = 100;
    /** Timer jitter a resent refused send may have without delaying the sends behind it. */
    static final long RESEND_LATENESS_FORGIVEN_MS = 1;
    /** Heartbeats more often than this would only spin the timer. */
    static final long MIN_HEARTBEAT_INTERVAL_MS = 10;

    /** The seed addresses, at least one; the client connects to one of them unless a node redirected it. */
    private final List<InetSocketAddress> seeds;
    private final int maxFrameLengthBytes;
    private final SslContext sslContext;
    /** Index in {@link #seeds} of the next seed to connect to. Owned by the event loop. */
    private int seedIndex;
    /** A MOVED or Kicked{moved} named no node: the next connect goes to the next seed. Owned by the event loop. */
    private boolean nextSeedOnMove;
    /** The last connection attempt failed (no connection, or closed before LoginOk): try the next seed. */
    private boolean lastAttemptFailed;
    /** Where the current (or last) connection goes: a seed, or the node a MOVED named. Owned by the event loop. */
    private String host;
    private int port;
    /** The node a MOVED or Kicked{moved} named, for the next connect only; null when none. Owned by the loop. */
    private String redirectHost;
    private int redirectPort;
    /** The current connection follows a redirect: if it fails, or is redirected again, go back to the seeds. */
    private boolean onRedirect;
    /**
     * The current connection is closing because its node does not serve the user (MOVED, Kicked{moved}): reconnect,
     * also before the first login, and keep the pending sends. Owned by the event loop.
     */
    private boolean moving;
    /** Seeds that failed in a row before the first login: each is tried once before connect() fails. */
    private int failedSeedsInARow;
    private final Supplier<String> tokenSupplier;
    private final String deviceId;
    private final String clientVersion;
    private final Listener listener;
    private final long initialSeq;
    private final boolean autoReconnect;
    private final long reconnectInitialDelayMs;
    private final long reconnectMaxDelayMs;
    private final long ackTimeoutMs;
    private final boolean autoAck;
    /** Whether a send's own copy, made from its SendAck, goes to the listener as an inbox message. */
    private final boolean passOwnSends;
    private final long ackDelayMs;
    private final int syncPageLimit;
    private final long connectTimeoutMs;

    private final EventLoop eventLoop;
    private final Bootstrap bootstrap;
    private final InboxSequencer inbox;
    private final PendingSends pendingSends = new PendingSends();
    private final Map<Long, RawSync> rawSyncs = new HashMap<>();
    /** Group and channel requests awaiting their answer, by request id. */
    private final Map<Long, PendingRequest> requests = new HashMap<>();
    private final ChannelCursors channelCursors = new ChannelCursors(this);
    /** Request id of this client's own channel page in flight, 0 if none. */
    private long channelSyncRequestId;
    private final List<CompletableFuture<LoginOk>> connectWaiters = new ArrayList<>();
    private final Runnable timerTask = this::onTimer;
    private final Runnable flushTask = this::onFlush;

    /** The current connection, null when there is none. Owned by the event loop. */
    private Channel channel;
    /** Written only by the event loop; read by anyone through {@link XinClient#state()}. */
    private volatile State state = State.NEW;
    /** A login succeeded once: from then on the session is kept up. Owned by the event loop. */
    private boolean sessionEstablished;
    private LoginOk lastLoginOk;
    /** Why the current connection is failing, for the connect future. Owned by the event loop. */
    private XinClientException closeFailure;

    private long nextRequestId = 1;
    private long heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    private long silenceTimeoutMs = 3 * DEFAULT_HEARTBEAT_INTERVAL_MS;
    private int serverMaxFrameLengthBytes;
    private long lastWriteMs;
    private long lastReadMs;
    private long loginDeadlineMs = NEVER;

    private int reconnectAttempt;
    /** Delay the server asked for before the next reconnect (GoAway, LoginError), 0 if none. */
    private long minReconnectDelayMs;
    private long reconnectAtMs = NEVER;

    /** Request id of the inbox sync in flight, 0 if none. */
    private long syncRequestId;
    private long syncRetryAtMs = NEVER;

    /** Highest seq to acknowledge, and the highest the server has (cursor or sent Ack). */
    private long ackTargetSeq;
    private long ackSentSeq;
    /** When the delayed cursor Ack is due, NEVER when none is waiting. Owned by the event loop. */
    private long ackDueMs = NEVER;

    private boolean inRead;
    private boolean flushScheduled;
    private ScheduledFuture<?> timer;
    private long timerDeadlineMs = NEVER;

    private volatile long lastSeqView;
    private volatile long userIdView;
    /**
     * Non-zero while sends refused as BUSY or RATE_LIMITED wait to go again: a send issued meanwhile waits behind
     * them, until this time at least. Owned by the event loop.
     */
    private long sendsPausedUntilMs;
    private volatile int pendingSendsView;
    /**
     * How late the refused sends resent so far went, beyond {@link #RESEND_LATENESS_FORGIVEN_MS} each: every
     * later one waits as much longer. 0 when none waits. Owned by the event loop.
     */
    private long resendLagMs;

    ClientConductor(final XinClient.Builder builder, final EventLoop eventLoop)
    {
        seeds = builder.seeds();
        host = seeds.get(0).getHostString();
        port = seeds.get(0).getPort();
        maxFrameLengthBytes = builder.maxFrameLengthBytes;
        sslContext = builder.sslContext;
        tokenSupplier = builder.tokenSupplier;
        deviceId = builder.deviceId;
        clientVersion = builder.clientVersion;
        listener = builder.listener;
        initialSeq = builder.initialSeq;
        autoReconnect = builder.autoReconnect;
        reconnectInitialDelayMs = builder.reconnectInitialDelayMs;
        reconnectMaxDelayMs = builder.reconnectMaxDelayMs;
        ackTimeoutMs = builder.ackTimeoutMs;
        autoAck = builder.autoAck;
        passOwnSends = builder.passOwnSends;
        ackDelayMs = builder.ackDelayMs;
        syncPageLimit = builder.syncPageLimit;
        connectTimeoutMs = builder.connectTimeoutMs;

        this.eventLoop = eventLoop;
        final long startSeq = Math.max(0, initialSeq);
        inbox = new InboxSequencer(this, startSeq);
        lastSeqView = startSeq;
        bootstrap = new Bootstrap()
            .group(eventLoop)
            .channel(builder.channelType)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int)connectTimeoutMs)
            .option(ChannelOption.TCP_NODELAY, Boolean.TRUE);
        if (builder.localAddress != null)
        {
            bootstrap.localAddress(builder.localAddress, 0);
        }
    }

    State state()
    {
        return state;
    }

    long lastSeqView()
    {
        return lastSeqView;
    }

    long userIdView()
    {
        return userIdView;
    }

    int pendingSendsView()
    {
        return pendingSendsView;
    }

    // ---------------------------------------------------------------- API tasks, on the event loop

    void onConnect(final CompletableFuture<LoginOk> future)
    {
        assert eventLoop.inEventLoop();
        failedSeedsInARow = 0;
        switch (state)
        {
            case CLOSED:
                future.completeExceptionally(closedException());
                return;

            case LOGGED_IN:
                future.complete(lastLoginOk);
                return;

            case CONNECTING:
                connectWaiters.add(future);
                return;

            default:
                connectWaiters.add(future);
                if (reconnectAtMs == NEVER)
                {
                    startConnect();
                }
        }
    }

    void onSend(
        final long toUserId, final String clientMsgId, final Content content, final CompletableFuture<SendAck> future)
    {
        onSend(toUserId, 0, clientMsgId, content, future);
    }

    void onSend(
        final long toUserId,
        final long groupId,
        final String clientMsgId,
        final Content content,
        final CompletableFuture<SendAck> future)
    {
        assert eventLoop.inEventLoop();
        if (state == State.CLOSED || state == State.KICKED)
        {
            final XinClientException failure =
                state == State.CLOSED ? closedException() : kickedException("session was kicked");
            notifySendFailed(clientMsgId, failure);
            if (future != null)
            {
                future.completeExceptionally(failure);
            }
            return;
        }

        final PendingSend existing = pendingSends.get(clientMsgId);
        if (existing != null)
        {
            // Shares the pending send's outcome. A send without a future (sendTracked) has it through the listener,
            // once; a future given for a pending send that had none becomes that send's future.
            if (future == null)
            {
                return;
            }
            if (existing.future == null)
            {
                existing.future = future;
                return;
            }
            existing.future.whenComplete((ack, ex) ->
            {
                if (ex != null)
                {
                    future.completeExceptionally(ex);
                }
                else
                {
                    future.complete(ack);
                }
            });
            return;
        }

        final PendingSend send = new PendingSend(clientMsgId, toUserId, groupId, content, future);
        pendingSends.add(send);
        pendingSendsView = pendingSends.size();
        if (state == State.LOGGED_IN)
        {
            final long nowMs = nowMs();
            if (sendsPausedUntilMs != 0)
            {
                send.retryAtMs = Math.max(sendsPausedUntilMs, nowMs);
                send.waitingForRetry = true;
                armTimer(send.retryAtMs);
            }
            else
            {
                transmit(send, nowMs);
            }
        }
    }

    void onSendUntracked(final long toUserId, final String clientMsgId, final Content content)
    {
        assert eventLoop.inEventLoop();
        if (state == State.LOGGED_IN)
        {
            writeSend(nextRequestId(), toUserId, 0, clientMsgId, content);
        }
    }

    void onRawSync(final long afterSeq, final int limit, final CompletableFuture<SyncResult> future)
    {
        assert eventLoop.inEventLoop();
        if (state != State.LOGGED_IN)
        {
            future.completeExceptionally(new XinClientException(
                ErrorCode.ERROR_CODE_UNSPECIFIED, "not logged in (state " + state + ")"));
            return;
        }

        final long requestId = nextRequestId();
        rawSyncs.put(requestId, new RawSync(afterSeq, limit, future));
        write(Frame.newBuilder()
            .setSync(Sync.newBuilder().setRequestId(requestId).setAfterSeq(afterSeq).setLimit(limit))
            .build());
    }

    /**
     * Sends a group, channel, nearby or shake request and completes the future with its answer (GroupResult,
     * ChannelResult, ChannelSyncResult, NearbyResult, or a shake's final ShakeResult). Asked again after the
     * server's delay when it answers BUSY; fails with the server's code otherwise, and when the connection is lost
     * first.
     */
    void onRequest(final java.util.function.LongFunction<Frame> request, final CompletableFuture<?> future)
    {
        onRequest(request, future, true);
    }

    /**
     * As {@link #onRequest(java.util.function.LongFunction, CompletableFuture)}; with {@code retryRateLimited}
     * false, a RATE_LIMITED answer fails the future (with the server's retry_after_ms) instead of being asked
     * again: a discovery budget refills in hours, not milliseconds.
     */
    void onRequest(final java.util.function.LongFunction<Frame> request, final CompletableFuture<?> future,
        final boolean retryRateLimited)
    {
        assert eventLoop.inEventLoop();
        if (state != State.LOGGED_IN)
        {
            future.completeExceptionally(new XinClientException(
                ErrorCode.ERROR_CODE_UNSPECIFIED, "not logged in (state " + state + ")"));
            return;
        }
        final long requestId = nextRequestId();
        requests.put(requestId, new PendingRequest(request, future, retryRateLimited));
        write(request.apply(requestId));
    }

    long channelCursor(final long channelId)
    {
        return channelCursors.cursor(channelId);
    }

    void onAck(final long upToSeq)
    {
        assert eventLoop.inEventLoop();
        if (upToSeq > ackTargetSeq)
        {
            ackTargetSeq = upToSeq;
        }
        sendAckIfBehind();
        ackDueMs = NEVER;
    }

    void onClose()
    {
        assert eventLoop.inEventLoop();
        if (state == State.CLOSED)
        {
            return;
        }

        LOG.info("xin client {}@{}:{} closing", deviceId, host, port);
        reconnectAtMs = NEVER;
        if (timer != null)
        {
            timer.cancel(false);
            timer = null;
            timerDeadlineMs = NEVER;
        }
        final Channel closing = channel;
        channel = null;
        inbox.onOffline();
        setState(State.CLOSED);
        failEverything(closedException());
        if (closing != null)
        {
            closing.close();
        }
    }

    // ---------------------------------------------------------------- channel events, on the event loop

    void onChannelActive(final Channel ch)
    {
        if (ch != channel)
        {
            ch.close();
            return;
        }

        final String token;
        try
        {
            token = tokenSupplier.get();
            if (token == null)
            {
                throw new IllegalStateException("token supplier returned null");
            }
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: no token for login", deviceId, ex);
            closeFailure = new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED, "no token for login: " + ex, ex);
            ch.close();
            return;
        }

        final long nowMs = nowMs();
        lastReadMs = nowMs;
        ch.writeAndFlush(Frame.newBuilder()
            .setLogin(Login.newBuilder()
                .setRequestId(nextRequestId())
                .setToken(token)
                .setDeviceId(deviceId)
                .setClientVersion(clientVersion))
            .build(), ch.voidPromise());
        lastWriteMs = nowMs;
    }

    /**
     * What the decoder took off {@code ch}: a {@link Frame}, or the body of a frame that held only a SendAck or only
     * a Deliver (the {@link SendAck}, the delivered {@link Message}; see {@code FrameDecoder.passBodies}).
     */
    void onRead(final Channel ch, final Object msg)
    {
        if (ch != channel)
        {
            return;
        }

        inRead = true;
        if (msg instanceof Message message)
        {
            onDeliver(message);
        }
        else if (msg instanceof SendAck ack)
        {
            onSendAck(ack);
        }
        else
        {
            onFrame((Frame)msg);
        }
    }

    private void onDeliver(final Message message)
    {
        if (state == State.LOGGED_IN)
        {
            inbox.onDeliver(message);
        }
    }

    private void onFrame(final Frame frame)
    {
        switch (frame.getBodyCase())
        {
            case LOGIN_OK -> onLoginOk(frame.getLoginOk());
            case LOGIN_ERROR -> onLoginError(frame.getLoginError());
            case PONG ->
            {
            }
            case SEND_ACK -> onSendAck(frame.getSendAck());
            case DELIVER -> onDeliver(frame.getDeliver().getMessage());
            case SYNC_RESULT -> onSyncResult(frame.getSyncResult());
            case GROUP_RESULT -> completeRequest(frame.getGroupResult().getRequestId(), frame.getGroupResult());
            case FRIEND_RESULT -> completeRequest(frame.getFriendResult().getRequestId(), frame.getFriendResult());
            case PRESENCE -> FriendEvents.presence(listener, frame.getPresence(), deviceId);
            case CHANNEL_RESULT -> onChannelResult(frame.getChannelResult());
            case CHANNEL_SYNC_RESULT -> onChannelSyncResult(frame.getChannelSyncResult());
            case DISCOVERY_RESULT ->
                completeRequest(frame.getDiscoveryResult().getRequestId(), frame.getDiscoveryResult());
            case NEARBY_RESULT -> completeRequest(frame.getNearbyResult().getRequestId(), frame.getNearbyResult());
            case SHAKE_RESULT ->
            {
                // WAITING is followed by the final MATCHED or EXPIRED under the same request id.
                if (frame.getShakeResult().getState() != io.xin.protocol.pb.ShakeState.SHAKE_WAITING)
                {
                    completeRequest(frame.getShakeResult().getRequestId(), frame.getShakeResult());
                }
            }
            case CHANNEL_PUSH ->
            {
                if (state == State.LOGGED_IN)
                {
                    channelCursors.onPush(frame.getChannelPush().getMessage());
                }
            }
            case SYNC_HINT ->
            {
                if (state == State.LOGGED_IN)
                {
                    inbox.onHeadSeq(frame.getSyncHint().getHeadSeq());
                }
            }
            case ERROR -> onError(frame.getError());
            case GO_AWAY -> onGoAway(frame.getGoAway());
            case KICKED -> onKicked(frame.getKicked());
            default ->
            {
                // A frame this client does not know (newer server) or one meant for servers: ignored.
            }
        }
    }

    void onReadComplete(final Channel ch)
    {
        if (ch != channel)
        {
            return;
        }

        inRead = false;
        lastReadMs = nowMs();
        ackWhenDue(lastReadMs);
        ch.flush();
    }

    void onChannelException(final Channel ch, final Throwable cause)
    {
        if (ch != channel)
        {
            return;
        }

        LOG.debug("xin client {}: connection error", deviceId, cause);
        if (closeFailure == null)
        {
            closeFailure = new XinClientException(
                ErrorCode.ERROR_CODE_UNSPECIFIED, "connection to " + host + ':' + port + " failed: " + cause, cause);
        }
    }

    private void onConnectFailed(final Channel ch, final Throwable cause)
    {
        if (ch != channel)
        {
            return;
        }

        if (closeFailure == null)
        {
            closeFailure = new XinClientException(
                ErrorCode.ERROR_CODE_UNSPECIFIED, "connect to " + host + ':' + port + " failed: " + cause, cause);
        }
        onChannelClosed(ch);
    }

    private void onChannelClosed(final Channel ch)
    {
        if (ch != channel)
        {
            return;
        }

        channel = null;
        inRead = false;
        loginDeadlineMs = NEVER;
        syncRequestId = 0;
        syncRetryAtMs = NEVER;
        inbox.onOffline();
        pendingSends.onDisconnect();
        failRawSyncs(new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED, "connection closed"));
        failRequests(new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED, "connection closed"));
        channelSyncRequestId = 0;
        channelCursors.onOffline();

        final boolean wasMoving = moving;
        moving = false;
        if (state == State.CLOSED || state == State.KICKED)
        {
            redirectHost = null;
            return;
        }

        final boolean beforeLogin = state == State.CONNECTING;
        // A redirect is no failure of the seed; a connection that ends before its login for any other reason is.
        lastAttemptFailed = beforeLogin && !wasMoving;
        // A redirected connection that failed goes back to the seeds, also before the first login.
        final boolean redirectFailed = beforeLogin && onRedirect && !wasMoving;
        failedSeedsInARow = lastAttemptFailed && !onRedirect ? failedSeedsInARow + 1 : 0;
        // Before the first login every seed gets its chance before connect() fails.
        final boolean nextSeedFirst = !sessionEstablished && lastAttemptFailed && !onRedirect &&
            failedSeedsInARow < seeds.size();
        final XinClientException failure = closeFailure != null ? closeFailure : new XinClientException(
            ErrorCode.ERROR_CODE_UNSPECIFIED,
            "connection to " + host + ':' + port + " closed" + (beforeLogin ? " before login" : ""));
        closeFailure = null;

        if (wasMoving && redirectHost != null && (autoReconnect || !sessionEstablished))
        {
            // Named a node: go there at once.
            final long nowMs = nowMs();
            reconnectAtMs = nowMs;
            LOG.info("xin client {}: reconnecting to {}:{}", deviceId, redirectHost, redirectPort);
            setState(State.DISCONNECTED);
            armTimer(reconnectAtMs);
        }
        else if ((sessionEstablished && autoReconnect) || (wasMoving && !sessionEstablished) || redirectFailed ||
            nextSeedFirst)
        {
            final long delayMs = Backoff.reconnectDelayMs(
                reconnectAttempt,
                reconnectInitialDelayMs,
                reconnectMaxDelayMs,
                minReconnectDelayMs,
                ThreadLocalRandom.current());
            reconnectAttempt = Math.min(reconnectAttempt + 1, Backoff.MAX_ATTEMPT);
            minReconnectDelayMs = 0;
            final long nowMs = nowMs();
            reconnectAtMs = delayMs < NEVER - nowMs ? nowMs + delayMs : NEVER - 1;
            LOG.info("xin client {}: disconnected ({}), reconnecting in {} ms", deviceId, failure.getMessage(), delayMs);
            setState(State.DISCONNECTED);
            armTimer(reconnectAtMs);
        }
        else
        {
            LOG.info("xin client {}: disconnected ({})", deviceId, failure.getMessage());
            minReconnectDelayMs = 0;
            setState(State.DISCONNECTED);
            failConnectWaiters(failure);
        }
    }

    // ---------------------------------------------------------------- frames from the server

    private void onLoginOk(final LoginOk ok)
    {
        if (state != State.CONNECTING)
        {
            return;
        }

        final long nowMs = nowMs();
        loginDeadlineMs = NEVER;
        closeFailure = null;
        lastLoginOk = ok;
        userIdView = ok.getUserId();
        final long serverHeartbeatIntervalMs = ok.getHeartbeatIntervalMs() > 0 ?
            ok.getHeartbeatIntervalMs() : DEFAULT_HEARTBEAT_INTERVAL_MS;
        // Ping a little early so that timer lateness never stretches a gap past the server's interval.
        heartbeatIntervalMs = Math.max(
            MIN_HEARTBEAT_INTERVAL_MS, serverHeartbeatIntervalMs - Math.min(serverHeartbeatIntervalMs / 10, 1_000));
        silenceTimeoutMs = Math.max(ok.getIdleTimeoutMs(), 3 * serverHeartbeatIntervalMs);
        serverMaxFrameLengthBytes = ok.getMaxFrameLengthBytes();
        if (!sessionEstablished)
        {
            sessionEstablished = true;
            if (initialSeq < 0)
            {
                inbox.lastSeq(ok.getCursorSeq());
                lastSeqView = inbox.lastSeq();
            }
        }
        reconnectAttempt = 0;
        minReconnectDelayMs = 0;
        ackSentSeq = ok.getCursorSeq();
        ackDueMs = NEVER;
        if (autoAck && inbox.lastSeq() > ackTargetSeq)
        {
            ackTargetSeq = inbox.lastSeq();
        }

        LOG.info("xin client {}: logged in to {}:{} as user {} (head {}, cursor {}, last {})",
            deviceId, host, port, ok.getUserId(), ok.getHeadSeq(), ok.getCursorSeq(), inbox.lastSeq());
        setState(State.LOGGED_IN);
        invokeOnLogin(ok);
        if (state != State.LOGGED_IN)
        {
            return;
        }

        final CompletableFuture<?>[] waiters = connectWaiters.toArray(new CompletableFuture<?>[0]);
        connectWaiters.clear();
        for (final CompletableFuture<?> waiter : waiters)
        {
            @SuppressWarnings("unchecked")
            final CompletableFuture<LoginOk> loginWaiter = (CompletableFuture<LoginOk>)waiter;
            loginWaiter.complete(ok);
        }

        sendsPausedUntilMs = 0;
        resendLagMs = 0;
        for (final PendingSend send : pendingSends.toArray())
        {
            if (state == State.LOGGED_IN && channel != null)
            {
                transmit(send, nowMs);
            }
        }
        inbox.onOnline(ok.getHeadSeq());
        channelCursors.onLogin(ok.getChannelsList());
        armTimer(nowMs + heartbeatIntervalMs);
    }

    private void onLoginError(final LoginError error)
    {
        LOG.warn("xin client {}: login to {}:{} refused: {} {}", deviceId, host, port, error.getCode(), error.getMessage());
        closeFailure = new XinClientException(error.getCode(), "login refused: " + error.getMessage());
        if (error.getRetryAfterMs() > 0)
        {
            minReconnectDelayMs = error.getRetryAfterMs();
        }
        invokeOnError(io.xin.protocol.pb.Error.newBuilder()
            .setRequestId(error.getRequestId())
            .setCode(error.getCode())
            .setMessage(error.getMessage())
            .setFatal(true)
            .setRetryAfterMs(error.getRetryAfterMs())
            .build());
        closeChannel();
    }

    private void onSendAck(final SendAck ack)
    {
        final PendingSend send = pendingSends.match(ack.getRequestId(), ack.getClientMsgId());
        if (send == null)
        {
            return;
        }

        pendingSends.remove(send);
        pendingSendsView = pendingSends.size();
        if (sendsPausedUntilMs != 0)
        {
            // Refused sends wait for every send sent after them to be answered: this may be the last.
            armTimer(nowMs());
        }
        try
        {
            listener.onSendAck(ack);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onSendAck threw", deviceId, ex);
        }
        if (send.future != null)
        {
            send.future.complete(ack);
        }
        if (!ack.getDuplicate() && state == State.LOGGED_IN && !passOwnSends)
        {
            inbox.onOwnSend(ack.getSeq());
        }
        else if (!ack.getDuplicate() && state == State.LOGGED_IN)
        {
            // The ack names this message's seq in our own inbox: when it is the next one, the
            // inbox stays contiguous without a sync (otherwise every reply in a chat would
            // look like a gap). A duplicate's copy was delivered, or will be synced, already.
            inbox.onDeliver(Message.newBuilder()
                .setSeq(ack.getSeq())
                .setMsgId(ack.getMsgId())
                .setFromUserId(userIdView)
                .setToUserId(send.toUserId)
                .setGroupId(send.groupId)
                .setFromDeviceId(deviceId)
                .setClientMsgId(send.clientMsgId)
                .setServerTimeMs(ack.getServerTimeMs())
                .setContent(send.content)
                .build());
        }
    }

    private void onSyncResult(final SyncResult result)
    {
        final long requestId = result.getRequestId();
        if (requestId != 0 && requestId == syncRequestId)
        {
            syncRequestId = 0;
            if (state == State.LOGGED_IN)
            {
                inbox.onSyncResult(result);
            }
            return;
        }

        final RawSync rawSync = rawSyncs.remove(requestId);
        if (rawSync != null)
        {
            rawSync.future.complete(result);
        }
    }

    private void onError(final io.xin.protocol.pb.Error error)
    {
        if (error.getCode() == ErrorCode.MOVED && state == State.CONNECTING)
        {
            LOG.info("xin client {}: {}:{} does not serve this user; moving to {}", deviceId, host, port,
                error.getAddress().isEmpty() ? "the seeds in " + error.getRetryAfterMs() + " ms" : error.getAddress());
            closeFailure = new XinClientException(ErrorCode.MOVED, error.getMessage());
            moveTo(error.getAddress(), error.getRetryAfterMs());
            return;
        }
        invokeOnError(error);
        final long requestId = error.getRequestId();
        final ErrorCode code = error.getCode();
        final long nowMs = nowMs();
        if (requestId != 0 && requestId == syncRequestId)
        {
            syncRequestId = 0;
            if (isRetryable(code))
            {
                inbox.onSyncFailed();
                syncRetryAtMs = nowMs + retryDelayMs(error.getRetryAfterMs());
                armTimer(syncRetryAtMs);
            }
            else
            {
                inbox.abandonSync();
            }
        }
        else if (requestId != 0 && requestId == channelSyncRequestId)
        {
            channelSyncRequestId = 0;
            final long channelId = channelCursors.onSyncFailed(code == ErrorCode.NOT_FOLLOWING);
            if (channelId != 0 && isRetryable(code))
            {
                eventLoop.schedule(channelCursors::next, retryDelayMs(error.getRetryAfterMs()), TimeUnit.MILLISECONDS);
            }
            else
            {
                channelCursors.next();
            }
        }
        else if (requestId != 0 && requests.containsKey(requestId))
        {
            final PendingRequest request = requests.remove(requestId);
            if (isRetryable(code) && (code != ErrorCode.RATE_LIMITED || request.retryRateLimited))
            {
                eventLoop.schedule(() -> onRequest(request.frame, request.future, request.retryRateLimited),
                    retryDelayMs(error.getRetryAfterMs()), TimeUnit.MILLISECONDS);
            }
            else
            {
                request.future.completeExceptionally(
                    new XinClientException(code, error.getMessage(), error.getRetryAfterMs()));
            }
        }
        else if (requestId != 0 && rawSyncs.containsKey(requestId))
        {
            final RawSync rawSync = rawSyncs.remove(requestId);
            if (isRetryable(code))
            {
                // The server takes one sync page at a time per session, and this client's own gap
                // sync may hold it: ask again after the delay the server gave.
                eventLoop.schedule(
                    () -> onRawSync(rawSync.afterSeq, rawSync.limit, rawSync.future),
                    retryDelayMs(error.getRetryAfterMs()), TimeUnit.MILLISECONDS);
            }
            else
            {
                rawSync.future.completeExceptionally(new XinClientException(code, error.getMessage()));
            }
        }
        else
        {
            final PendingSend send = pendingSends.match(requestId, error.getClientMsgId());
            if (send != null)
            {
                if (isRetryable(code))
                {
                    // Each refused send waits its own retry_after_ms (a RATE_LIMITED one counts the refused
                    // sends ahead of it), and never goes before an earlier one; sends issued meanwhile wait
                    // behind the last refused one, so nothing overtakes a refused send.
                    // nowMs() truncates to whole ms: one more never brings the send back early.
                    send.retryAtMs = nowMs + retryDelayMs(error.getRetryAfterMs()) + 1 - resendLagMs;
                    send.waitingForRetry = true;
                    sendsPausedUntilMs = Math.max(sendsPausedUntilMs, send.retryAtMs + resendLagMs);
                    // Scan now: this answer may be the last of the sends on the wire behind a refused one.
                    armTimer(nowMs);
                }
                else
                {
                    pendingSends.remove(send);
                    pendingSendsView = pendingSends.size();
                    failSend(send, new XinClientException(code, error.getMessage()));
                }
            }
        }

        if (error.getFatal())
        {
            LOG.warn("xin client {}: fatal error from server: {} {}", deviceId, code, error.getMessage());
            if (closeFailure == null)
            {
                closeFailure = new XinClientException(code, error.getMessage());
            }
            closeChannel();
        }
    }

    private void onGoAway(final GoAway goAway)
    {
        LOG.info("xin client {}: server going away ({}), reconnect delay {} ms",
            deviceId, goAway.getReason(), goAway.getReconnectDelayMs());
        minReconnectDelayMs = goAway.getReconnectDelayMs();
        if (closeFailure == null)
        {
            closeFailure = new XinClientException(ErrorCode.SHUTTING_DOWN, "server going away: " + goAway.getReason());
        }
        try
        {
            listener.onGoAway(goAway);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onGoAway threw", deviceId, ex);
        }
        closeChannel();
    }

    private void onKicked(final Kicked kicked)
    {
        if (MOVED_REASON.equals(kicked.getReason()))
        {
            LOG.info("xin client {}: {}:{} no longer serves this user; moving to {}", deviceId, host, port,
                kicked.getAddress().isEmpty() ? "the seeds" : kicked.getAddress());
            closeFailure = new XinClientException(ErrorCode.MOVED, "moved to another node");
            // Kicked{moved} comes on an established session: its address is one redirect, as a MOVED's.
            onRedirect = false;
            moveTo(kicked.getAddress(), 0);
            return;
        }
        LOG.warn("xin client {}: kicked by a newer login of this device ({}); not reconnecting",
            deviceId, kicked.getReason());
        reconnectAtMs = NEVER;
        setState(State.KICKED);
        try
        {
            listener.onKicked(kicked.getReason());
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onKicked threw", deviceId, ex);
        }
        failEverything(kickedException(kicked.getReason()));
        closeChannel();
    }

    // ---------------------------------------------------------------- InboxSequencer.Output

    @Override
    public void onMessage(final Message message)
    {
        final long seq = message.getSeq();
        lastSeqView = seq;
        if (autoAck)
        {
            ackTargetSeq = seq;
        }
        try
        {
            listener.onMessage(message);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onMessage threw at seq {}", deviceId, seq, ex);
        }
        FriendEvents.ifFriendEvent(listener, message, deviceId);
    }

    @Override
    public void onOwnSend(final long seq)
    {
        lastSeqView = seq;
        if (autoAck)
        {
            ackTargetSeq = seq;
        }
    }

    @Override
    public void onChannelPost(final Message post)
    {
        try
        {
            listener.onChannelPost(post);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onChannelPost threw at channel {} seq {}", deviceId, post.getChannelId(),
                post.getSeq(), ex);
        }
    }

    @Override
    public void requestChannelSync(final long channelId, final long afterSeq)
    {
        channelSyncRequestId = nextRequestId();
        write(Frame.newBuilder()
            .setChannelSync(ChannelSync.newBuilder().setRequestId(channelSyncRequestId).setChannelId(channelId)
                .setAfterSeq(afterSeq).setLimit(syncPageLimit))
            .build());
    }

    private void onChannelResult(final ChannelResult result)
    {
        final PendingRequest request = requests.get(result.getRequestId());
        if (request != null)
        {
            if (result.getOp() == ChannelOpType.CHANNEL_FOLLOW)
            {
                channelCursors.followed(result.getChannelId(), result.getSeq(), result.getHeadSeq());
            }
            else if (result.getOp() == ChannelOpType.CHANNEL_UNFOLLOW)
            {
                channelCursors.unfollowed(result.getChannelId());
            }
        }
        completeRequest(result.getRequestId(), result);
    }

    private void onChannelSyncResult(final ChannelSyncResult result)
    {
        final long requestId = result.getRequestId();
        if (requestId != 0 && requestId == channelSyncRequestId)
        {
            channelSyncRequestId = 0;
            if (state == State.LOGGED_IN)
            {
                channelCursors.onSyncResult(result);
            }
            return;
        }
        completeRequest(requestId, result);
    }

    @SuppressWarnings("unchecked")
    private void completeRequest(final long requestId, final Object answer)
    {
        final PendingRequest request = requests.remove(requestId);
        if (request != null)
        {
            ((CompletableFuture<Object>)request.future).complete(answer);
        }
    }

    private void failRequests(final XinClientException failure)
    {
        if (requests.isEmpty())
        {
            return;
        }
        final PendingRequest[] failed = requests.values().toArray(new PendingRequest[0]);
        requests.clear();
        for (final PendingRequest request : failed)
        {
            request.future.completeExceptionally(failure);
        }
    }

    private record PendingRequest(
        java.util.function.LongFunction<Frame> frame, CompletableFuture<?> future, boolean retryRateLimited)
    {
    }

    @Override
    public void requestSync(final long afterSeq)
    {
        syncRequestId = nextRequestId();
        write(Frame.newBuilder()
            .setSync(Sync.newBuilder().setRequestId(syncRequestId).setAfterSeq(afterSeq).setLimit(syncPageLimit))
            .build());
    }

    // ---------------------------------------------------------------- timer

    private void onTimer()
    {
        timer = null;
        timerDeadlineMs = NEVER;
        final long nowMs = nowMs();
        long nextDeadlineMs = NEVER;

        switch (state)
        {
            case DISCONNECTED:
                if (reconnectAtMs != NEVER)
                {
                    if (nowMs >= reconnectAtMs)
                    {
                        startConnect();
                    }
                    else
                    {
                        nextDeadlineMs = reconnectAtMs;
                    }
                }
                break;

            case CONNECTING:
                if (loginDeadlineMs != NEVER)
                {
                    if (nowMs >= loginDeadlineMs)
                    {
                        loginDeadlineMs = NEVER;
                        if (closeFailure == null)
                        {
                            closeFailure = new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED,
                                "no login to " + host + ':' + port + " within " + connectTimeoutMs + " ms");
                        }
                        closeChannel();
                    }
                    else
                    {
                        nextDeadlineMs = loginDeadlineMs;
                    }
                }
                break;

            case LOGGED_IN:
                if (channel != null)
                {
                    nextDeadlineMs = onLoggedInTimer(nowMs);
                }
                break;

            default:
                break;
        }

        if (nextDeadlineMs != NEVER)
        {
            armTimer(nextDeadlineMs);
        }
    }

    private long onLoggedInTimer(final long nowMs)
    {
        if (nowMs - lastReadMs >= silenceTimeoutMs)
        {
            if (closeFailure == null)
            {
                closeFailure = new XinClientException(ErrorCode.IDLE_TIMEOUT,
                    "nothing received from " + host + ':' + port + " for " + (nowMs - lastReadMs) + " ms");
            }
            LOG.info("xin client {}: server silent for {} ms, closing", deviceId, nowMs - lastReadMs);
            closeChannel();
            return NEVER;
        }

        long nextDeadlineMs = lastReadMs + silenceTimeoutMs;

        if (syncRetryAtMs != NEVER)
        {
            if (nowMs >= syncRetryAtMs)
            {
                syncRetryAtMs = NEVER;
                inbox.resumeSync();
            }
            else
            {
                nextDeadlineMs = Math.min(nextDeadlineMs, syncRetryAtMs);
            }
        }

        if (pendingSends.size() > 0)
        {
            long nextRetryAtMs = NEVER;
            final PendingSend[] sends = pendingSends.toArray();
            // A refused send goes again only once every send issued after it has been answered: the switch
            // refuses those behind it anyway, and one that reached it after the resend would be stored first.
            int lastOnTheWire = -1;
            for (int i = sends.length - 1; i >= 0; i--)
            {
                if (!sends[i].waitingForRetry && sends[i].requestId != 0)
                {
                    lastOnTheWire = i;
                    break;
                }
            }
            // Sends refused as BUSY or RATE_LIMITED (and those held behind them) go again in issue order,
            // each once its own retry_after_ms is over and every earlier one has gone: none overtakes another.
            // One that goes late delays the rest as much, so they keep the switch's spacing and never go at once.
            PendingSend firstHeld = null;
            boolean held = false;
            for (int i = 0; i < sends.length; i++)
            {
                final PendingSend send = sends[i];
                if (send.waitingForRetry)
                {
                    final long dueMs = send.retryAtMs + resendLagMs;
                    if (!held && i > lastOnTheWire && dueMs <= nowMs)
                    {
                        resendLagMs += Math.max(0, nowMs - dueMs - RESEND_LATENESS_FORGIVEN_MS);
                        transmit(send, nowMs);
                    }
                    else if (!held)
                    {
                        held = true;
                        // While later sends are still unanswered, their answers wake this scan instead.
                        firstHeld = i > lastOnTheWire ? send : null;
                    }
                }
                else if (send.retryAtMs <= nowMs)
                {
                    transmit(send, nowMs);
                }
                if (!send.waitingForRetry && send.retryAtMs < nextRetryAtMs &&
                    pendingSends.get(send.clientMsgId) == send)
                {
                    nextRetryAtMs = send.retryAtMs;
                }
            }
            if (nextRetryAtMs != NEVER)
            {
                // Sends spread over time time out spread over time: scan for them at most once per
                // interval rather than once per distinct deadline.
                nextDeadlineMs = Math.min(nextDeadlineMs, Math.max(nextRetryAtMs, nowMs + RESEND_SCAN_INTERVAL_MS));
            }
            if (!held)
            {
                sendsPausedUntilMs = 0;
                resendLagMs = 0;
            }
            if (firstHeld != null)
            {
                // Refused sends are paced by the switch's retry_after_ms: wake exactly when the next may go.
                nextDeadlineMs = Math.min(nextDeadlineMs, firstHeld.retryAtMs + resendLagMs);
            }
        }

        if (ackDueMs != NEVER)
        {
            if (nowMs >= ackDueMs)
            {
                ackDueMs = NEVER;
                sendAckIfBehind();
            }
            else
            {
                nextDeadlineMs = Math.min(nextDeadlineMs, ackDueMs);
            }
        }

        if (nowMs - lastWriteMs >= heartbeatIntervalMs)
        {
            write(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(nextRequestId())).build());
        }
        return Math.min(nextDeadlineMs, lastWriteMs + heartbeatIntervalMs);
    }

    private void armTimer(final long deadlineMs)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        if (timer != null)
        {
            if (timerDeadlineMs <= deadlineMs)
            {
                return;
            }
            timer.cancel(false);
        }
        timerDeadlineMs = deadlineMs;
        timer = eventLoop.schedule(timerTask, Math.max(0, deadlineMs - nowMs()), TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- internals

    private void startConnect()
    {
        reconnectAtMs = NEVER;
        closeFailure = null;
        chooseTarget();
        setState(State.CONNECTING);
        LOG.debug("xin client {}: connecting to {}:{}", deviceId, host, port);

        // The initializer names the peer for TLS (SNI, host name check): it changes with the target.
        bootstrap.handler(new ClientChannelInitializer(this, maxFrameLengthBytes, sslContext, host, port));
        final ChannelFuture connected = bootstrap.connect(host, port);
        final Channel ch = connected.channel();
        channel = ch;
        loginDeadlineMs = nowMs() + connectTimeoutMs;
        armTimer(loginDeadlineMs);
        connected.addListener((ChannelFuture future) ->
        {
            if (future.isSuccess())
            {
                ch.closeFuture().addListener(closed -> onChannelClosed(ch));
            }
            else
            {
                onConnectFailed(ch, future.cause());
            }
        });
    }

    /**
     * Where the next connection goes: the node a redirect named, once; else a seed, the next one when the last
     * attempt failed.
     */
    private void chooseTarget()
    {
        if (redirectHost != null)
        {
            host = redirectHost;
            port = redirectPort;
            redirectHost = null;
            onRedirect = true;
            return;
        }
        if ((lastAttemptFailed && !onRedirect) || nextSeedOnMove)
        {
            // The seed failed (a node named by a redirect that failed is not the seed's fault), or sent the client
            // away without naming a node.
            seedIndex = nextSeed(seedIndex, seeds.size());
        }
        nextSeedOnMove = false;
        onRedirect = false;
        final InetSocketAddress seed = seeds.get(seedIndex);
        host = seed.getHostString();
        port = seed.getPort();
    }

    /** Round robin over the seeds. */
    static int nextSeed(final int index, final int count)
    {
        return index + 1 < count ? index + 1 : 0;
    }

    /**
     * Parses a MOVED or Kicked address: {@code host:port}, {@code [v6]:port}. Null when it is empty or not one;
     * else {@code {host, port}}.
     */
    static Object[] parseAddress(final String address)
    {
        final int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1)
        {
            return null;
        }
        String hostPart = address.substring(0, colon);
        if (hostPart.startsWith("[") && hostPart.endsWith("]"))
        {
            hostPart = hostPart.substring(1, hostPart.length() - 1);
        }
        else if (hostPart.indexOf(':') >= 0)
        {
            return null;
        }
        try
        {
            final int parsedPort = Integer.parseInt(address.substring(colon + 1));
            return hostPart.isEmpty() || parsedPort < 1 || parsedPort > 65_535 ? null :
                new Object[]{ hostPart, parsedPort };
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }

    /**
     * The node does not serve this user: close this connection and go to {@code address} (once per connection
     * attempt: not again from a node that was itself named by a redirect), else to the seeds after
     * {@code retryAfterMs}. Pending sends stay pending and go again after the next login.
     */
    private void moveTo(final String address, final int retryAfterMs)
    {
        final Object[] target = onRedirect ? null : parseAddress(address);
        if (target != null)
        {
            redirectHost = (String)target[0];
            redirectPort = (Integer)target[1];
        }
        else
        {
            redirectHost = null;
            minReconnectDelayMs = Math.max(minReconnectDelayMs, retryAfterMs);
            // This node knows no owner (its view may be stale): the next seed may.
            nextSeedOnMove = true;
        }
        moving = true;
        try
        {
            listener.onMoved(address);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onMoved threw", deviceId, ex);
        }
        closeChannel();
    }

    private void transmit(final PendingSend send, final long nowMs)
    {
        send.waitingForRetry = false;
        final long requestId = nextRequestId();
        final int frameLengthBytes =
            EncodedFrames.sendFrameLength(requestId, send.toUserId, send.groupId, send.clientMsgId, send.content);
        if (serverMaxFrameLengthBytes > 0 && frameLengthBytes > serverMaxFrameLengthBytes)
        {
            pendingSends.remove(send);
            pendingSendsView = pendingSends.size();
            failSend(send, new XinClientException(ErrorCode.FRAME_TOO_LARGE,
                "Send frame of " + frameLengthBytes + " bytes exceeds the server's limit of " +
                serverMaxFrameLengthBytes + " bytes"));
            return;
        }

        pendingSends.transmitted(send, requestId, nowMs + ackTimeoutMs);
        writeSend(requestId, send.toUserId, send.groupId, send.clientMsgId, send.content);
        armTimer(send.retryAtMs);
    }

    /** A Send frame written by hand (EncodedFrames), not built as a Frame: the client's one frame per message. */
    private void writeSend(
        final long requestId, final long toUserId, final long groupId, final String clientMsgId, final Content content)
    {
        final Channel ch = channel;
        if (ch == null)
        {
            return;
        }
        final ByteBuf frame;
        try
        {
            frame = EncodedFrames.send(ch.alloc(), requestId, toUserId, groupId, clientMsgId, content);
        }
        catch (final IOException ex)
        {
            // Only if the content's serialisation disagrees with its own size: a bug, not the peer's doing.
            throw new IllegalStateException("Send frame could not be written", ex);
        }
        write(ch, frame);
    }

    /**
     * At the end of a read: acknowledge now without a delay, else start the delay at the first message not
     * yet acknowledged, so one Ack covers everything that arrives within it.
     */
    private void ackWhenDue(final long nowMs)
    {
        if (ackDelayMs == 0)
        {
            sendAckIfBehind();
        }
        else if (ackDueMs == NEVER && state == State.LOGGED_IN && ackTargetSeq > ackSentSeq)
        {
            ackDueMs = nowMs + ackDelayMs;
            armTimer(ackDueMs);
        }
    }

    private void sendAckIfBehind()
    {
        if (state == State.LOGGED_IN && ackTargetSeq > ackSentSeq)
        {
            ackSentSeq = ackTargetSeq;
            write(Frame.newBuilder().setAck(Ack.newBuilder().setUpToSeq(ackTargetSeq)).build());
        }
    }

    /**
     * Write without flushing: frames written while reading are flushed at read complete, others by one
     * flush task that every write until it runs shares.
     */
    private void write(final Frame frame)
    {
        final Channel ch = channel;
        if (ch == null)
        {
            return;
        }
        write(ch, frame);
    }

    /** Writes a Frame or an encoded frame (ByteBuf); flushed at the end of the read, or by a task soon after. */
    private void write(final Channel ch, final Object frame)
    {
        ch.write(frame, ch.voidPromise());
        lastWriteMs = nowMs();
        if (!inRead && !flushScheduled)
        {
            flushScheduled = true;
            eventLoop.execute(flushTask);
        }
    }

    private void onFlush()
    {
        flushScheduled = false;
        final Channel ch = channel;
        if (ch != null)
        {
            ch.flush();
        }
    }

    private void closeChannel()
    {
        final Channel ch = channel;
        if (ch != null)
        {
            ch.close();
        }
    }

    private void setState(final State newState)
    {
        if (state == newState)
        {
            return;
        }
        state = newState;
        try
        {
            listener.onStateChange(newState);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onStateChange threw", deviceId, ex);
        }
    }

    private void invokeOnLogin(final LoginOk ok)
    {
        try
        {
            listener.onLogin(ok);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onLogin threw", deviceId, ex);
        }
    }

    private void invokeOnError(final io.xin.protocol.pb.Error error)
    {
        try
        {
            listener.onError(error);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onError threw", deviceId, ex);
        }
    }

    /** The listener first, then the future if the send has one (sendTracked's have none). */
    private void failSend(final PendingSend send, final XinClientException failure)
    {
        notifySendFailed(send.clientMsgId, failure);
        if (send.future != null)
        {
            send.future.completeExceptionally(failure);
        }
    }

    private void notifySendFailed(final String clientMsgId, final XinClientException failure)
    {
        try
        {
            listener.onSendFailed(clientMsgId, failure);
        }
        catch (final RuntimeException ex)
        {
            LOG.warn("xin client {}: listener.onSendFailed threw", deviceId, ex);
        }
    }

    private void failEverything(final XinClientException failure)
    {
        failConnectWaiters(failure);
        failRawSyncs(failure);
        failRequests(failure);
        final PendingSend[] sends = pendingSends.drain();
        pendingSendsView = 0;
        for (final PendingSend send : sends)
        {
            failSend(send, failure);
        }
    }

    private void failConnectWaiters(final XinClientException failure)
    {
        if (connectWaiters.isEmpty())
        {
            return;
        }
        final CompletableFuture<?>[] waiters = connectWaiters.toArray(new CompletableFuture<?>[0]);
        connectWaiters.clear();
        for (final CompletableFuture<?> waiter : waiters)
        {
            waiter.completeExceptionally(failure);
        }
    }

    private void failRawSyncs(final XinClientException failure)
    {
        if (rawSyncs.isEmpty())
        {
            return;
        }
        final List<RawSync> pending = new ArrayList<>(rawSyncs.values());
        rawSyncs.clear();
        for (final RawSync rawSync : pending)
        {
            rawSync.future.completeExceptionally(failure);
        }
    }

    /** A sync page asked for through {@link XinClient#sync}, kept to ask again after BUSY. */
    private record RawSync(long afterSeq, int limit, CompletableFuture<SyncResult> future)
    {
    }

    private long nextRequestId()
    {
        return nextRequestId++;
    }

    private static boolean isRetryable(final ErrorCode code)
    {
        return code == ErrorCode.BUSY || code == ErrorCode.RATE_LIMITED || code == ErrorCode.STORAGE_FAILURE ||
            code == ErrorCode.SHUTTING_DOWN;
    }

    private static long retryDelayMs(final int retryAfterMs)
    {
        return retryAfterMs > 0 ? retryAfterMs : DEFAULT_RETRY_AFTER_MS;
    }

    private static XinClientException closedException()
    {
        return new XinClientException(ErrorCode.ERROR_CODE_UNSPECIFIED, "client closed");
    }

    private static XinClientException kickedException(final String reason)
    {
        return new XinClientException(
            ErrorCode.ERROR_CODE_UNSPECIFIED, "kicked by a newer login of this device: " + reason);
    }

    private static long nowMs()
    {
        return System.nanoTime() / 1_000_000;
    }

    @Override
    public String toString()
    {
        return "deviceId=" + deviceId + ", server=" + host + ':' + port + ", state=" + state +
            ", userId=" + userIdView + ", lastSeq=" + lastSeqView + ", pendingSends=" + pendingSendsView;
    }
}
