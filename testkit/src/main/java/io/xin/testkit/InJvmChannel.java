package io.xin.testkit;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelId;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.PreferHeapByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalIoHandle;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.xin.core.net.Parking;
import io.xin.core.net.SessionChannelId;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.SocketAddress;
import java.nio.channels.AlreadyConnectedException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.NotYetConnectedException;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One end of an in-JVM connection: what a session costs the switch measured without sockets, through the same
 * pipeline and handlers ({@link io.xin.core.net.XinChannelInitializer}). Runs on event loops with Netty's
 * {@code LocalIoHandler}.
 * <p>
 * Netty's {@code LocalChannel} keeps, for its whole life, a linked SPSC queue for what its peer writes (about
 * 420 bytes with its stub node), both ends' addresses and a per-channel allocator wrapper. This channel keeps,
 * idle, only its state, its peer and its registration: what the peer flushes travels as one task on this
 * channel's event loop (its messages in an array), and only what arrives while no read is requested waits, in
 * a queue made then and dropped once drained. Addresses are made when asked for and not cached.
 * <p>
 * Semantics the pipeline relies on: messages arrive in the order the peer flushed them; a read operation
 * delivers at most the configured messages per read and then {@code channelReadComplete}; {@code autoRead} off
 * holds what arrives until {@code read()}; closing one end closes the other after whatever it flushed before
 * (unread messages are released, as a TCP reset would drop them); a write to a closed peer fails its promise.
 * Writability follows the write buffer water marks of the writing end, as for any Netty channel; as with
 * Netty's {@code LocalChannel}, a flush hands everything to the peer at once, so a peer that does not read does
 * not make the writer unwritable (there is no socket buffer to fill).
 * <pre>
 *   state:  OPEN --(accepted end registered)--> CONNECTED --(either end closes)--> CLOSED
 * </pre>
 */
public final class InJvmChannel extends AbstractChannel implements InJvmEnd, Parking.Parkable
{
    private static final ChannelMetadata METADATA = new ChannelMetadata(false);
    /** Heap buffers: nothing crosses a kernel boundary. One instance for every channel. */
    private static final ByteBufAllocator PREFER_HEAP = new PreferHeapByteBufAllocator(ByteBufAllocator.DEFAULT);
    /** Shared, so that a channel made without a receive allocator option does not get one of its own. */
    private static final RecvByteBufAllocator SHARED_RECEIVE_ALLOCATOR = new AdaptiveRecvByteBufAllocator();
    private static final int DEFAULT_MAX_MESSAGES_PER_READ = 16;

    private static final int OPEN = 0;
    private static final int CONNECTED = 1;
    private static final int CLOSED = 2;
    /** A switch end that parked: dropped, its {@link #peer} now its parked record, to which it passes on late deliveries. */
    private static final int PARKED = 3;
    private static final VarHandle STATE;

