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
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.xin.core.XinSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The admin HTTP server of a switch, on a port of its own and one NIO event loop of its own
 * ({@code xin-admin}), so a scrape never competes with client sessions for an event loop. Start it
 * after the switch and close it after the switch has drained: {@code /readyz} answers 503 throughout
 * the drain.
 * <p>
 * Two listeners share the loop, each optional: the admin port (every endpoint; a change needs what
 * {@link AdminAccess} asks) and the health listener ({@code GET /healthz} and {@code GET /readyz} only, nothing
 * that changes state or tells more), for a load balancer's checks from beyond the management network.
 * <pre>
 *   httpCodec → httpAggregator (requests up to 8 KiB) → admin (AdminHandler, shared per listener)
 * </pre>
 */
public final class AdminServer implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final int MAX_REQUEST_BYTES = 8 * 1024;

    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final Channel healthChannel;
    private final SwitchMetrics metrics;
    private final Backups backups;
    private final XinSwitch xin;
    private final LongAdder refusedChanges = new LongAdder();

    private AdminServer(
        final XinSwitch xin, final String host, final int port, final String token,
        final String healthHost, final int healthPort)
    {
        this.xin = xin;
        metrics = new SwitchMetrics(xin);
        backups = new Backups(xin.store());
        CounterWithCallback.builder().name("xin_admin_changes_refused")
            .help("Admin requests that change state refused: no or a wrong bearer token, or no token file off loopback.")
            .callback(cb -> cb.call(refusedChanges.sum())).register(metrics.registry());
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("xin-admin"), NioIoHandler.newFactory());
        Channel admin = null;
        Channel health = null;
        AdminAccess access = null;
        try
        {
            if (port >= 0)
            {
                final InetSocketAddress address = new InetSocketAddress(host, port);
                // Decided by the address bound: without a token, only this host's processes may change anything.
                access = AdminAccess.of(token, address.getAddress() != null && address.getAddress().isLoopbackAddress());
                admin = bind(address, new AdminHandler(xin, metrics, backups, access, false, refusedChanges), "admin");
            }
            if (healthPort >= 0)
            {
                health = bind(new InetSocketAddress(healthHost, healthPort),
                    new AdminHandler(xin, metrics, backups, null, true, refusedChanges), "health");
            }
        }
        catch (final RuntimeException ex)
        {
            if (admin != null)
            {
                admin.close().awaitUninterruptibly(1_000);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            backups.close();
            throw ex;
        }
        serverChannel = admin;
        healthChannel = health;
        xin.counters().journalBatchObserver(metrics);
        if (admin != null)
        {
            LOG.info("Admin HTTP on {}: /healthz /readyz /metrics /loglevel /backup; changes {}", admin.localAddress(),
                access.hasToken() ? "need the admin token" :
                access.refusesAllChanges() ? "refused (not on loopback and no admin-token-file)" : "from this host");
        }
        if (health != null)
        {
            LOG.info("Health HTTP on {}: /healthz /readyz", health.localAddress());
        }
    }

    private Channel bind(final InetSocketAddress address, final AdminHandler handler, final String what)
    {
        try
        {
            return new ServerBootstrap()
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
                .bind(address).syncUninterruptibly().channel();
        }
        catch (final Exception ex)
        {
            // Netty's syncUninterruptibly() rethrows a bind failure (a checked BindException) as it is.
            throw new IllegalStateException("cannot listen on " + what + " " + address.getHostString() + ":" +
                address.getPort() + ": " + ex, ex);
        }
    }

    /**
     * Starts the admin server of a running switch, without a token or a health listener: changes are taken
     * only when {@code host} is a loopback address.
     *
     * @param xin  the switch.
     * @param host address to listen on; loopback unless a scraper elsewhere needs it.
     * @param port TCP port; 0 picks a free one.
     * @return the running server.
     * @throws IllegalStateException when it cannot listen.
     */
    public static AdminServer launch(final XinSwitch xin, final String host, final int port)
    {
        return new AdminServer(xin, host, port, null, null, -1);
    }

    /**
     * Starts the admin server of a running switch.
     *
     * @param xin        the switch.
     * @param host       address of the admin port.
     * @param port       admin TCP port; 0 picks a free one, -1 for none.
     * @param token      bearer token every change on the admin port needs ({@link #readToken(Path)}); null for
     *                   none, and then changes are taken only when {@code host} is a loopback address.
     * @param healthHost address of the health listener.
     * @param healthPort health TCP port; 0 picks a free one, -1 for none.
     * @return the running server.
     * @throws IllegalStateException when it cannot listen.
     */
    public static AdminServer launch(
        final XinSwitch xin, final String host, final int port, final String token,
        final String healthHost, final int healthPort)
    {
        return new AdminServer(xin, host, port, token, healthHost, healthPort);
    }

    /**
     * Reads the admin bearer token from a file: its first line, without surrounding white space.
     *
     * @throws IOException              when the file cannot be read.
     * @throws IllegalArgumentException when the token is too short or not printable ASCII without spaces.
     */
    public static String readToken(final Path file) throws IOException
    {
        return AdminAccess.readToken(file);
    }

    /** @return the admin port, or -1 when there is none. */
    public int port()
    {
        return serverChannel == null ? -1 : ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    /** @return the health listener's port, or -1 when there is none. */
    public int healthPort()
    {
        return healthChannel == null ? -1 : ((InetSocketAddress)healthChannel.localAddress()).getPort();
    }

    public SwitchMetrics metrics()
    {
        return metrics;
    }

    @Override
    public void close()
    {
        xin.counters().journalBatchObserver(null);
        if (serverChannel != null)
        {
            serverChannel.close().awaitUninterruptibly(1_000);
        }
        if (healthChannel != null)
        {
            healthChannel.close().awaitUninterruptibly(1_000);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
        backups.close();
    }
}
