package io.xin.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Login;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Send;
import io.xin.protocol.pb.SendAck;
import io.xin.protocol.pb.Sync;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One accepted client connection of the {@link FakeServer}. Frames from the client are queued on the
 * server's event loop and taken by the test thread; Pings and Acks go to queues of their own, so a
 * script can expect requests without caring when heartbeats and acks happen to be sent.
 */
final class FakeConnection extends SimpleChannelInboundHandler<Frame>
{
    private final BlockingQueue<FakeConnection> accepted;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final BlockingQueue<Long> acks = new LinkedBlockingQueue<>();
    private final BlockingQueue<Long> pings = new LinkedBlockingQueue<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile Channel channel;

    FakeConnection(final BlockingQueue<FakeConnection> accepted)
    {
        this.accepted = accepted;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        channel = ctx.channel();
        accepted.add(this);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        closed.countDown();
        ctx.fireChannelInactive();
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final Frame frame)
    {
        switch (frame.getBodyCase())
        {
            case PING -> pings.add(frame.getPing().getRequestId());
            case ACK -> acks.add(frame.getAck().getUpToSeq());
            default -> frames.add(frame);
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        ctx.close();
    }

    /**
     * The next frame that is not a Ping or an Ack, which must have the expected body.
     */
    Frame next(final Frame.BodyCase expected) throws InterruptedException
    {
        final Frame frame = frames.poll(FakeServer.WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(frame, "no " + expected + " within " + FakeServer.WAIT_MS + " ms");
        assertEquals(expected, frame.getBodyCase(), () -> "got " + frame);
        return frame;
    }

    /**
     * The next frame that is not a Ping or an Ack within {@code waitMs}, or null.
     */
    Frame poll(final long waitMs) throws InterruptedException
    {
        return frames.poll(waitMs, TimeUnit.MILLISECONDS);
    }

    Login expectLogin() throws InterruptedException
    {
        return next(Frame.BodyCase.LOGIN).getLogin();
    }

    Send expectSend() throws InterruptedException
    {
        return next(Frame.BodyCase.SEND).getSend();
    }

    Sync expectSync() throws InterruptedException
    {
        return next(Frame.BodyCase.SYNC).getSync();
    }

    /**
     * Wait for an Ack of at least {@code upToSeq}.
     */
    void awaitAck(final long upToSeq) throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FakeServer.WAIT_MS);
        long highest = -1;
        while (highest < upToSeq)
        {
            final Long ack = acks.poll(deadlineNs - System.nanoTime(), TimeUnit.NANOSECONDS);
            assertNotNull(ack, "no Ack of " + upToSeq + " within " + FakeServer.WAIT_MS + " ms; highest " + highest);
            highest = Math.max(highest, ack);
        }
    }

    /**
     * The next Ack's {@code up_to_seq} within {@code waitMs}, or null.
     */
    Long nextAck(final long waitMs) throws InterruptedException
    {
        return acks.poll(waitMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Wait for a Ping.
     */
    long awaitPing() throws InterruptedException
    {
        final Long requestId = pings.poll(FakeServer.WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(requestId, "no Ping within " + FakeServer.WAIT_MS + " ms");
        return requestId;
    }

    java.net.InetSocketAddress remoteAddress()
    {
        return (java.net.InetSocketAddress)channel.remoteAddress();
    }

    void write(final Frame... frames)
    {
        for (final Frame frame : frames)
        {
            channel.write(frame);
        }
        channel.flush();
    }

    /**
     * Answer the login with a LoginOk.
     */
    void loginOk(final long userId, final long headSeq, final long cursorSeq) throws InterruptedException
    {
        loginOk(Frames.loginOk(userId, headSeq, cursorSeq));
    }

    void loginOk(final LoginOk ok) throws InterruptedException
    {
        final Login login = expectLogin();
        write(Frame.newBuilder().setLoginOk(ok.toBuilder().setRequestId(login.getRequestId())).build());
    }

    /**
     * Acknowledge a Send as stored at {@code seq} of the sender's inbox.
     */
    void ack(final Send send, final long seq)
    {
        write(Frame.newBuilder().setSendAck(SendAck.newBuilder()
            .setRequestId(send.getRequestId())
            .setClientMsgId(send.getClientMsgId())
            .setMsgId(1000 + seq)
            .setSeq(seq)
            .setServerTimeMs(System.currentTimeMillis()))
            .build());
    }

    void close()
    {
        channel.close().syncUninterruptibly();
    }

    /**
     * Wait until the client (or the test) closed this connection.
     */
    void awaitClosed() throws InterruptedException
    {
        assertTrue(closed.await(FakeServer.WAIT_MS, TimeUnit.MILLISECONDS), "connection still open");
    }
}
