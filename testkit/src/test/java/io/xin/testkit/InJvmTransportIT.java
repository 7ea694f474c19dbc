package io.xin.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalIoHandler;
import io.xin.core.RawClient;
import io.xin.core.TestSwitch;
import io.xin.protocol.codec.FrameDecoder;
import io.xin.protocol.codec.FrameEncoder;
import io.xin.protocol.pb.Ack;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.Ping;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The switch's in-JVM transport ({@link InJvmChannel}, used to measure sessions without sockets) carries the
 * real pipeline end to end: logins, sends with their acks and deliveries, acks that move the cursor,
 * heartbeats, and closes from either side, with a real RocksDB and Netty's leak detector watching every buffer.
 */
@Timeout(60)
class InJvmTransportIT
{
    private static final String NAME = "xin-in-jvm-it";
    private static final long ALICE = 1;
    private static final long BOB = 2;
    private static final int WAIT_MS = 10_000;

    @TempDir
    Path dataDir;
    private TestSwitch server;
    private EventLoopGroup clientGroup;
    private final List<Client> clients = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        server = new TestSwitch(dataDir, ctx -> ctx.localTransport(InJvmServerChannel.transport(NAME)));
        clientGroup = new MultiThreadIoEventLoopGroup(2, LocalIoHandler.newFactory());
    }

    @AfterEach
    void tearDown()
    {
        for (final Client client : clients)
        {
            client.channel.close().awaitUninterruptibly();
        }
        server.close();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    @Test
    void shouldLogInSendDeliverAckAndHeartbeatOverInJvmChannels() throws Exception
    {
        final Client alice = loggedIn(ALICE, "phone");
        final Client bob = loggedIn(BOB, "phone");

        alice.write(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(7)).build());
        assertEquals(7, alice.next(Frame.BodyCase.PONG).getPong().getRequestId());

        final int messages = 50;
        for (int i = 1; i <= messages; i++)
        {
            alice.write(RawClient.text(i, BOB, "m-" + i, "hello " + i));
        }
        for (int i = 1; i <= messages; i++)
        {
            final SendAck ack = alice.next(Frame.BodyCase.SEND_ACK).getSendAck();
            assertEquals(i, ack.getRequestId(), "acks in the order sent");
            assertEquals(i, ack.getSeq());
            final Message delivered = bob.next(Frame.BodyCase.DELIVER).getDeliver().getMessage();
            assertEquals(i, delivered.getSeq(), "deliveries in the order stored");
            assertEquals("m-" + i, delivered.getClientMsgId());
            assertEquals(ALICE, delivered.getFromUserId());
            assertEquals("hello " + i, delivered.getContent().getBody().toStringUtf8());
        }

        bob.write(Frame.newBuilder().setAck(Ack.newBuilder().setUpToSeq(messages)).build());
        bob.write(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(8)).build());
        // The ping is answered after the ack, which was handed to the journal before it.
        assertEquals(8, bob.next(Frame.BodyCase.PONG).getPong().getRequestId());
        bob.channel.close().sync();
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsOpen.get() == 1);

        // The cursor is written by the journal after the ack; a login that raced it reads the older one.
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).untilAsserted(() ->
        {
            final Client bobAgain = connect();
            bobAgain.write(RawClient.login(server.token(BOB), "phone"));
            final Frame answer = bobAgain.next(Frame.BodyCase.LOGIN_OK);
            bobAgain.channel.close().sync();
            assertEquals(messages, answer.getLoginOk().getHeadSeq());
            assertEquals(messages, answer.getLoginOk().getCursorSeq(), "bob's ack moved his cursor");
        });
    }

    @Test
    void shouldParkIdleSwitchEndsAndWakeThemForTheClientAndForTheSwitch() throws Exception
    {
        server.close();
        server = new TestSwitch(dataDir, ctx -> ctx.localTransport(InJvmServerChannel.transport(NAME)).parkIdleMs(200));
        final Client alice = loggedIn(ALICE, "phone");
        final Client bob = loggedIn(BOB, "phone");
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsParked.get() == 2);

        // The client writes: alice's end wakes and answers.
        alice.write(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(9)).build());
        assertEquals(9, alice.next(Frame.BodyCase.PONG).getPong().getRequestId());
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsParked.get() == 2);

        // The switch writes: bob's end wakes for the deliveries, in order.
        final int messages = 20;
        for (int i = 1; i <= messages; i++)
        {
            alice.write(RawClient.text(i, BOB, "p-" + i, "parked " + i));
        }
        for (int i = 1; i <= messages; i++)
        {
            assertEquals(i, alice.next(Frame.BodyCase.SEND_ACK).getSendAck().getSeq());
            assertEquals("p-" + i, bob.next(Frame.BodyCase.DELIVER).getDeliver().getMessage().getClientMsgId());
        }
        assertTrue(server.xin().counters().sessionWakes.sum() >= 3);

        // A client that closes while its end is parked: the session closes.
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsParked.get() == 2);
        bob.channel.close().sync();
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsOpen.get() == 1);
        assertEquals(1, server.xin().counters().sessionsParked.get());
        assertEquals(2, server.xin().counters().loginsSucceeded.sum(), "the same two sessions throughout");
    }

    @Test
    void shouldCloseTheSwitchSideWhenTheClientCloses() throws Exception
    {
        final Client alice = loggedIn(ALICE, "phone");
        final Client bob = loggedIn(BOB, "phone");
        assertEquals(2, server.xin().counters().sessionsOpen.get());

        alice.channel.close().sync();
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsOpen.get() == 1);
        assertTrue(bob.channel.isActive(), "the other session is untouched");
        bob.channel.close().sync();
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsOpen.get() == 0);
    }

    @Test
    void shouldCloseTheClientAfterTheSwitchsLastFrameWhenTheSwitchClosesTheSession() throws Exception
    {
        final Client client = connect();
        client.write(Frame.newBuilder().setPing(Ping.newBuilder().setRequestId(1)).build());

        final Frame error = client.next(Frame.BodyCase.ERROR);
        assertEquals(ErrorCode.NOT_LOGGED_IN, error.getError().getCode());
        assertTrue(client.channel.closeFuture().await(WAIT_MS), "closed by the switch after its error frame");
        await().atMost(WAIT_MS, TimeUnit.MILLISECONDS).until(() -> server.xin().counters().sessionsOpen.get() == 0);
        assertFalse(client.channel.writeAndFlush(RawClient.login(server.token(ALICE), "phone")).await().isSuccess(),
            "a write to a closed connection fails");
    }

    @Test
    void shouldRefuseAConnectionToANameNothingListensOn()
    {
        final ExecutionException refused = assertThrows(ExecutionException.class, () ->
            bootstrap(new LinkedBlockingQueue<>()).connect(new LocalAddress("nobody-listens-here")).get());
        assertInstanceOf(ConnectException.class, refused.getCause());
    }

    private Client loggedIn(final long userId, final String deviceId) throws Exception
    {
        final Client client = connect();
        client.write(RawClient.login(server.token(userId), deviceId));
        final Frame answer = client.next(Frame.BodyCase.LOGIN_OK);
        assertEquals(userId, answer.getLoginOk().getUserId());
        return client;
    }

    private Client connect() throws InterruptedException
    {
        final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
        final Channel channel = bootstrap(received).connect(new LocalAddress(NAME)).sync().channel();
        final Client client = new Client(channel, received);
        clients.add(client);
        return client;
    }

    private Bootstrap bootstrap(final BlockingQueue<Frame> received)
    {
        return new Bootstrap().group(clientGroup).channel(InJvmChannel.class).handler(new ChannelInitializer<>()
        {
            @Override
            protected void initChannel(final Channel channel)
            {
                channel.pipeline().addLast("decoder", new FrameDecoder(1 << 20));
                channel.pipeline().addLast("encoder", FrameEncoder.INSTANCE);
                channel.pipeline().addLast("frames", new SimpleChannelInboundHandler<Frame>()
                {
                    @Override
                    protected void channelRead0(final ChannelHandlerContext ctx, final Frame frame)
                    {
                        received.add(frame);
                    }
                });
            }
        });
    }

    /** A client end of an in-JVM connection and the frames it received. */
    private static final class Client
    {
        final Channel channel;
        final BlockingQueue<Frame> received;

        Client(final Channel channel, final BlockingQueue<Frame> received)
        {
            this.channel = channel;
            this.received = received;
        }

        void write(final Frame frame) throws InterruptedException
        {
            assertTrue(channel.writeAndFlush(frame).sync().isSuccess());
        }

        /** The next frame of this kind, skipping others (sync hints, deliveries of one's own sends). */
        Frame next(final Frame.BodyCase bodyCase) throws InterruptedException
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
            while (true)
            {
                final Frame frame = received.poll(deadlineNs - System.nanoTime(), TimeUnit.NANOSECONDS);
                assertNotNull(frame, "no " + bodyCase + " within " + WAIT_MS + " ms");
                if (frame.getBodyCase() == bodyCase)
                {
                    return frame;
                }
            }
        }
    }
}
