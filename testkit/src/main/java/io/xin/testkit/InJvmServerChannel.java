package io.xin.testkit;

import io.netty.channel.AbstractServerChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalIoHandle;
import io.netty.channel.local.LocalIoHandler;
import io.xin.core.net.LocalTransport;

import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The in-JVM listener: bound to a {@link LocalAddress} name, it accepts each {@link InJvmChannel} that connects
 * to that name as an {@link InJvmChannel} of its own, so that the same {@code ServerBootstrap} and
 * {@link io.xin.core.net.XinChannelInitializer} serve in-JVM sessions as serve sockets. Runs on event loops with
 * Netty's {@code LocalIoHandler}. The names bound are process-wide; a name is free again once its channel closes.
 */
public final class InJvmServerChannel extends AbstractServerChannel
{
    private static final ConcurrentMap<LocalAddress, InJvmServerChannel> BOUND = new ConcurrentHashMap<>();

    private static final int OPEN = 0;
    private static final int ACTIVE = 1;
    private static final int CLOSED = 2;

    private final ChannelConfig config = new Config(this);
    /** Accepted ends not yet passed down the pipeline. Owned by the event loop. */
    private final ArrayDeque<InJvmChannel> accepted = new ArrayDeque<>();
    private volatile int state;
    private volatile LocalAddress address;
    /** Owned by the event loop. */
    private IoRegistration registration;
    /** Owned by the event loop. */
    private boolean acceptRequested;

    /**
     * @param name the process-wide name to bind.
     * @return the in-JVM transport bound to {@code name}, for {@code XinSwitch.Context.localTransport}: sessions
     * connect with an {@link InJvmChannel} to {@code new LocalAddress(name)}.
     */
    public static LocalTransport transport(final String name)
    {
        return new LocalTransport(LocalIoHandler.newFactory(), InJvmServerChannel.class, new LocalAddress(name));
    }

    @Override
    public ChannelConfig config()
    {
        return config;
    }

    @Override
    public boolean isOpen()
    {
        return state != CLOSED;
    }

    @Override
    public boolean isActive()
    {
        return state == ACTIVE;
    }

    @Override
    public LocalAddress localAddress()
    {
        return address;
    }

    @Override
    protected SocketAddress localAddress0()
    {
        return address;
    }

    @Override
    protected boolean isCompatible(final EventLoop loop)
    {
        return loop instanceof IoEventLoop ioLoop && ioLoop.isCompatible(Unsafe.class);
    }

    /** The listener bound to {@code address}, or null. */
    static InJvmServerChannel boundAt(final SocketAddress address)
    {
        return address instanceof LocalAddress local ? BOUND.get(local) : null;
    }

    @Override
    protected void doRegister(final ChannelPromise promise)
    {
        InJvmChannel.register(eventLoop(), (Unsafe)unsafe(), promise, registered -> registration = registered);
    }

    @Override
    protected void doDeregister()
    {
        registration = InJvmChannel.cancel(registration);
    }

    @Override
    protected void doBind(final SocketAddress localAddress)
    {
        if (!(localAddress instanceof LocalAddress local) || LocalAddress.ANY.equals(local))
        {
            throw new ChannelException("an in-JVM listener binds a named LocalAddress: " + localAddress);
        }
        if (BOUND.putIfAbsent(local, this) != null)
        {
            throw new ChannelException("address already in use: " + local);
        }
        address = local;
        state = ACTIVE;
    }

    @Override
    protected void doClose()
    {
        if (state != CLOSED)
        {
            final LocalAddress address = this.address;
            if (address != null)
            {
                BOUND.remove(address, this);
            }
            state = CLOSED;
        }
        InJvmChannel child;
        while ((child = accepted.poll()) != null)
        {
            child.refuse();
        }
    }

    @Override
    protected void doBeginRead()
    {
        acceptRequested = true;
        if (!accepted.isEmpty())
        {
            passAccepted();
        }
    }

    /**
     * From the connecting end's event loop: the accepted end, passed down this channel's pipeline (where the
     * bootstrap registers it on a child event loop) on this channel's loop.
     */
    InJvmChannel accept(final InJvmChannel connecting)
    {
        final InJvmChannel child = new InJvmChannel(this, connecting);
        eventLoop().execute(() -> onAccepted(child));
        return child;
    }

    private void onAccepted(final InJvmChannel child)
    {
        if (!isActive())
        {
            child.refuse();
            return;
        }
        accepted.add(child);
        if (acceptRequested)
        {
            passAccepted();
        }
    }

    private void passAccepted()
    {
        acceptRequested = false;
        final ChannelPipeline pipeline = pipeline();
        InJvmChannel child;
        while ((child = accepted.poll()) != null)
        {
            pipeline.fireChannelRead(child);
        }
        pipeline.fireChannelReadComplete();
    }

    @Override
    protected AbstractUnsafe newUnsafe()
    {
        return new Unsafe();
    }

    /** The default options, with the receive allocator of a listener (a read accepts up to 16 connections). */
    private static final class Config extends DefaultChannelConfig
    {
        Config(final InJvmServerChannel channel)
        {
            super(channel, new ServerChannelRecvByteBufAllocator());
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
            safeSetFailure(promise, new UnsupportedOperationException("a listener does not connect"));
        }
    }
}