    static
    {
        try
        {
            STATE = MethodHandles.lookup().findVarHandle(InJvmChannel.class, "state", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Config config;
    /** The other end: set at construction for an accepted end, at connect for a connecting one. */
    private volatile InJvmEnd peer;
    /** OPEN, CONNECTED or CLOSED; the accepting end moves its peer from OPEN to CONNECTED. */
    @SuppressWarnings("unused")
    private volatile int state;
    /** Owned by this channel's event loop. */
    private IoRegistration registration;
    /** The connecting end's connect, until the accepted end is registered. Owned by this channel's event loop. */
    private ChannelPromise connectPromise;
    /** Messages arrived while no read was requested; null when none wait. Owned by this channel's event loop. */
    private ArrayDeque<Object> waiting;
    /** Owned by this channel's event loop. */
    private boolean readRequested;
    /** True while delivering, so that a read requested from a handler does not recurse. Owned by the event loop. */
    private boolean delivering;

    /** A connecting end: connect it to the address of a bound {@link InJvmServerChannel}. */
    public InJvmChannel()
    {
        super(null);
        config = new Config(this);
    }

    /** The accepted end of a connection from {@code peer}. */
    InJvmChannel(final InJvmServerChannel parent, final InJvmChannel peer)
    {
        super(parent);
        config = new Config(this);
        this.peer = peer;
    }

    /** A parked switch end woken: connected from the start, to the same client end. */
    private InJvmChannel(final InJvmServerChannel parent, final InJvmChannel peer, final ParkedEnd parked)
    {
        super(parent);
        config = new Config(this);
        config.setRecvByteBufAllocator(parked.recvAllocator);
        config.setWriteBufferWaterMark(parked.waterMark);
        this.peer = peer;
        STATE.setVolatile(this, CONNECTED);
    }

    @Override
    public EventLoop endLoop()
    {
        return eventLoop();
    }

    @Override
    public boolean endConnected()
    {
        return (int)STATE.getVolatile(this) == CONNECTED;
    }

    @Override
    public boolean endPastOpen()
    {
        return (int)STATE.getVolatile(this) != OPEN;
    }

    @Override
    public void endReceive(final Object[] messages, final int count)
    {
        receive(messages, count);
    }

    @Override
    public void endPeerClosed()
    {
        onPeerClosed();
    }

    @Override
    public SocketAddress endServerAddress()
    {
        return parent().localAddress();
    }

    /** Whether this switch end can park now: connected, registered, reading, nothing received or unsent. */
    @Override
    public boolean canPark()
    {
        final ChannelOutboundBuffer outbound = unsafe().outboundBuffer();
        return parent() != null && (int)STATE.getVolatile(this) == CONNECTED && isRegistered() &&
            config.isAutoRead() && waiting == null && !delivering && outbound != null && outbound.isEmpty() &&
            outbound.totalPendingWriteBytes() == 0 && peer instanceof InJvmChannel;
    }

    /**
     * Parks this switch end: off its loop's IO handler, its client end pointed at the returned record, which wakes
     * the session when the client writes or closes. On this channel's event loop; the caller drops the channel.
     */
    @Override
    public Parking.Parked park(final Parking.Owner owner)
    {
        assert eventLoop().inEventLoop();
        final InJvmChannel client = (InJvmChannel)peer;
        final ParkedEnd parked = new ParkedEnd(this, client, owner);
        registration = cancel(registration);
        // As a parked socket keeps its epoll registration: the loop closes the parked end when it shuts down.
        // On the loop the registration is made at once.
        final Future<IoRegistration> registered = ((IoEventLoop)eventLoop()).register(parked);
        if (!registered.isSuccess())
        {
            throw new IllegalStateException("could not register a parked end", registered.cause());
        }
        parked.registration = registered.getNow();
        STATE.setVolatile(this, PARKED);
        peer = parked;
        // The client's loop reads it at its next flush; one that read this end before is passed on (receive).
        client.peer = parked;
        return parked;
    }

    @Override
    protected ChannelId newId()
    {
        return SessionChannelId.next();
    }

    @Override
    public ChannelMetadata metadata()
    {
        return METADATA;
    }

    @Override
    public ChannelConfig config()
    {
        return config;
    }

    @Override
    public boolean isOpen()
    {
        return (int)STATE.getVolatile(this) != CLOSED;
    }

    @Override
    public boolean isActive()
    {
        return (int)STATE.getVolatile(this) == CONNECTED;
    }

    @Override
    protected boolean isCompatible(final EventLoop loop)
    {
        return loop instanceof IoEventLoop ioLoop && ioLoop.isCompatible(Unsafe.class);
    }

    /** The server's address for an accepted end; made on each call for a connecting one (logs only). */
    @Override
    public SocketAddress localAddress()
    {
        return localAddress0();
    }

    /** The connecting end's name for an accepted end, the server's address for a connecting one; not cached. */
    @Override
    public SocketAddress remoteAddress()
    {
        return remoteAddress0();
    }

    @Override
    protected SocketAddress localAddress0()
    {
        return parent() != null ? parent().localAddress() : new LocalAddress("client-" + id().asShortText());
    }

    @Override
    protected SocketAddress remoteAddress0()
    {
        final InJvmEnd peer = this.peer;
        if (peer == null)
        {
            return null;
        }
        return parent() != null ? new LocalAddress("client-" + (peer instanceof InJvmChannel client ?
            client.id().asShortText() : "parked")) : peer.endServerAddress();
    }

    @Override
    protected AbstractUnsafe newUnsafe()
    {
        return new Unsafe();
    }

    /**
     * Registers {@code handle} with {@code loop}'s IO handler (Netty's local one), hands the registration to
     * {@code registered} and completes {@code promise}. For both in-JVM channel classes.
     */
    static void register(
        final EventLoop loop, final IoHandle handle, final ChannelPromise promise, final Consumer<IoRegistration> registered)
    {
        ((IoEventLoop)loop).register(handle).addListener(f ->
        {
            if (f.isSuccess())
            {
                registered.accept((IoRegistration)f.getNow());
                promise.setSuccess();
            }
            else
            {
                promise.setFailure(f.cause());
            }
        });
    }

    /** Cancels {@code registration} if there is one. @return null, the channel's registration from now on. */
    static IoRegistration cancel(final IoRegistration registration)
    {
        if (registration != null)
        {
            registration.cancel();
        }
        return null;
    }

    @Override
    protected void doRegister(final ChannelPromise promise)
    {
        register(eventLoop(), (Unsafe)unsafe(), promise, registered -> registration = registered);
    }

    @Override
    protected void doDeregister()
    {
        registration = cancel(registration);
    }

    @Override
    protected void doBind(final SocketAddress localAddress)
    {
        throw new UnsupportedOperationException("an in-JVM connection is not bound; bind an InJvmServerChannel");
    }

    @Override
    protected void doDisconnect()
    {
        doClose();
    }

    @Override
    protected void doClose()
    {
        final int previous = (int)STATE.getAndSet(this, CLOSED);
        if (previous != CLOSED)
        {
            final ChannelPromise connect = connectPromise;
            if (connect != null)
            {
                connectPromise = null;
                connect.tryFailure(new ClosedChannelException());
            }
            final InJvmEnd peer = this.peer;
            // An accepted end's peer is registered (it connected); a connecting end's peer is registered once it
            // left OPEN. One still OPEN sees this end CLOSED when it registers, and closes itself.
            if (peer != null && (parent() != null || peer.endPastOpen()))
            {
                onLoop(peer, peer::endPeerClosed);
            }
        }
        releaseWaiting();
    }

    /** Runs {@code task} on this channel's event loop; nothing when the loop is gone (it closes its channels). */
    private void onLoop(final Runnable task)
    {
        onLoop(this, task);
    }

    private static void onLoop(final InJvmEnd end, final Runnable task)
    {
        try
        {
            end.endLoop().execute(task);
        }
        catch (final RejectedExecutionException | IllegalStateException ex)
        {
            // Shutting down (its channels are closed by the loop) or never registered (nothing to close).
        }
    }

    private void onPeerClosed()
    {
        if ((int)STATE.getVolatile(this) == PARKED)
        {
            peer.endPeerClosed();
            return;
        }
        if (isOpen())
        {
            unsafe().close(unsafe().voidPromise());
        }
    }

    /** The accepted end is registered: both ends are connected, and the connecting end becomes active. */
    private void onAcceptedEndRegistered()
    {
        final InJvmChannel peer = (InJvmChannel)this.peer;
        STATE.setVolatile(this, CONNECTED);
        if (!STATE.compareAndSet(peer, OPEN, CONNECTED))
        {
            // The connecting end closed first: let this end's pipeline see it become active, then close.
            eventLoop().execute(this::onPeerClosed);
            return;
        }
        // Always a task, even on the same loop: this end's initializer runs before anything the peer writes.
        peer.onLoop(peer::onConnected);
    }

    private void onConnected()
    {
        final ChannelPromise connect = connectPromise;
        connectPromise = null;
        if (connect != null && connect.trySuccess())
        {
            pipeline().fireChannelActive();
        }
    }

    @Override
    protected void doBeginRead()
    {
        readRequested = true;
        if (!delivering && waiting != null)
        {
            deliver();
        }
    }

    @Override
    protected void doWrite(final ChannelOutboundBuffer in) throws Exception
    {
        final int state = (int)STATE.getVolatile(this);
        if (state != CONNECTED)
        {
            throw state == OPEN ? new NotYetConnectedException() : new ClosedChannelException();
        }
        int flushed;
        while ((flushed = in.size()) > 0)
        {
            final InJvmEnd peer = this.peer;
            if (!peer.endConnected())
            {
                final ClosedChannelException closed = new ClosedChannelException();
                for (int i = 0; i < flushed; i++)
                {
                    in.remove(closed);
                }
                continue;
            }
            // Handed over before any promise completes: a listener that closes this channel then cannot
            // overtake the messages it was told were written.
            final Delivery delivery = new Delivery(peer, flushed);
            in.forEachFlushedMessage(delivery);
            try
            {
                peer.endLoop().execute(delivery);
            }
            catch (final RejectedExecutionException ex)
            {
                delivery.release();
                final ClosedChannelException closed = new ClosedChannelException();
                for (int i = 0; i < flushed; i++)
                {
                    in.remove(closed);
                }
                unsafe().close(unsafe().voidPromise());
                return;
            }
            for (int i = 0; i < flushed; i++)
            {
                in.remove();
            }
        }
    }

    /** On this channel's event loop: what the peer flushed arrives. */
    private void receive(final Object[] messages, final int count)
    {
        if ((int)STATE.getVolatile(this) == PARKED)
        {
            // Sent before the client saw this end park: the parked record (or what it woke into) takes it.
            peer.endReceive(messages, count);
            return;
        }
        if (!isOpen())
        {
            release(messages, count);
            return;
        }
        ArrayDeque<Object> waiting = this.waiting;
        if (waiting == null)
        {
            waiting = new ArrayDeque<>(Math.max(count, DEFAULT_MAX_MESSAGES_PER_READ));
            this.waiting = waiting;
        }
        for (int i = 0; i < count; i++)
        {
            waiting.add(messages[i]);
        }
        if (readRequested && !delivering)
        {
            deliver();
        }
    }

    /**
     * Read operations while one is requested and messages wait: each fires at most the configured messages per
     * read, then {@code channelReadComplete} (where {@code autoRead} requests the next).
     */
    private void deliver()
    {
        final ChannelPipeline pipeline = pipeline();
        delivering = true;
        try
        {
            while (readRequested && waiting != null)
            {
                readRequested = false;
                final int maxMessages = config.getRecvByteBufAllocator() instanceof MaxMessagesRecvByteBufAllocator max ?
                    max.maxMessagesPerRead() : DEFAULT_MAX_MESSAGES_PER_READ;
                for (int i = 0; i < maxMessages; i++)
                {
                    final ArrayDeque<Object> waiting = this.waiting;
                    final Object message = waiting == null ? null : waiting.poll();
                    if (message == null)
                    {
                        break;
                    }
                    if (waiting.isEmpty())
                    {
                        this.waiting = null;
                    }
                    pipeline.fireChannelRead(message);
                }
                pipeline.fireChannelReadComplete();
            }
        }
        finally
        {
            delivering = false;
        }
    }

    private void releaseWaiting()
    {
        final ArrayDeque<Object> waiting = this.waiting;
        this.waiting = null;
        readRequested = false;
        if (waiting != null)
        {
            Object message;
            while ((message = waiting.poll()) != null)
            {
                ReferenceCountUtil.release(message);
            }
        }
    }

    private static void release(final Object[] messages, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            ReferenceCountUtil.release(messages[i]);
            messages[i] = null;
        }
    }

    /** One flush of one end, on its way to the other end's event loop. */
    private static final class Delivery implements Runnable, ChannelOutboundBuffer.MessageProcessor
    {
        private final InJvmEnd to;
        private final Object[] messages;
        private int count;

        Delivery(final InJvmEnd to, final int capacity)
        {
            this.to = to;
            this.messages = new Object[capacity];
        }

        /** Collects a flushed message, retained: the outbound buffer releases its reference when it is removed. */
        @Override
        public boolean processMessage(final Object msg)
        {
            messages[count++] = ReferenceCountUtil.retain(msg);
            return count < messages.length;
        }

        @Override
        public void run()
        {
            to.endReceive(messages, count);
        }

        void release()
        {
            InJvmChannel.release(messages, count);
        }
    }

    /** Registered with Netty's local IO handler, which closes the channel when its event loop shuts down. */
    private final class Unsafe extends AbstractUnsafe implements LocalIoHandle
    {
        @Override
        public void handle(final IoRegistration registration, final IoEvent event)
        {
        }

        @Override
        public void registered()
        {
            // A woken switch end is connected already.
            if (parent() != null && (int)STATE.getVolatile(InJvmChannel.this) == OPEN)
            {
                onAcceptedEndRegistered();
            }
        }

        @Override
        public void close()
        {
            close(voidPromise());
        }

        @Override
        public void closeNow()
        {
            close(voidPromise());
        }

        @Override
        public void connect(final SocketAddress remoteAddress, final SocketAddress localAddress,
            final ChannelPromise promise)
        {
            if (!promise.setUncancellable() || !ensureOpen(promise))
            {
                return;
            }
            if (isActive())
            {
                safeSetFailure(promise, new AlreadyConnectedException());
                return;
            }
            if (connectPromise != null || peer != null)
            {
                safeSetFailure(promise, new ConnectionPendingException());
                return;
            }
            final InJvmServerChannel server = InJvmServerChannel.boundAt(remoteAddress);
            if (server == null)
            {
                safeSetFailure(promise, new ConnectException("connection refused: " + remoteAddress));
                close(voidPromise());
                return;
            }
            connectPromise = promise;
            try
            {
                peer = server.accept(InJvmChannel.this);
            }
            catch (final RejectedExecutionException ex)
            {
                connectPromise = null;
                safeSetFailure(promise, new ConnectException("connection refused: " + remoteAddress + " is closing"));
                close(voidPromise());
            }
        }
    }

    /** The default channel options, with heap buffers and a shared receive allocator. */
    private static final class Config extends DefaultChannelConfig
    {
        Config(final InJvmChannel channel)
        {
            super(channel, SHARED_RECEIVE_ALLOCATOR);
            setAllocator(PREFER_HEAP);
        }
    }

    /** For the server channel: the connecting end's peer is refused (the server closed before accepting it). */
    void refuse()
    {
        final InJvmChannel connecting = (InJvmChannel)peer;
        connecting.onLoop(connecting::onPeerClosed);
    }

    /**
     * A parked switch end: its client end, its server and settings, and the session to wake. Its client end's peer
     * while parked. Owned by the switch end's event loop (the client end only reads it, and hands it work there).
     */
    private static final class ParkedEnd implements InJvmEnd, Parking.Parked, LocalIoHandle
    {
        /** With the loop's local IO handler while parked, which closes it when the loop shuts down. */
        private IoRegistration registration;
        private final InJvmChannel client;
        private final InJvmServerChannel server;
        private final EventLoop loop;
        private final RecvByteBufAllocator recvAllocator;
        private final io.netty.channel.WriteBufferWaterMark waterMark;
        private final Parking.Owner owner;
        /** The channel this record woke into; late deliveries go there. Written on the loop, read by the client's too. */
        private volatile InJvmChannel woken;

        ParkedEnd(final InJvmChannel parked, final InJvmChannel client, final Parking.Owner owner)
        {
            this.client = client;
            this.server = (InJvmServerChannel)parked.parent();
            this.loop = parked.eventLoop();
            this.recvAllocator = parked.config.getRecvByteBufAllocator();
            this.waterMark = parked.config.getWriteBufferWaterMark();
            this.owner = owner;
        }

        @Override
        public Channel wake()
        {
            registration = cancel(registration);
            final InJvmChannel channel = new InJvmChannel(server, client, this);
            woken = channel;
            client.peer = channel;
            return channel;
        }

        @Override
        public EventLoop eventLoop()
        {
            return loop;
        }

        @Override
        public EventLoop endLoop()
        {
            return loop;
        }

        @Override
        public boolean endConnected()
        {
            final InJvmChannel current = woken;
            return current == null || current.endConnected();
        }

        @Override
        public boolean endPastOpen()
        {
            return true;
        }

        @Override
        public void endReceive(final Object[] messages, final int count)
        {
            if (woken == null)
            {
                owner.onParkedEvent();
            }
            final InJvmChannel current = woken;
            if (current == null)
            {
                release(messages, count);
                return;
            }
            current.receive(messages, count);
        }

        @Override
        public void endPeerClosed()
        {
            if (woken == null)
            {
                owner.onParkedEvent();
            }
            final InJvmChannel current = woken;
            if (current != null)
            {
                current.onPeerClosed();
            }
        }

        @Override
        public SocketAddress endServerAddress()
        {
            return server.localAddress();
        }

        @Override
        public void handle(final IoRegistration registration, final IoEvent event)
        {
        }

        /** The loop shuts down while this end is parked: the connection closes, its client end is told. */
        @Override
        public void closeNow()
        {
            close();
        }

        @Override
        public void close()
        {
            if (woken != null || registration == null)
            {
                return;
            }
            // Not cancelled here: the loop is walking its registrations and drops them all after this call.
            registration = null;
            onLoop(client, client::onPeerClosed);
            owner.onParkedClosed();
        }
    }
}
