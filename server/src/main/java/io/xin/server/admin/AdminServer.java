package io.xin.server.admin;

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
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.xin.core.XinSwitch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The admin HTTP server of a switch, on a port of its own and one NIO event loop of its own
 * ({@code xin-admin}), so a scrape never competes with client sessions for an event loop. Bind it
 * before the switch starts (a taken port then stops the start before clients can connect), serve it
 * once the switch runs, and close it after the switch has drained: {@code /readyz} answers 503
 * throughout the drain. {@link #serve} and {@link #close()} are for the thread that bound it.
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
    /** Who may change the process on the admin port; null without one. */
    private final AdminAccess access;
    private final LongAdder refusedChanges = new LongAdder();
    /** Set once by {@link #serve}, before the listening channels start accepting. */
    private volatile AdminHandler adminHandler;
    /** Set once by {@link #serve}, before the listening channels start accepting. */
    private volatile AdminHandler healthHandler;
    private SwitchMetrics metrics;
    private Backups backups;
    private XinSwitch xin;

    private AdminServer(
        final String host, final int port, final String token, final String healthHost, final int healthPort)
    {
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("xin-admin"), NioIoHandler.newFactory());
        Channel admin = null;
        Channel health = null;
        AdminAccess adminAccess = null;
        try
        {
            if (port >= 0)
            {
                final InetSocketAddress address = new InetSocketAddress(host, port);
                // Decided by the address bound: without a token, only this host's processes may change anything.
                adminAccess = AdminAccess.of(
                    token, address.getAddress() != null && address.getAddress().isLoopbackAddress());
                admin = bind(address, () -> adminHandler, "admin");
            }
            if (healthPort >= 0)
            {
                health = bind(new InetSocketAddress(healthHost, healthPort), () -> healthHandler, "health");
            }
        }
        catch (final RuntimeException ex)
        {
            if (admin != null)
            {
                admin.close().awaitUninterruptibly(1_000);
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw ex;
        }
        serverChannel = admin;
        healthChannel = health;
        access = adminAccess;
    }

    private Channel bind(final InetSocketAddress address, final Supplier<AdminHandler> handler, final String what)
    {
        try
        {
            // Bound but not accepting (no auto-read on the listening channel) until serve(): connections made
            // meanwhile wait in the backlog and are answered once the switch is up.
            return new ServerBootstrap()
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
                            .addLast("admin", handler.get());
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
     * Takes the admin port and the health listener without answering on them yet, so that a taken port stops a
     * start before the switch opens its store or client ports; {@link #serve} answers on them.
     *
     * @param host       address of the admin port.
     * @param port       admin TCP port; 0 picks a free one, -1 for none.
     * @param token      bearer token every change on the admin port needs ({@link #readToken(Path)}); null for
     *                   none, and then changes are taken only when {@code host} is a loopback address.
     * @param healthHost address of the health listener.
     * @param healthPort health TCP port; 0 picks a free one, -1 for none.
     * @return the bound server, not accepting yet.
     * @throws IllegalStateException when it cannot listen.
     */
    public static AdminServer bind(
        final String host, final int port, final String token, final String healthHost, final int healthPort)
    {
        return new AdminServer(host, port, token, healthHost, healthPort);
    }

    /**
     * Answers the admin endpoints of a running switch on the bound ports. Once only.
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
        CounterWithCallback.builder().name("xin_admin_changes_refused")
            .help("Admin requests that change state refused: no or a wrong bearer token, or no token file off loopback.")
            .callback(cb -> cb.call(refusedChanges.sum())).register(metrics.registry());
        backups = new Backups(xin.store());
        adminHandler = new AdminHandler(xin, metrics, backups, access, false, refusedChanges);
        healthHandler = new AdminHandler(xin, metrics, backups, null, true, refusedChanges);
        xin.counters().journalBatchObserver(metrics);
        if (serverChannel != null)
        {
            serverChannel.config().setAutoRead(true);
            LOG.info("Admin HTTP on {}: /healthz /readyz /metrics /loglevel /backup; changes {}",
                serverChannel.localAddress(), access.hasToken() ? "need the admin token" :
                access.refusesAllChanges() ? "refused (not on loopback and no admin-token-file)" : "from this host");
        }
        if (healthChannel != null)
        {
            healthChannel.config().setAutoRead(true);
            LOG.info("Health HTTP on {}: /healthz /readyz", healthChannel.localAddress());
        }
        return this;
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
        return launch(xin, host, port, null, null, -1);
    }

    /**
     * Starts the admin server of a running switch: {@link #bind} then {@link #serve}.
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
        final AdminServer admin = bind(host, port, token, healthHost, healthPort);
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
        if (xin != null)
        {
            xin.counters().journalBatchObserver(null);
        }
        if (serverChannel != null)
        {
            serverChannel.close().awaitUninterruptibly(1_000);
        }
        if (healthChannel != null)
        {
            healthChannel.close().awaitUninterruptibly(1_000);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
        if (backups != null)
        {
            backups.close();
        }
    }
}
