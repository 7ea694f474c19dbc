package io.xin.loadgen.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.xin.protocol.ProtocolLimits;
import io.xin.protocol.pb.Deliver;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.LoginError;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Pong;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.SyncResult;

import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One relay connection: Login (the token's {@code sub} is taken as the user id, unverified) answered by
 * LoginOk; Send forwarded to the recipient's connection as a Deliver with the recipient's next seq (and, when the
 * relay acknowledges, first answered by a SendAck that gives the sender's copy the sender's next seq, as the switch
 * does, though nothing is stored); Ping answered; Sync answered with an empty page; everything else ignored.
 */
final class RelayHandler extends SimpleChannelInboundHandler<Frame>
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Directory directory;
    private User user;

    RelayHandler(final Directory directory)
    {
        this.directory = directory;
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final Frame frame)
    {
        switch (frame.getBodyCase())
        {
            case LOGIN -> onLogin(ctx, frame);
            case SEND ->
            {
                if (user != null)
                {
                    onSend(ctx, frame.getSend());
                }
            }
            case PING -> ctx.write(Frame.newBuilder()
                .setPong(Pong.newBuilder().setRequestId(frame.getPing().getRequestId())
                    .setServerTimeMs(System.currentTimeMillis()))
                .build(), ctx.voidPromise());
            case SYNC -> ctx.write(Frame.newBuilder().setSyncResult(SyncResult.newBuilder()
                .setRequestId(frame.getSync().getRequestId())
                .setLastSeq(frame.getSync().getAfterSeq())
                .setHeadSeq(user == null ? 0 : user.seq.get()))
                .build(), ctx.voidPromise());
            default ->
            {
            }
        }
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        ctx.flush();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        if (user != null)
        {
            user.channel.compareAndSet(ctx.channel(), null);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ctx.close();
    }

    private void onLogin(final ChannelHandlerContext ctx, final Frame frame)
    {
        final long requestId = frame.getLogin().getRequestId();
        final long userId = subject(frame.getLogin().getToken());
        if (userId <= 0)
        {
            ctx.writeAndFlush(Frame.newBuilder().setLoginError(LoginError.newBuilder()
                .setRequestId(requestId).setCode(ErrorCode.AUTH_FAILED).setMessage("no numeric sub in the token"))
                .build()).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            return;
        }
        user = directory.user(userId);
        user.channel.set(ctx.channel());
        final long headSeq = user.seq.get();
        ctx.write(Frame.newBuilder().setLoginOk(LoginOk.newBuilder()
            .setRequestId(requestId)
            .setUserId(userId)
            .setHeadSeq(headSeq)
            .setCursorSeq(headSeq)
            .setHeartbeatIntervalMs(240_000)
            .setIdleTimeoutMs(600_000)
            .setMaxFrameLengthBytes(ProtocolLimits.DEFAULT_MAX_FRAME_LENGTH_BYTES)
            .setServerTimeMs(System.currentTimeMillis()))
            .build(), ctx.voidPromise());
    }

    private void onSend(final ChannelHandlerContext ctx, final Send send)
    {
        if (directory.acks)
        {
            // On this connection's loop, where its Delivers are written too: its seqs go out in order.
            ctx.write(Frame.newBuilder().setSendAck(SendAck.newBuilder()
                .setRequestId(send.getRequestId())
                .setClientMsgId(send.getClientMsgId())
                .setMsgId(directory.msgIds.incrementAndGet())
                .setSeq(user.seq.incrementAndGet())
                .setServerTimeMs(System.currentTimeMillis()))
                .build(), ctx.voidPromise());
        }
        final User recipient = directory.user(send.getToUserId());
        final Channel channel = recipient.channel.get();
        if (channel == null)
        {
            return;
        }
        directory.relayed.increment();
        // The recipient's seq is assigned on its own event loop, so its Delivers go out in seq order.
        final long fromUserId = user.id;
        if (channel.eventLoop().inEventLoop())
        {
            deliver(channel, recipient, fromUserId, send);
        }
        else
        {
            channel.eventLoop().execute(() -> deliver(channel, recipient, fromUserId, send));
        }
    }

    private static void deliver(final Channel channel, final User recipient, final long fromUserId, final Send send)
    {
        channel.writeAndFlush(Frame.newBuilder().setDeliver(Deliver.newBuilder().setMessage(Message.newBuilder()
            .setSeq(recipient.seq.incrementAndGet())
            .setFromUserId(fromUserId)
            .setToUserId(recipient.id)
            .setClientMsgId(send.getClientMsgId())
            .setContent(send.getContent())))
            .build(), channel.voidPromise());
    }

    private static long subject(final String token)
    {
        try
        {
            final String[] parts = token.split("\\.");
            final JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            return Long.parseLong(claims.path("sub").asText());
        }
        catch (final Exception ex)
        {
            return -1;
        }
    }

    /**
     * Users by id: each one's connection and inbox seq. Shared by every connection of a relay.
     */
    static final class Directory
    {
        private final ConcurrentHashMap<Long, User> users = new ConcurrentHashMap<>();
        private final LongAdder relayed = new LongAdder();
        /** Whether every Send is answered by a SendAck. */
        private final boolean acks;
        private final AtomicLong msgIds = new AtomicLong();

        Directory(final boolean acks)
        {
            this.acks = acks;
        }

        User user(final long userId)
        {
            return users.computeIfAbsent(userId, User::new);
        }

        long relayed()
        {
            return relayed.sum();
        }
    }

    /**
     * A user: its latest connection and the seq of its last relayed message.
     */
    static final class User
    {
        final long id;
        final java.util.concurrent.atomic.AtomicReference<Channel> channel = new java.util.concurrent.atomic.AtomicReference<>();
        final AtomicLong seq = new AtomicLong();

        User(final long id)
        {
            this.id = id;
        }
    }
}
