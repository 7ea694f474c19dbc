package io.xin.core;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.protocol.pb.Frame;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.SendAck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two switches in one JVM, each with its own store, and a placement shared by both: the Java client seeded with
 * switch 1 only is redirected to switch 2, which serves its user, and sends there; a move of the user's shard
 * back to switch 1 sends it there, with its send in flight stored exactly once.
 */
@Timeout(60)
class ClusterRedirectIT
{
    private static final long ALICE = 11;
    private static final long BOB = 12;
    private static final long WAIT_S = 15;

    @TempDir
    Path dir1;
    @TempDir
    Path dir2;

    /** The node (0 or 1) that serves each user; ports of the nodes once bound. */
    private final Map<Long, Integer> owners = new ConcurrentHashMap<>();
    private final AtomicIntegerArray ports = new AtomicIntegerArray(2);
    /** Set at the end: both nodes serve everyone, so each store can be asked what it holds. */
    private final AtomicBoolean probing = new AtomicBoolean();
    private final EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception
    {
        for (int i = closeables.size() - 1; i >= 0; i--)
        {
            closeables.get(i).close();
        }
        clientGroup.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }

    private TestSwitch node(final int index, final Path dir)
    {
        final TestSwitch node = new TestSwitch(dir, ctx -> ctx.placement(userId ->
        {
            final Integer owner = owners.get(userId);
            return probing.get() || owner == null || owner == index ? null : "127.0.0.1:" + ports.get(owner);
        }));
        ports.set(index, node.port());
        closeables.add(node);
        return node;
    }

    /** What a client's listener was told, in order. */
    private static final class Recorder implements XinClient.Listener
    {
        final BlockingQueue<String> moves = new LinkedBlockingQueue<>();
        final BlockingQueue<LoginOk> logins = new LinkedBlockingQueue<>();
        final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        final List<SendAck> acks = new CopyOnWriteArrayList<>();
        final List<String> failed = new CopyOnWriteArrayList<>();

        @Override
        public void onMoved(final String address)
        {
            moves.add(address);
        }

        @Override
        public void onLogin(final LoginOk ok)
        {
            logins.add(ok);
        }

        @Override
        public void onMessage(final Message message)
        {
            messages.add(message);
        }

        @Override
        public void onSendAck(final SendAck ack)
        {
            acks.add(ack);
        }

        @Override
        public void onSendFailed(final String clientMsgId, final XinClientException failure)
        {
            failed.add(clientMsgId);
        }
    }

    private XinClient client(final TestSwitch tokens, final long userId, final Recorder listener,
        final List<InetSocketAddress> seeds)
    {
        final XinClient client = XinClient.builder()
            .addresses(seeds)
            .tokenSupplier(() -> tokens.token(userId))
            .deviceId("phone")
            .eventLoopGroup(clientGroup)
            .reconnectInitialDelayMs(20)
            .reconnectMaxDelayMs(200)
            .passOwnSends(false)
            .listener(listener)
            .build();
        closeables.add(client::close);
        return client;
    }

    /** The user's inbox head on a node, read by a login of another device while every node serves everyone. */
    private static long headOn(final TestSwitch node, final long userId) throws Exception
    {
        try (RawClient probe = new RawClient(node.port()))
        {
            probe.send(RawClient.login(node.token(userId), "probe"));
            final Frame answer = probe.read();
            assertTrue(answer.hasLoginOk(), answer.toString());
            return answer.getLoginOk().getHeadSeq();
        }
    }

