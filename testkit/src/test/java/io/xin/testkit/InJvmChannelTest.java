package io.xin.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalIoHandler;
import io.netty.util.ReferenceCountUtil;
import io.xin.core.net.Parking;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the pipeline relies on from {@link InJvmChannel}: order, reads only when requested, the close of the peer
 * after what it flushed, failed writes to a closed peer, and a listener name that is taken or free.
 */
@Timeout(30)
class InJvmChannelTest
{
    private static final int WAIT_MS = 5_000;
    private static final String NAME = "in-jvm-channel-test";

    private EventLoopGroup serverGroup;
    private EventLoopGroup clientGroup;
    private Channel server;
    /** What the accepted end saw: "read N", "complete", "inactive". */
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp()
    {
        serverGroup = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        clientGroup = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    }

    @AfterEach
    void tearDown()
    {
        if (server != null)
        {
            server.close().awaitUninterruptibly();
        }
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private void listen(final boolean autoRead) throws InterruptedException
    {
        server = new ServerBootstrap().group(serverGroup).channel(InJvmServerChannel.class)
            .childOption(ChannelOption.AUTO_READ, autoRead)
            .childHandler(new ChannelInitializer<>()
            {
                @Override
                protected void initChannel(final Channel channel)
                {
                    accepted.add(channel);
                    channel.pipeline().addLast(new ChannelInboundHandlerAdapter()
                    {
                        @Override
                        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
                        {
                            events.add("read " + ((ByteBuf)msg).getInt(0));
                            ReferenceCountUtil.release(msg);
                        }

                        @Override
                        public void channelReadComplete(final ChannelHandlerContext ctx)
                        {
                            events.add("complete");
                        }

                        @Override
                        public void channelInactive(final ChannelHandlerContext ctx)
                        {
                            events.add("inactive");
                        }
                    });
                }
            })
            .bind(new LocalAddress(NAME)).sync().channel();
    }

    private Channel connect() throws InterruptedException
    {
        return new Bootstrap().group(clientGroup).channel(InJvmChannel.class)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(new LocalAddress(NAME)).sync().channel();
    }

    @Test
    void shouldHoldMessagesUntilReadWhenAutoReadIsOffAndKeepTheirOrder() throws Exception
    {
        listen(false);
        final Channel client = connect();
        final Channel child = accepted.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(child);
        for (int i = 0; i < 40; i++)
        {
            client.writeAndFlush(Unpooled.copyInt(i)).sync();
        }
        // A write's promise completes after its delivery is queued on the child's loop: this task runs after it.
        child.eventLoop().submit(() -> { }).sync();
        assertTrue(events.isEmpty(), "nothing read before a read is requested: " + events);

        child.read();
        final List<String> firstRead = take(17);
        assertEquals("complete", firstRead.get(16), "one read operation delivers at most 16 messages");
        for (int i = 0; i < 16; i++)
        {
            assertEquals("read " + i, firstRead.get(i));
        }
        child.eventLoop().submit(() -> { }).sync();
        assertTrue(events.isEmpty(), "one read() is one read operation: " + events);

        child.config().setAutoRead(true);
        final List<String> rest = new ArrayList<>();
        while (rest.stream().filter(e -> e.startsWith("read")).count() < 24)
        {
            rest.add(events.poll(WAIT_MS, TimeUnit.MILLISECONDS));
        }
        int next = 16;
        for (final String event : rest)
        {
            if (event.startsWith("read"))
            {
                assertEquals("read " + next++, event, "in the order written");
            }
        }
        client.close().sync();
    }

    @Test
    void shouldCloseThePeerOnlyAfterDeliveringWhatWasFlushedBeforeTheClose() throws Exception
    {
        listen(true);
        final Channel client = connect();
        client.eventLoop().submit(() ->
        {
            for (int i = 0; i < 10; i++)
            {
                client.write(Unpooled.copyInt(i));
            }
            client.flush();
            client.close();
        }).sync();

        final List<String> reads = new ArrayList<>();
        String event;
        while (!"inactive".equals(event = events.poll(WAIT_MS, TimeUnit.MILLISECONDS)))
        {
            assertNotNull(event, "the accepted end closed");
            if (event.startsWith("read"))
            {
                reads.add(event);
            }
        }
        assertEquals(10, reads.size(), "every message flushed before the close arrived before it: " + reads);
        assertEquals("read 9", reads.get(9));
    }

    @Test
    void shouldCloseAParkedEndAndTellItsClientWhenTheLoopShutsDown() throws Exception
    {
        listen(true);
        final Channel client = connect();
        final Channel child = accepted.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(child);
        final CountDownLatch closed = new CountDownLatch(1);
        final Parking.Owner owner = new Parking.Owner()
        {
            @Override
            public void onParkedEvent()
            {
                events.add("parked event");
            }

            @Override
            public void onParkedClosed()
            {
                closed.countDown();
            }
        };
        final Parking.Parked parked = child.eventLoop().submit(() ->
            Parking.canPark(child) ? Parking.park(child, owner) : null).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(parked, "an idle connected switch end parks");

        // The listener first (it is not what this test is about); then the parked end is the loop's one registration.
        // A quiet period, because a loop asked to shut down while it runs tasks (here, the listener's close) and
        // given none confirms the shutdown at once and never reaches its IO handler's close of what is registered.
        server.close().sync();
        serverGroup.shutdownGracefully(100, 2_000, TimeUnit.MILLISECONDS).awaitUninterruptibly();
        assertTrue(closed.await(WAIT_MS, TimeUnit.MILLISECONDS), "the loop closed the parked end");
        assertTrue(client.closeFuture().await(WAIT_MS), "the client end closes with its parked peer");
    }

    @Test
    void shouldFailAWriteOnceThePeerHasClosed() throws Exception
    {
        listen(true);
        final Channel client = connect();
        final Channel child = accepted.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(child);

        child.close().sync();
        assertTrue(client.closeFuture().await(WAIT_MS), "the client end closes with its peer");
        assertFalse(client.writeAndFlush(Unpooled.copyInt(1)).await().isSuccess());
    }

    @Test
    void shouldRefuseASecondListenerOnANameAndFreeTheNameAtClose() throws Exception
    {
        listen(true);
        final Exception taken = assertThrows(Exception.class, () -> new ServerBootstrap().group(serverGroup)
            .channel(InJvmServerChannel.class).childHandler(new ChannelInboundHandlerAdapter())
            .bind(new LocalAddress(NAME)).sync());
        assertInstanceOf(io.netty.channel.ChannelException.class, taken);

        server.close().sync();
        server = null;
        listen(true);
        final Channel client = connect();
        assertTrue(client.isActive());
        client.close().sync();
    }

    private List<String> take(final int count) throws InterruptedException
    {
        final List<String> taken = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final String event = events.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(event, "event " + i + " of " + count + " after " + taken);
            taken.add(event);
        }
        return taken;
    }
}
