package io.xin.core.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.core.XinSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP server of a switch, on a port of its own and one NIO event loop of its own
 * ({@code xin-admin}), so a scrape never competes with client sessions for an event loop. Bind it
 * before the switch starts (a taken port then stops the start before clients can connect), serve it
 * once the switch runs, and close it after the switch has drained: {@code /readyz} answers 503
 * throughout the drain. {@link #serve} and {@link #close()} are for the thread that bound it.
 * <pre>
 *   httpCodec → httpAggregator (requests up to 8 KiB) → admin (AdminHandler, shared)
 * </pre>
 */
public final class AdminServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_REQUEST_BYTES = 8 * 1024;

    private final EventLoopGroup group;
    private final Channel serverChannel;
    /** Set once by {@link #serve}, before the listening channel starts accepting. */
    private volatile AdminHandler handler;
    private SwitchMetrics metrics;
    private XinSwitch xin;

    private AdminServer(final String host, final int port)
    {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("xin-admin"), NioIoHandler.newFactory());
        try
        {
            // Bound but not accepting (no auto-read on the listening channel) until serve(): connections made
            // meanwhile wait in the backlog and are answered once the switch is up.
            serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<>()
                {
                    @Override
                    protected void initChannel(final Channel channel)
                    {
                        channel.pipeline()
                            .addLast("httpCodec", new HttpServerCodec())
                            .addLast("httpAggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                            .addLast("admin", handler);
                    }
                })
                .bind(new InetSocketAddress(host, port)).syncUninterruptibly().channel();
        }
        catch (final Exception ex)
        {
            // Netty's syncUninterruptibly() rethrows a bind failure (a checked BindException) as it is.
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot listen on admin " + host + ":" + port + ": " + ex, ex);
        }
    }

    /**
     * Takes the admin port without answering on it yet, so that a taken port stops a start before the
     * switch opens its store or client ports; {@link #serve} answers on it.
     *
     * @param host address to listen on; loopback unless a scraper elsewhere needs it.
     * @param port TCP port; 0 picks a free one.
     * @return the bound server, not accepting yet.
     * @throws IllegalStateException when it cannot listen.
     */
    public static AdminServer bind(final String host, final int port)
    {
        return new AdminServer(host, port);
    }

    /**
     * Answers the admin endpoints of a running switch on the bound port. Once only.
     *
     * @param xin the switch.
     * @return this.
     */
    public AdminServer serve(final XinSwitch xin)
    {
        if (this.xin != null)
        {
            throw new IllegalStateException("already serving");
        }
        this.xin = xin;
        metrics = new SwitchMetrics(xin);
        handler = new AdminHandler(xin, metrics);
        xin.counters().journalBatchObserver(metrics);
        serverChannel.config().setAutoRead(true);
        LOG.info("Admin HTTP on {}: /healthz /readyz /metrics /loglevel", serverChannel.localAddress());
        return this;
    }

    /**
     * Starts the admin server of a running switch.
     *
     * @param xin  the switch.
     * @param host address to listen on; loopback unless a scraper elsewhere needs it.
     * @param port TCP port; 0 picks a free one.
     * @return the running server.
     * @throws IllegalStateException when it cannot listen.
     */
    public static AdminServer launch(final XinSwitch xin, final String host, final int port)
    {
        final AdminServer admin = bind(host, port);
        try
        {
            return admin.serve(xin);
        }
        catch (final RuntimeException ex)
        {
            admin.close();
            throw ex;
        }
    }

    public int port()
    {
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    public SwitchMetrics metrics()
    {
        return metrics;
    }

    @Override
    public void close()
    {
        if (xin != null)
        {
            xin.counters().journalBatchObserver(null);
        }
        serverChannel.close().awaitUninterruptibly(1_000);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
    }
}