    @Test
    void shouldFollowTheRedirectThenMoveWithTheShardAndStoreTheSendInFlightOnce() throws Exception
    {
        final TestSwitch node1 = node(0, dir1);
        final TestSwitch node2 = node(1, dir2);
        owners.put(ALICE, 1);
        owners.put(BOB, 1);
        final InetSocketAddress seed1 = new InetSocketAddress("127.0.0.1", node1.port());

        final Recorder alice = new Recorder();
        final Recorder bob = new Recorder();
        final XinClient aliceClient = client(node1, ALICE, alice, List.of(seed1));
        final XinClient bobClient = client(node1, BOB, bob, List.of(seed1));
        aliceClient.connect().get(WAIT_S, TimeUnit.SECONDS);
        bobClient.connect().get(WAIT_S, TimeUnit.SECONDS);
        assertEquals("127.0.0.1:" + node2.port(), alice.moves.poll(WAIT_S, TimeUnit.SECONDS),
            "switch 1 sent alice to switch 2");
        assertEquals("127.0.0.1:" + node2.port(), bob.moves.poll(WAIT_S, TimeUnit.SECONDS));
        final LoginOk onNode2 = alice.logins.poll(WAIT_S, TimeUnit.SECONDS);
        assertEquals(0, onNode2.getHeadSeq(), "a new inbox on switch 2");

        final SendAck first = aliceClient.send(BOB, "m1", TestDevices.text("hello")).get(WAIT_S, TimeUnit.SECONDS);
        assertEquals("m1", bob.messages.poll(WAIT_S, TimeUnit.SECONDS).getClientMsgId());
        assertEquals(1, first.getSeq());

        // The shard moves to switch 1: the placement says so first, then switch 2 sends its devices away.
        owners.put(ALICE, 0);
        owners.put(BOB, 0);
        final var inFlight = aliceClient.send(BOB, "m2", TestDevices.text("in flight"));
        node2.xin().moveOut(0);
        assertEquals("127.0.0.1:" + node1.port(), alice.moves.poll(WAIT_S, TimeUnit.SECONDS),
            "Kicked{moved} names switch 1");
        final SendAck second = inFlight.get(WAIT_S, TimeUnit.SECONDS);
        assertEquals("m2", second.getClientMsgId());

        // Logged in again, on switch 1: a send goes there.
        final LoginOk relogin = alice.logins.poll(WAIT_S, TimeUnit.SECONDS);
        assertTrue(relogin != null, "alice logged in on switch 1");
        final SendAck third = aliceClient.send(BOB, "m3", TestDevices.text("after")).get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(XinClient.State.LOGGED_IN, aliceClient.state());
        assertEquals(List.of(), alice.failed, "nothing failed");
        assertEquals(1, alice.acks.stream().filter(ack -> ack.getClientMsgId().equals("m2")).count(),
            "one SendAck for the send in flight: " + alice.acks);

        // m2 is stored once in all: on switch 2 (acked before the Kicked) or on switch 1 (resent), never both.
        probing.set(true);
        final long head1 = headOn(node1, ALICE);
        final long head2 = headOn(node2, ALICE);
        assertEquals(3, head1 + head2, "m1 and m2 over both nodes, m3 on switch 1: " + head1 + " + " + head2);
        assertTrue(head2 == 1 || head2 == 2, "switch 2 holds m1, and m2 if it acked it: " + head2);
        assertEquals(head1, third.getSeq(), "m3 is switch 1's last");
        assertEquals(0, relogin.getHeadSeq(), "switch 1 held nothing of alice's at the login: a resend came after");
    }

    @Test
    void shouldTryTheNextSeedWhenOneIsDown() throws Exception
    {
        final TestSwitch node1 = node(0, dir1);
        // A port nobody listens on: bound, then closed.
        final int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
            java.net.InetAddress.getLoopbackAddress()))
        {
            deadPort = socket.getLocalPort();
        }
        final Recorder alice = new Recorder();
        final XinClient client = client(node1, ALICE, alice, List.of(
            new InetSocketAddress("127.0.0.1", deadPort), new InetSocketAddress("127.0.0.1", node1.port())));
        final LoginOk ok = client.connect().get(WAIT_S, TimeUnit.SECONDS);
        assertEquals(ALICE, ok.getUserId());
        assertTrue(alice.moves.isEmpty());
    }
}
