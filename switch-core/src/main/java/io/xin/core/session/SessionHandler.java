package io.xin.core.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.xin.core.device.Frames;
import io.xin.core.device.Session;
import io.xin.storage.fault.KillPoint;
import io.xin.core.guard.AddressGuard;
import io.xin.core.journal.SwitchEvent;
import io.xin.core.media.MediaService;
import io.xin.core.net.ClientAddress;
import io.xin.core.net.HalfClose;
import io.xin.core.net.Parker;
import io.xin.core.net.Parking;
import io.xin.core.net.XinChannelInitializer;
import io.xin.core.status.SwitchCounters;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.codec.SendView;
import io.xin.protocol.pb.ChannelOp;
import io.xin.protocol.pb.ChannelOpType;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.Send;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * The connection's Netty adapter and its per-connection state: the login state machine's state, the last read
 * time, the timer links, the send refusals, reading paused, parked. Every field is owned by the channel's event
 * loop. The rules are the switch's, one stateless object each, in {@link SessionContext}: {@link LoginFlow} checks
 * a Login, {@link SendAdmission} a Send, {@link RequestRouter} hands the other requests on, {@link IdlePolicy}
 * says when the timer closes or parks the session, and the transport's {@link Parker} decides whether it may park,
 * parks, wakes and passes on what reaches a channel the session left. The handler reads the clock once per frame or
 * timer and gives that time to them; it answers what they refuse and publishes what they admit.
 * <pre>
 *   AWAITING_LOGIN --Login ok--> LOGGED_IN --close--> CLOSED
 *         |                          |
 *         +--error / timeout---------+--> Error frame, then close
 * </pre>
 * Frames are written in {@code channelRead} and flushed once in {@code channelReadComplete}.
 * <p>
 * A send (or channel post) with a media reference, when media is on, takes a detour: the reference is checked on a
 * media thread ({@link MediaService#verify}) while reading is paused, and the answer, back on the event loop,
 * publishes the stamped message or refuses it, then reading goes on. So nothing the client sent later overtakes it,
 * and plain sends, read in place by the decoder, never meet the detour.
 * <p>
 * It is also the connection's frame decoder (it extends {@link FrameDecoder} and takes each frame as it is
 * decoded) and its frame encoder (every {@link Frame} written to the channel, by whichever thread, is encoded
 * and counted in {@link #write}), so that a session's pipeline holds one handler context in all: about 110
 * bytes an idle session for the decoder, 64 for the encoder. Its own writes start below it in the pipeline,
 * so they go through {@link #out} and {@link #outAndFlush}, which encode them.
 */
public final class SessionHandler extends FrameDecoder
    implements ChannelOutboundHandler, SessionTimers.Timed, Parking.Owner, Session.Waker
{
    private static final Logger LOG = LoggerFactory.getLogger(SessionHandler.class);

    private enum State
    {
        AWAITING_LOGIN, LOGGED_IN,
        /** Shutting down: output closed after the last writes; reading on, and discarding, until the peer closes. */
        CLOSING_OUTPUT,
        CLOSED
    }

    private final SessionContext shared;
    private final SessionSettings settings;
    private State state = State.AWAITING_LOGIN;
    private Session session;
    private ChannelHandlerContext ctx;
    /** This loop's timer wheel; the login timeout, then the idle check, is this handler's one timer on it. */
    private SessionTimers timers;
    private SessionTimers.Timed timerNext;
    private SessionTimers.Timed timerPrev;
    private long timerDeadlineTick = SessionTimers.NOT_SCHEDULED;
    private long lastReadNs;
    /**
     * Whether the address guard admitted the connection and counts it. The address itself is asked of the
     * channel again when needed (a session channel keeps it in a few bytes): 56 bytes an idle session saved.
     */
    private boolean admitted;
    /** The send rate limiter and refusals; null until a send needs them (idle sessions never do). */
    private SendAdmission.Refusals sendRefusals;
    /** On a PROXY port: the address guard is asked at the first frame, once the header named the client. */
    private boolean admissionDeferred;
    /** Reading is paused for push-back and a resume check is scheduled. */
    private boolean readPaused;
    /**
     * While parked: the socket without its channel ({@link #ctx} is then null and the session's channel too).
     * Owned by the channel's event loop, like everything here; the loop's epoll holds its registration.
     */
    private Parking.Parked parked;
    /**
     * Set while a woken session's handler joins its new channel and the channel registers: its channelActive is
     * not a new connection, and the handler may be added to this second pipeline ({@link #isSharable}).
     */
    private boolean waking;
    /** Something was written since the last park check: a session that is pushed to is not idle. */
    private boolean wroteSinceParkCheck;
    /**
     * A message's media reference is being checked on a media thread: reading is paused until its answer, so that no
     * later frame (a text send above all) overtakes it.
     */
    private boolean mediaPending;

    public SessionHandler(final SessionContext shared)
    {
        super(shared.maxPreLoginFrameLengthBytes());
        this.shared = shared;
        this.settings = shared.settings();
    }

    /**
     * True only while this handler's own {@link #wake} adds it, with all the session's state, to the pipeline of
     * the parked connection's new channel (Netty refuses to add a non-sharable handler twice); any other attempt to
     * add it to a second pipeline fails. So it stays one handler per connection: the old channel was dropped when
     * the session parked, and only the session's wake-up, on its event loop, moves the handler. False while the
     * decoder's constructor asks (it refuses sharable handlers).
     */
    @Override
    public boolean isSharable()
    {
        return waking;
    }

    @Override
    public void handlerAdded(final ChannelHandlerContext ctx)
    {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        if (waking)
        {
            ctx.fireChannelActive();
            return;
        }
        shared.counters().connectionsAccepted.increment();
        shared.counters().sessionsOpen.incrementAndGet();
        lastReadNs = shared.nanoClock().nanoTime();
        // Behind a load balancer the client's address comes in the PROXY header, which precedes the
        // first frame: admit the connection then, not on the balancer's address now.
        admissionDeferred = ctx.pipeline().get(XinChannelInitializer.PROXY_HEADER) != null;
        if (!admissionDeferred && !admit(ctx.channel().remoteAddress()))
        {
            ctx.fireChannelActive();
            return;
        }
        timers = shared.timers(ctx.executor());
        timers.schedule(this, shared.idlePolicy().loginDeadlineNs(lastReadNs));
        ctx.fireChannelActive();
    }

    /**
     * Asks the address guard; a refused connection gets a fatal error with a retry-after and is closed.
     *
     * @return true when admitted.
     */
    private boolean admit(final SocketAddress address)
    {
        if (!(address instanceof InetSocketAddress remote) || remote.getAddress() == null)
        {
            return true;
        }
        final AddressGuard guard = shared.addressGuard();
        // Asked as the connection opens or its first frame arrives: the time of that event.
        final long nowNs = lastReadNs;
        final AddressGuard.Refusal refusal = guard.onConnect(remote.getAddress(), nowNs);
        if (refusal == null)
        {
            admitted = true;
            return true;
        }
        countRefusal(refusal);
        state = State.CLOSED;
        final int retryAfterMs = refusal.rateLimited() ?
            (int)Math.min(Integer.MAX_VALUE, guard.retryAfterMs(remote.getAddress(), nowNs)) :
            settings.busyRetryAfterMs();
        outAndFlush(Frames.error(0, refusal.rateLimited() ? ErrorCode.RATE_LIMITED : ErrorCode.BUSY,
            refusal.reason(), true, retryAfterMs)).addListener(ChannelFutureListener.CLOSE);
        return false;
    }

    private void countRefusal(final AddressGuard.Refusal refusal)
    {
        final SwitchCounters counters = shared.counters();
        counters.connectionsRefused.increment();
        switch (refusal)
        {
            case TOO_MANY_CONNECTIONS -> counters.connectionsRefusedTooMany.increment();
            case CONNECTING_TOO_FAST -> counters.connectionsRefusedTooFast.increment();
            case TOO_MANY_FAILED_LOGINS -> counters.connectionsRefusedFailedLogins.increment();
        }
    }

    /** The address the guard admitted: the PROXY header's client, or the socket's peer. */
    private InetAddress clientInetAddress()
    {
        return ClientAddress.of(ctx.channel()) instanceof InetSocketAddress address ? address.getAddress() : null;
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx) throws Exception
    {
        onClosed(admitted ? clientInetAddress() : null);
        // The decoder's part: releases what it buffered (frames still in it find the session closed).
        super.channelInactive(ctx);
    }

    /** The connection closed: counters, the address guard, the timer, and the ring told. */
    private void onClosed(final InetAddress address)
    {
        shared.counters().sessionsOpen.decrementAndGet();
        state = State.CLOSED;
        if (admitted)
        {
            admitted = false;
            if (address != null)
            {
                shared.addressGuard().onDisconnect(address);
            }
        }
        if (timers != null)
        {
            timers.cancel(this);
        }
        if (session != null)
        {
            session.markClosed();
            if (!shared.ring(session.userId()).tryPublishEvent(SwitchEvent.CLOSE_TRANSLATOR, session))
            {
                shared.closedOverflowOf(session.userId()).add(session);
            }
        }
    }

    /** Each frame as the decoder takes it off the stream, handled here instead of passed on. */
    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out) throws Exception
    {
        super.decode(ctx, in, out);
        if (!out.isEmpty())
        {
            final Object msg = out.get(0);
            out.clear();
            onDecoded(ctx, msg);
        }
    }

    private void onDecoded(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof SendView send)
        {
            // Only passed once logged in (see passSendViews at login).
            lastReadNs = shared.nanoClock().nanoTime();
            shared.counters().framesIn.increment();
            if (state == State.LOGGED_IN)
            {
                onSend(send);
                if (!readPaused && state == State.LOGGED_IN && mustPauseReading())
                {
                    pauseReading();
                }
            }
            return;
        }
        if (!(msg instanceof Frame frame))
        {
            ctx.fireChannelRead(msg);
            return;
        }
        // The clock is read once per frame: the rules this frame meets all take this time.
        lastReadNs = shared.nanoClock().nanoTime();
        shared.counters().framesIn.increment();
        if (admissionDeferred)
        {
            admissionDeferred = false;
            if (!admit(ClientAddress.of(ctx.channel())))
            {
                return;
            }
        }
        switch (state)
        {
            case AWAITING_LOGIN -> onFrameBeforeLogin(frame);
            case LOGGED_IN ->
            {
                onFrame(frame);
                if (!readPaused && state == State.LOGGED_IN && mustPauseReading())
                {
                    pauseReading();
                }
            }
            default ->
            {
            }
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx) throws Exception
    {
        super.channelReadComplete(ctx);
        ctx.flush();
    }

    /** Push-back ({@link PushBack}): no more requests from the very next frame, until a check finds the cause gone. */
    private void pauseReading()
    {
        readPaused = true;
        pause();
        shared.pushBack().pause(ctx.channel(), this::resumeReadingWhenPossible);
    }

    private boolean mustPauseReading()
    {
        return shared.pushBack().mustPause(ctx.channel(), session);
    }

    private void resumeReadingWhenPossible()
    {
        if (state != State.LOGGED_IN)
        {
            return;
        }
        if (mustPauseReading())
        {
            shared.pushBack().checkLater(ctx.channel(), this::resumeReadingWhenPossible);
            return;
        }
        readPaused = false;
        if (mediaPending)
        {
            // The media check's answer resumes reading.
            return;
        }
        shared.pushBack().resume(ctx.channel());
        try
        {
            resume(ctx);
        }
        catch (final Exception ex)
        {
            exceptionCaught(ctx, ex);
        }
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx)
    {
        if (session != null && ctx.channel().isWritable())
        {
            final long droppedUpToSeq = session.takeMustSync();
            if (droppedUpToSeq > 0)
            {
                outAndFlush(Frames.syncHint(droppedUpToSeq), ctx.voidPromise());
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        if (state == State.CLOSED)
        {
            return;
        }
        if (causedBy(cause, TooLongFrameException.class))
        {
            shared.counters().badFrames.increment();
            fatal(0, ErrorCode.FRAME_TOO_LARGE, cause.getMessage());
        }
        else if (causedBy(cause, CorruptedFrameException.class))
        {
            shared.counters().badFrames.increment();
            fatal(0, ErrorCode.BAD_FRAME, cause.getMessage());
        }
        else if (cause instanceof IOException)
        {
            // The peer reset or vanished: nothing to tell it.
            state = State.CLOSED;
            ctx.close();
        }
        else
        {
            LOG.warn("Unexpected error on {} (client {}); closing it", ctx.channel(), ClientAddress.of(ctx.channel()),
                cause);
            fatal(0, ErrorCode.INTERNAL, "internal error");
        }
    }

    private static boolean causedBy(final Throwable error, final Class<? extends Throwable> type)
    {
        for (Throwable t = error; t != null; t = t.getCause())
        {
            if (type.isInstance(t))
            {
                return true;
            }
        }
        return false;
    }

    private void onFrameBeforeLogin(final Frame frame)
    {
        switch (frame.getBodyCase())
        {
            case LOGIN -> onLogin(frame.getLogin());
            case BODY_NOT_SET -> fatal(0, ErrorCode.UNKNOWN_FRAME, "frame has no known body");
            default -> fatal(0, ErrorCode.NOT_LOGGED_IN, "the first frame must be Login, not " + frame.getBodyCase());
        }
    }

    private void onLogin(final Login login)
    {
        final long requestId = login.getRequestId();
        final LoginFlow.Verdict verdict = shared.loginFlow().check(login, admitted ? clientInetAddress() : null, lastReadNs);
        if (verdict.moved())
        {
            // Not a failed login: the client is sent to the node that serves the user (docs/protocol.md).
            state = State.CLOSED;
            outAndFlush(Frames.moved(requestId, verdict.message(), verdict.address(), verdict.retryAfterMs()))
                .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (!verdict.admitted())
        {
            loginFailed(requestId, verdict.code(), verdict.message(), verdict.retryAfterMs());
            return;
        }
        final long userId = verdict.userId();

        final Channel channel = ctx.channel();
        final Session newSession = new Session(channel, userId, login.getDeviceId(), this);
        if (!shared.ring(newSession.userId()).tryPublishEvent(SwitchEvent.LOGIN_TRANSLATOR, newSession, requestId))
        {
            shared.counters().busyRejections.increment();
            loginFailed(requestId, ErrorCode.BUSY, "server busy; retry later", settings.busyRetryAfterMs());
            return;
        }
        session = newSession;
        state = State.LOGGED_IN;
        shared.counters().loginsSucceeded.increment();
        maxFrameLength(settings.maxFrameLengthBytes());
        passSendViews();
        timers.schedule(this, shared.idlePolicy().nextCheckNs(lastReadNs, false, lastReadNs));
    }

    /** A logged-in session's frame: a send admitted here, any other request routed by {@link RequestRouter}. */
    private void onFrame(final Frame frame)
    {
        final RequestRouter router = shared.requestRouter();
        switch (frame.getBodyCase())
        {
            case SEND -> onSend(frame.getSend());
            case PING -> answer(router.ping(frame.getPing().getRequestId(), ctx.channel().isWritable()));
            case SYNC -> answer(router.sync(session, frame.getSync(), ctx.channel().isWritable()));
            case ACK -> router.ack(session, frame.getAck().getUpToSeq());
            case GROUP_OP -> answer(router.groupOp(session, frame.getGroupOp()));
            case CHANNEL_OP -> onChannelOp(frame.getChannelOp());
            case UPLOAD_TICKET ->
                answer(router.uploadTicket(session, frame.getUploadTicket(), ctx.executor(), this::answerLater));
            case MEDIA_URL -> answer(router.mediaUrl(session, frame.getMediaUrl(), ctx.executor(), this::answerLater));
            case CHANNEL_SYNC -> answer(router.channelSync(session, frame.getChannelSync(), ctx.channel().isWritable()));
            case DISCOVERY -> answer(router.discovery(session, frame.getDiscovery()));
            case FRIEND_OP -> answer(shared.friendRequests().friendOp(session, frame.getFriendOp(),
                ctx.channel().isWritable()));
            case NEARBY -> answer(router.nearby(session, frame.getNearby()));
            case SHAKE -> answer(router.shake(session, frame.getShake()));
            case LOGIN -> out(Frames.error(frame.getLogin().getRequestId(), ErrorCode.BAD_REQUEST,
                "already logged in", false), ctx.voidPromise());
            case BODY_NOT_SET -> fatal(0, ErrorCode.UNKNOWN_FRAME, "frame has no known body");
            default -> fatal(0, ErrorCode.UNKNOWN_FRAME, frame.getBodyCase() + " is not a client frame");
        }
    }

    /** The router's immediate answer, if any, written (flushed at the end of the read). */
    private void answer(final Frame answer)
    {
        if (answer != null)
        {
            out(answer, ctx.voidPromise());
        }
    }

    /** An answer a media thread gave: written if the session is still logged in. On the event loop. */
    private void answerLater(final Frame answer)
    {
        if (state != State.LOGGED_IN || wake() == null)
        {
            return;
        }
        outAndFlush(answer, ctx.voidPromise());
    }

    private void onSend(final Send send)
    {
        final long requestId = send.getRequestId();
        if (!admitSend(requestId, send.getToUserId(), send.getGroupId(), send.getClientMsgIdBytes().size(),
            send.hasContent() && SendAdmission.clientType(send.getContent().getTypeValue()), send))
        {
            return;
        }
        // A media reference is checked against the store first, off the loop; plain sends never come here as a Send
        // with media (the decoder reads them in place), so they pay nothing for it.
        if (shared.media() != null && send.getContent().hasMedia())
        {
            checkMediaThen(send.getContent(), check -> onSendChecked(send, check), () ->
            {
                session.decrementInFlightSends();
                refuseBusy(requestId, send.getClientMsgId(), "media requests queue full");
            });
            return;
        }
        publishSend(send);
    }

    private void publishSend(final Send send)
    {
        if (!shared.ring(session.userId()).tryPublishEvent(SwitchEvent.SEND_TRANSLATOR, session, send))
        {
            session.decrementInFlightSends();
            refuseBusy(send.getRequestId(), send.getClientMsgId(), "server busy");
            return;
        }
        KillPoint.reach(KillPoint.AFTER_RING_PUBLISH);
    }

    /** A send whose media reference was checked: published with the stamped content, or refused. */
    private void onSendChecked(final Send send, final MediaService.RefCheck check)
    {
        final long requestId = send.getRequestId();
        switch (check.outcome())
        {
            case STAMPED ->
            {
                // Admitted before the check; the switch may have stopped taking sends meanwhile.
                if (shared.status().isStorageFailed() || shared.status().isDraining())
                {
                    session.decrementInFlightSends();
                    sendFailed(requestId, send, shared.status().isStorageFailed() ? ErrorCode.STORAGE_FAILURE :
                        ErrorCode.SHUTTING_DOWN, "the message was not stored; resend it after reconnecting");
                    return;
                }
                publishSend(send.toBuilder().setContent(check.content()).build());
            }
            case BAD_REF ->
            {
                session.decrementInFlightSends();
                sendFailed(requestId, send, ErrorCode.BAD_MEDIA_REF, check.reason());
            }
            case FAILED ->
            {
                session.decrementInFlightSends();
                refuseBusy(requestId, send.getClientMsgId(), check.reason());
            }
        }
    }

    /** A channel op; a post with a media reference is checked against the store first, as a send is. */
    private void onChannelOp(final ChannelOp op)
    {
        final RequestRouter router = shared.requestRouter();
        if (shared.media() == null || op.getOp() != ChannelOpType.CHANNEL_POST || !op.getContent().hasMedia())
        {
            answer(router.channelOp(session, op));
            return;
        }
        final long requestId = op.getRequestId();
        checkMediaThen(op.getContent(), check ->
        {
            switch (check.outcome())
            {
                case STAMPED -> answer(router.channelOp(session, op.toBuilder().setContent(check.content()).build()));
                case BAD_REF -> out(Frames.error(requestId, ErrorCode.BAD_MEDIA_REF, check.reason(), false),
                    ctx.voidPromise());
                case FAILED -> answer(busy(requestId, check.reason()));
            }
        }, () -> answer(busy(requestId, "media requests queue full")));
    }

    private Frame busy(final long requestId, final String reason)
    {
        shared.counters().busyRejections.increment();
        return Frames.busy(requestId, null, reason, settings.busyRetryAfterMs());
    }

    /**
     * Has a media thread check {@code content}'s media reference ({@link MediaService#verify}) and pauses reading until
     * its answer, which {@code then} takes on the event loop; nothing the client sent after the message is read
     * before, so a later send cannot overtake it. While the media threads' queue is full, runs {@code queueFull}
     * at once instead.
     */
    private void checkMediaThen(
        final Content content, final Consumer<MediaService.RefCheck> then, final Runnable queueFull)
    {
        if (!shared.media().verify(session.userId(), content, ctx.executor(), check -> onMediaChecked(check, then)))
        {
            queueFull.run();
            return;
        }
        mediaPending = true;
        pause();
        ctx.channel().config().setAutoRead(false);
    }

    /** A media check's answer, on the event loop: handled, then reading goes on unless push-back holds it. */
    private void onMediaChecked(final MediaService.RefCheck check, final Consumer<MediaService.RefCheck> then)
    {
        mediaPending = false;
        if (state != State.LOGGED_IN || ctx == null)
        {
            // Closed meanwhile: the client resends what was not acknowledged.
            return;
        }
        then.accept(check);
        if (state != State.LOGGED_IN || readPaused || mediaPending)
        {
            ctx.flush();
            return;
        }
        if (mustPauseReading())
        {
            ctx.flush();
            pauseReading();
            return;
        }
        ctx.channel().config().setAutoRead(true);
        try
        {
            // Hands on the frames read meanwhile and flushes the answers.
            resume(ctx);
        }
        catch (final Exception ex)
        {
            exceptionCaught(ctx, ex);
        }
    }

    /** A plain 1:1 send read in place by the decoder: the same checks, then its fields copied into the ring slot. */
    private void onSend(final SendView send)
    {
        final long requestId = send.requestId();
        if (!admitSend(requestId, send.toUserId(), 0, send.clientMsgIdLength(),
            send.hasContent() && SendAdmission.clientType(send.contentType()), send))
        {
            return;
        }
        if (!shared.ring(session.userId()).tryPublishEvent(SwitchEvent.SEND_VIEW_TRANSLATOR, session, send))
        {
            session.decrementInFlightSends();
            refuseBusy(requestId, send.clientMsgId(), "server busy");
            return;
        }
        KillPoint.reach(KillPoint.AFTER_RING_PUBLISH);
    }

    /**
     * Runs {@link SendAdmission} on a send and answers a refusal.
     *
     * @param send the {@link Send} or {@link SendView}, for the client message id of an answer.
     * @return true when the send may be published; it is then counted in flight.
     */
    private boolean admitSend(
        final long requestId,
        final long toUserId,
        final long groupId,
        final int clientMsgIdBytes,
        final boolean typedContent,
        final Object send)
    {
        final SendAdmission admission = shared.sendAdmission();
        final SendAdmission.Refusals refusals = sendRefusals == null && admission.limitsRate() ?
            sendRefusals() : sendRefusals;
        final SendAdmission.Verdict verdict =
            admission.admit(session, refusals, toUserId, groupId, clientMsgIdBytes, typedContent, send, lastReadNs);
        switch (verdict)
        {
            case ADMITTED ->
            {
                return true;
            }
            case BAD_CLIENT_MSG_ID -> sendFailed(requestId, send, ErrorCode.BAD_REQUEST,
                "client_msg_id must be 1.." + ProtocolLimits.MAX_ID_LENGTH_BYTES + " bytes");
            case BAD_RECIPIENT -> sendFailed(requestId, send, ErrorCode.BAD_REQUEST, groupId == 0 ?
                "to_user_id must be a positive user id" : "a group send has a positive group_id and no to_user_id");
            case AUDIENCES_NOT_SERVED -> sendFailed(requestId, send, ErrorCode.NOT_ALLOWED,
                RequestRouter.AUDIENCES_NEED_ONE_SHARD);
            case NO_CONTENT_TYPE -> sendFailed(requestId, send, ErrorCode.BAD_REQUEST,
                "content with a type is required, and GROUP_EVENT and FRIEND_EVENT are written by the switch only");
            case STORAGE_FAILED -> sendFailed(requestId, send, ErrorCode.STORAGE_FAILURE,
                "storage failed on this switch: the message was not stored; resend it after reconnecting");
            case DRAINING -> sendFailed(requestId, send, ErrorCode.SHUTTING_DOWN,
                "server draining: the message was not stored; resend after reconnecting");
            case BEHIND_RATE_LIMITED, RATE_LIMITED -> refuseRateLimited(requestId, SendAdmission.clientMsgIdOf(send));
            case BEHIND_BUSY -> refuseBusy(requestId, SendAdmission.clientMsgIdOf(send),
                "an earlier send was refused as busy; resend in order");
            case TOO_MANY_IN_FLIGHT -> refuseBusy(requestId, SendAdmission.clientMsgIdOf(send),
                "too many sends awaiting acknowledgement");
        }
        return false;
    }

    private void sendFailed(final long requestId, final Object send, final ErrorCode code, final String reason)
    {
        out(Frames.sendFailed(requestId, SendAdmission.clientMsgIdOf(send), code, reason), ctx.voidPromise());
    }

    /**
     * Refuses a send as BUSY, and every later send until this one comes again: sends already on the
     * wire behind it are refused too, so when the client resends them in their original order the
     * per-(sender, recipient) order holds.
     */
    private void refuseBusy(final long requestId, final String clientMsgId, final String reason)
    {
        shared.counters().busyRejections.increment();
        shared.sendAdmission().refusedBusy(sendRefusals(), clientMsgId, lastReadNs);
        out(Frames.busy(requestId, clientMsgId, reason, settings.busyRetryAfterMs()), ctx.voidPromise());
    }

    /**
     * Refuses a send over the session's rate, not fatally and in order as for BUSY; a session that
     * keeps sending into the limit instead of waiting is closed.
     */
    private void refuseRateLimited(final long requestId, final String clientMsgId)
    {
        shared.counters().rateLimitedSends.increment();
        final int retryAfterMs = shared.sendAdmission().refusedForRate(sendRefusals(), clientMsgId, lastReadNs);
        if (retryAfterMs == SendAdmission.CLOSE_SESSION)
        {
            shared.counters().rateLimitedSessionsClosed.increment();
            fatal(requestId, ErrorCode.RATE_LIMITED, "kept sending above " + settings.maxSendsPerSecondPerSession() +
                " sends per second after " + settings.maxRateLimitedSendsPerSession() + " refusals");
            return;
        }
        out(Frames.rateLimited(requestId, clientMsgId, "more than " + settings.maxSendsPerSecondPerSession() +
            " sends per second", retryAfterMs), ctx.voidPromise());
    }

    private SendAdmission.Refusals sendRefusals()
    {
        SendAdmission.Refusals refusals = sendRefusals;
        if (refusals == null)
        {
            refusals = new SendAdmission.Refusals();
            sendRefusals = refusals;
        }
        return refusals;
    }

    @Override
    public void onTimerExpired()
    {
        if (state == State.AWAITING_LOGIN)
        {
            shared.counters().loginTimeouts.increment();
            fatal(0, ErrorCode.LOGIN_TIMEOUT, "no Login within " + settings.loginTimeoutMs() + " ms");
            return;
        }
        if (state != State.LOGGED_IN)
        {
            return;
        }
        final long nowNs = shared.nanoClock().nanoTime();
        final IdlePolicy policy = shared.idlePolicy();
        switch (policy.check(lastReadNs, parked != null, nowNs))
        {
            case CLOSE_IDLE ->
            {
                // A parked session is woken to be told, and closed, as any other.
                if (parked != null && wake() == null)
                {
                    return;
                }
                shared.counters().idleClosed.increment();
                fatal(0, ErrorCode.IDLE_TIMEOUT, "nothing received for " + settings.idleTimeoutMs() + " ms");
            }
            case TRY_PARK ->
            {
                if (!wroteSinceParkCheck && mayPark() && park())
                {
                    timers.schedule(this, policy.idleDeadlineNs(lastReadNs));
                    return;
                }
                wroteSinceParkCheck = false;
                timers.schedule(this, policy.parkRetryNs(lastReadNs, nowNs));
            }
            case WAIT -> timers.schedule(this, policy.nextCheckNs(lastReadNs, parked != null, nowNs));
        }
    }

    /**
     * Whether this session may give up its channel now: logged in, reading, not parked, and what {@link Parker#mayPark}
     * asks of the pipeline, the decoder, the transport and the session's pending work. Any doubt: no.
     */
    private boolean mayPark()
    {
        return state == State.LOGGED_IN && parked == null && session != null && !readPaused && !mediaPending &&
            !admissionDeferred && shared.parker().mayPark(session, ctx, !internalBuffer().isReadable());
    }

    /**
     * Gives up the channel ({@link Parker#park}): the channel and its pipeline are dropped, the session and this
     * handler, with its timer, stay. On the event loop.
     *
     * @return true when parked.
     */
    private boolean park()
    {
        final Parking.Parked record = shared.parker().park(session, ctx.channel(), this);
        if (record == null)
        {
            return false;
        }
        parked = record;
        ctx = null;
        return true;
    }

    /**
     * A parked session gets a new channel around its connection ({@link Parker#wake}), with this handler (and so all
     * of the session's state) in its pipeline, registered on the same event loop; then reads and writes go on
     * exactly as before. On the event loop.
     *
     * @return the session's channel (the current one when it was not parked), or null when it was closed while
     * parked.
     */
    @Override
    public Channel wake()
    {
        final Parking.Parked record = parked;
        if (record == null)
        {
            return ctx != null ? ctx.channel() : null;
        }
        parked = null;
        final Channel channel;
        waking = true;
        try
        {
            // On the loop, registration is done when this returns: handlerAdded has set ctx, reading has begun.
            channel = shared.parker().wake(session, record, this);
        }
        finally
        {
            waking = false;
        }
        if (channel == null)
        {
            onClosed(null);
            return null;
        }
        wroteSinceParkCheck = false;
        timers.schedule(this, shared.idlePolicy().nextCheckNs(lastReadNs, false, shared.nanoClock().nanoTime()));
        return channel;
    }

    @Override
    public void onParkedEvent()
    {
        wake();
    }

    @Override
    public void onParkedClosed()
    {
        if (parked != null)
        {
            parked = null;
            shared.parker().closedWhileParked();
            onClosed(null);
        }
    }

    /** The high water mark of the session's channel: a parked session's outbound buffer is empty. Any thread. */
    @Override
    public long writeBufferHighWaterMarkBytes()
    {
        return settings.writeBufferHighWaterMarkBytes();
    }

    /**
     * A write, flush or close that came through a channel this session has left: passed on to the current channel,
     * woken if parked ({@link Parker#passOn}), so the old channel never writes to or closes the connection.
     */
    private boolean passedOn(final ChannelHandlerContext from, final Object msg, final ChannelPromise promise, final boolean close)
    {
        if (from == ctx)
        {
            return false;
        }
        shared.parker().passOn(wake(), msg, promise, close);
        return true;
    }

    /** A write of this handler's own: encoded here, as {@link #write} encodes everyone else's. */
    private ChannelFuture out(final Object msg, final ChannelPromise promise)
    {
        return ctx.write(encoded(ctx, msg), promise);
    }

    private ChannelFuture outAndFlush(final Object msg, final ChannelPromise promise)
    {
        return ctx.writeAndFlush(encoded(ctx, msg), promise);
    }

    private ChannelFuture outAndFlush(final Object msg)
    {
        return ctx.writeAndFlush(encoded(ctx, msg));
    }

    /**
     * A {@link Frame} as the wire has it (varint32 length, then the frame, in one buffer sized exactly), counted;
     * a {@code ByteBuf} (frames the dispatcher or the pacer encoded already) counted and passed as it is.
     */
    private Object encoded(final ChannelHandlerContext ctx, final Object msg)
    {
        if (msg instanceof Frame frame)
        {
            final int size = FrameEncoder.encodedLength(frame);
            final ByteBuf buffer = ctx.alloc().ioBuffer(size, size);
            try
            {
                FrameEncoder.writeFrame(frame, buffer);
            }
            catch (final IOException | RuntimeException ex)
            {
                buffer.release();
                throw new EncoderException(ex);
            }
            shared.counters().framesOut.increment();
            return buffer;
        }
        if (msg instanceof ByteBuf)
        {
            shared.counters().framesOut.increment();
        }
        return msg;
    }

    /** Frames written by other threads (the dispatcher, sync readers, the pacer) and by handlers above. */
    @Override
    public void write(final ChannelHandlerContext ctx, final Object msg, final ChannelPromise promise)
    {
        if (passedOn(ctx, msg, promise, false))
        {
            return;
        }
        wroteSinceParkCheck = true;
        final Object encoded;
        try
        {
            encoded = encoded(ctx, msg);
        }
        catch (final EncoderException ex)
        {
            promise.setFailure(ex);
            return;
        }
        ctx.write(encoded, promise);
    }

    @Override
    public void flush(final ChannelHandlerContext ctx)
    {
        if (ctx != this.ctx)
        {
            // From a channel this session has left: a parked session has nothing to flush.
            if (this.ctx != null)
            {
                this.ctx.flush();
            }
            return;
        }
        ctx.flush();
    }

    @Override
    public void read(final ChannelHandlerContext ctx)
    {
        ctx.read();
    }

    @Override
    public void bind(final ChannelHandlerContext ctx, final SocketAddress localAddress, final ChannelPromise promise)
    {
        ctx.bind(localAddress, promise);
    }

    @Override
    public void connect(final ChannelHandlerContext ctx, final SocketAddress remoteAddress,
        final SocketAddress localAddress, final ChannelPromise promise)
    {
        ctx.connect(remoteAddress, localAddress, promise);
    }

    @Override
    public void disconnect(final ChannelHandlerContext ctx, final ChannelPromise promise)
    {
        ctx.disconnect(promise);
    }

    @Override
    public void close(final ChannelHandlerContext ctx, final ChannelPromise promise)
    {
        if (passedOn(ctx, null, promise, true))
        {
            return;
        }
        ctx.close(promise);
    }

    @Override
    public void deregister(final ChannelHandlerContext ctx, final ChannelPromise promise)
    {
        ctx.deregister(promise);
    }

    /** Draining: tells the client to reconnect elsewhere after {@code reconnectDelayMs}. On the event loop. */
    void goAway(final int reconnectDelayMs)
    {
        if (wake() == null)
        {
            return;
        }
        outAndFlush(Frames.goAway("server draining", reconnectDelayMs), ctx.voidPromise());
    }

    /**
     * Shutting down: once everything written before (the GoAway, the acks of the drain) is on the wire, closes
     * this side's output and reads on, discarding, until the peer closes ({@link HalfClose}). Sockets only; an
     * in-JVM channel is closed after its writes. On the event loop.
     */
    void closeAfterWrites()
    {
        if (state == State.CLOSED || state == State.CLOSING_OUTPUT || wake() == null)
        {
            return;
        }
        if (!HalfClose.supported(ctx.channel()))
        {
            state = State.CLOSED;
            outAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        state = State.CLOSING_OUTPUT;
        HalfClose.closeOutputAfterWrites(ctx.channel(), () -> outAndFlush(Unpooled.EMPTY_BUFFER));
    }

    /** Shutting down, and the peer did not take what it was sent in time. On the event loop. */
    void closeNow()
    {
        final Channel channel = wake();
        if (channel != null)
        {
            channel.close();
        }
    }

    @Override
    public SessionTimers.Timed timerNext()
    {
        return timerNext;
    }

    @Override
    public void timerNext(final SessionTimers.Timed next)
    {
        timerNext = next;
    }

    @Override
    public SessionTimers.Timed timerPrev()
    {
        return timerPrev;
    }

    @Override
    public void timerPrev(final SessionTimers.Timed prev)
    {
        timerPrev = prev;
    }

    @Override
    public long timerDeadlineTick()
    {
        return timerDeadlineTick;
    }

    @Override
    public void timerDeadlineTick(final long tick)
    {
        timerDeadlineTick = tick;
    }

    private void loginFailed(final long requestId, final ErrorCode code, final String message, final int retryAfterMs)
    {
        shared.counters().loginsFailed.increment();
        state = State.CLOSED;
        outAndFlush(Frames.loginError(requestId, code, message, retryAfterMs))
            .addListener(ChannelFutureListener.CLOSE);
    }

    private void fatal(final long requestId, final ErrorCode code, final String message)
    {
        state = State.CLOSED;
        outAndFlush(Frames.error(requestId, code, message, true)).addListener(ChannelFutureListener.CLOSE);
    }
}
