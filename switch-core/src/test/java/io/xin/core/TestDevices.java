package io.xin.core;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.xin.client.XinClient;
import io.xin.client.XinClientException;
import io.xin.protocol.pb.Content;
import io.xin.protocol.pb.ContentType;
import io.xin.protocol.pb.ErrorCode;
import io.xin.protocol.pb.FriendEvent;
import io.xin.protocol.pb.GoAway;
import io.xin.protocol.pb.LoginOk;
import io.xin.protocol.pb.Message;
import io.xin.protocol.pb.PresenceUpdate;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Real SDK clients of a {@link TestSwitch} for integration tests, on one shared event loop group,
 * each recording what its listener is told.
 */
public final class TestDevices implements AutoCloseable
{
    public static final int WAIT_MS = 15_000;

    private final List<XinClient> clients = new ArrayList<>();
    private final EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    /** The switch {@link #connect(long, String)} connects to; null when each call names it. */
    private final TestSwitch server;

    public TestDevices()
    {
        this(null);
    }

    public TestDevices(final TestSwitch server)
    {
        this.server = server;
    }

    public Device connect(final long userId, final String deviceId) throws Exception
    {
        return connect(server, userId, deviceId, true);
    }

    public Device connect(final TestSwitch server, final long userId, final String deviceId) throws Exception
    {
        return connect(server, userId, deviceId, true);
    }

    /** Connects and logs in, reconnecting quickly (50..500 ms) after a restart of the switch. */
    public Device connect(final TestSwitch server, final long userId, final String deviceId, final boolean autoAck)
        throws Exception
    {
        final Device device = new Device();
        device.client = XinClient.builder()
            .host("127.0.0.1")
            .port(server.port())
            .tokenSupplier(() -> server.token(userId))
            .deviceId(deviceId)
            .eventLoopGroup(clientGroup)
            .autoAck(autoAck)
            .reconnectInitialDelayMs(50)
            .reconnectMaxDelayMs(500)
            .listener(device)
            .build();
        clients.add(device.client);
        device.loginOk = device.client.connect().get(WAIT_MS, TimeUnit.MILLISECONDS);
        return device;
    }

    /** Closes every client connected so far; the event loops stay for the next ones. */
    public void closeClients()
    {
        clients.forEach(XinClient::close);
        clients.clear();
    }

    @Override
    public void close()
    {
        closeClients();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    public static <T> T await(final CompletableFuture<T> future) throws Exception
    {
        return future.get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    /** Asserts the future fails with the server's code, and returns the failure. */
    public static XinClientException assertRefused(final ErrorCode code, final CompletableFuture<?> future)
    {
        final ExecutionException failure = assertThrows(ExecutionException.class,
            () -> future.get(WAIT_MS, TimeUnit.MILLISECONDS));
        final XinClientException cause = assertInstanceOf(XinClientException.class, failure.getCause());
        assertEquals(code, cause.code(), cause.getMessage());
        return cause;
    }

    /**
     * Starts a thread that keeps up to 64 sends in flight until told to stop, counting acks; failures (the switch
     * going away) are expected.
     */
    public static Thread startSender(
        final XinClient client, final long to, final String prefix, final AtomicBoolean stop, final AtomicLong acked)
    {
        final Thread thread = new Thread(() -> sendUntil(client, to, prefix, stop, acked), "sender-" + prefix);
        thread.start();
        return thread;
    }

    private static void sendUntil(
        final XinClient client, final long to, final String prefix, final AtomicBoolean stop, final AtomicLong acked)
    {
        final Semaphore inFlight = new Semaphore(64);
        long n = 0;
        while (!stop.get())
        {
            try
            {
                if (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS))
                {
                    continue;
                }
                client.send(to, prefix + n++, text("x")).whenComplete((ack, error) ->
                {
                    inFlight.release();
                    if (error == null)
                    {
                        acked.incrementAndGet();
                    }
                });
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            catch (final RuntimeException ex)
            {
                inFlight.release();
            }
        }
    }

    public static Content text(final String text)
    {
        return Content.newBuilder()
            .setType(ContentType.TEXT)
            .setBody(ByteString.copyFrom(text, StandardCharsets.UTF_8))
            .build();
    }

    public static final class Device implements XinClient.Listener
    {
        public final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        public final BlockingQueue<Message> posts = new LinkedBlockingQueue<>();
        public final BlockingQueue<FriendEvent> friendEvents = new LinkedBlockingQueue<>();
        public final BlockingQueue<PresenceUpdate> presence = new LinkedBlockingQueue<>();
        public final CountDownLatch kicked = new CountDownLatch(1);
        public final CountDownLatch goAway = new CountDownLatch(1);
        public XinClient client;
        public LoginOk loginOk;

        @Override
        public void onMessage(final Message message)
        {
            messages.add(message);
        }

        @Override
        public void onChannelPost(final Message post)
        {
            posts.add(post);
        }

        @Override
        public void onFriendEvent(final FriendEvent event, final Message message)
        {
            friendEvents.add(event);
        }

        @Override
        public void onPresence(final PresenceUpdate update)
        {
            presence.add(update);
        }

        @Override
        public void onKicked(final String reason)
        {
            kicked.countDown();
        }

        @Override
        public void onGoAway(final GoAway goAway)
        {
            this.goAway.countDown();
        }

        public Message next() throws InterruptedException
        {
            final Message message = messages.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(message, "expected a message");
            return message;
        }

        public Message nextPost() throws InterruptedException
        {
            final Message post = posts.poll(WAIT_MS, TimeUnit.MILLISECONDS);
            assertNotNull(post, "expected a channel post");
            return post;
        }

        public void close()
        {
            client.close();
        }

        public void assertNothingMore() throws InterruptedException
        {
            assertNull(messages.poll(200, TimeUnit.MILLISECONDS), "no further message expected");
        }
    }
}
