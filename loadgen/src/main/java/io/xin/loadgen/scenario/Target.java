package io.xin.loadgen.scenario;

import io.netty.handler.ssl.SslContext;
import io.xin.core.auth.TokenIssuer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where the sessions connect and as whom: the switch's (or relay's) address, TLS, the token secret,
 * the user ids and the local source addresses connections are spread over.
 */
public final class Target
{
    private static final Duration TOKEN_TTL = Duration.ofDays(1);

    private final String host;
    private final int port;
    private final SslContext sslContext;
    private final TokenIssuer tokens;
    private final long firstUserId;
    private final List<InetAddress> sourceAddresses;
    /** Cluster seeds; empty for the one host and port. Set once, before the fleet is built. */
    private List<InetSocketAddress> seeds = List.of();

    /**
     * @param host            switch host, an address to avoid DNS on the event loops.
     * @param port            switch port.
     * @param sslContext      client TLS context, null for plain TCP.
     * @param jwtSecret       the switch's HS256 secret, used to issue a token per user.
     * @param firstUserId     user id of user index 0; user {@code i} is {@code firstUserId + i}.
     * @param sourceAddresses local addresses to bind, round-robin by user index; empty for the kernel's choice.
     */
    public Target(
        final String host,
        final int port,
        final SslContext sslContext,
        final String jwtSecret,
        final long firstUserId,
        final List<InetAddress> sourceAddresses)
    {
        this.host = Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65_535)
        {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        if (firstUserId < 1)
        {
            throw new IllegalArgumentException("first user id must be positive: " + firstUserId);
        }
        this.port = port;
        this.sslContext = sslContext;
        this.tokens = new TokenIssuer(Objects.requireNonNull(jwtSecret, "jwtSecret"));
        this.firstUserId = firstUserId;
        this.sourceAddresses = List.copyOf(sourceAddresses);
    }

    /**
     * @param seeds every node of a cluster: sessions connect to these instead of {@link #host()} and
     *              {@link #port()} and follow MOVED redirects; empty for the one address.
     * @return this.
     */
    public Target seeds(final List<InetSocketAddress> seeds)
    {
        this.seeds = List.copyOf(seeds);
        return this;
    }

    /**
     * @return the cluster seeds, empty when the target is one address.
     */
    public List<InetSocketAddress> seeds()
    {
        return seeds;
    }

    public String host()
    {
        return host;
    }

    public int port()
    {
        return port;
    }

    public SslContext sslContext()
    {
        return sslContext;
    }

    /**
     * @param userIndex user index, from 0.
     * @return the user id.
     */
    public long userId(final int userIndex)
    {
        return firstUserId + userIndex;
    }

    /**
     * @param userId a user id.
     * @return a fresh token for it, valid for a day.
     */
    public String token(final long userId)
    {
        return tokens.issue(userId, TOKEN_TTL);
    }

    /**
     * @param userIndex user index, from 0.
     * @return the source address for this user's connection, null for the kernel's choice.
     */
    public InetAddress sourceAddress(final int userIndex)
    {
        return sourceAddresses.isEmpty() ? null : sourceAddresses.get(userIndex % sourceAddresses.size());
    }

    public List<InetAddress> sourceAddresses()
    {
        return sourceAddresses;
    }
}
