package io.xin.core.admin;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
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
 * ({@code xin-admin}), so a scrape never competes with client sessions for an event loop. Start it
 * after the switch and close it after the switch has drained: {@code /readyz} answers 503 throughout
 * the drain.
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
    private final SwitchMetrics metrics;
    private final Backups backups;
    private final XinSwitch xin;

    private AdminServer(final XinSwitch xin, final String host, final int port)
    {
        this.xin = xin;
        metrics = new SwitchMetrics(xin);
        backups = new Backups(xin.store());
        final AdminHandler handler = new AdminHandler(xin, metrics, backups);
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("xin-admin"), NioIoHandler.newFactory());
        try
        {
            serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
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
            backups.close();
            throw new IllegalStateException("cannot listen on admin " + host + ":" + port + ": " + ex, ex);
        }
        xin.counters().journalBatchObserver(metrics);
        LOG.info("Admin HTTP on {}: /healthz /readyz /metrics /loglevel /backup", serverChannel.localAddress());
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
        return new AdminServer(xin, host, port);
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
        xin.counters().journalBatchObserver(null);
        serverChannel.close().awaitUninterruptibly(1_000);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
        backups.close();
    }
}
