package io.xin.core.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's TLS context, built from a PEM certificate chain and a PEM PKCS#8 private key, and
 * swapped for a new one when those files change. New connections take the current context; a
 * connection keeps the context it started with, so a reload never disturbs an open session.
 * <p>
 * BoringSSL (netty-tcnative) is used where its native library loads, the JDK's provider otherwise.
 * {@link #newHandler} is called by event loops and reads one volatile field; {@link #reloadIfChanged()}
 * is called by the certificate reloader thread only.
 */
public final class ServerTls
{
    public static final String PROVIDER_AUTO = "auto";
    public static final String PROVIDER_OPENSSL = "openssl";
    public static final String PROVIDER_JDK = "jdk";

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

    private final Path certFile;
    private final Path keyFile;
    private final SslProvider provider;
    private final long handshakeTimeoutMs;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder reloadFailures = new LongAdder();
    private volatile SslContext current;
    /** Owned by the reloader thread: what the files looked like when {@link #current} was built. */
    private String loadedStamp;
    /** Owned by the reloader thread: a changed stamp seen once, taken when the next check sees it again. */
    private String changedStamp;

    private ServerTls(final Path certFile, final Path keyFile, final SslProvider provider, final long handshakeTimeoutMs)
    {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.provider = provider;
        this.handshakeTimeoutMs = handshakeTimeoutMs;
    }

    /**
     * Loads the certificate and key now.
     *
     * @param certFile           PEM certificate chain, leaf first.
     * @param keyFile            PEM private key, PKCS#8 ("BEGIN PRIVATE KEY"), not encrypted.
     * @param providerName       {@code auto}, {@code openssl} or {@code jdk}.
     * @param handshakeTimeoutMs a connection that has not finished its handshake by then is closed.
     * @throws IllegalArgumentException naming the setting when a file cannot be read or parsed, or
     *                                  {@code openssl} was asked for and is not available.
     */
    public static ServerTls load(
        final Path certFile, final Path keyFile, final String providerName, final long handshakeTimeoutMs)
    {
        final ServerTls tls = new ServerTls(certFile, keyFile, provider(providerName), handshakeTimeoutMs);
        tls.loadedStamp = tls.stamp();
        try
        {
            tls.current = tls.build();
        }
        catch (final Exception ex)
        {
            throw new IllegalArgumentException("tlsCertFile/tlsKeyFile: cannot load a TLS certificate and key from " +
                certFile + " and " + keyFile + ": " + ex.getMessage(), ex);
        }
        return tls;
    }

    /**
     * @return true when {@code name} is a known TLS provider name.
     */
    public static boolean isKnownProvider(final String name)
    {
        return name != null && switch (name.toLowerCase(Locale.ROOT))
        {
            case PROVIDER_AUTO, PROVIDER_OPENSSL, PROVIDER_JDK -> true;
            default -> false;
        };
    }

    private static SslProvider provider(final String name)
    {
        switch (name.toLowerCase(Locale.ROOT))
        {
            case PROVIDER_OPENSSL:
                if (!OpenSsl.isAvailable())
                {
                    throw new IllegalArgumentException("tlsProvider openssl is not available here: " +
                        OpenSsl.unavailabilityCause());
                }
                return SslProvider.OPENSSL;
            case PROVIDER_JDK:
                return SslProvider.JDK;
            case PROVIDER_AUTO:
                return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            default:
                throw new IllegalArgumentException("tlsProvider must be auto, openssl or jdk: " + name);
        }
    }

    private SslContext build() throws IOException
    {
        return SslContextBuilder.forServer(certFile.toFile(), keyFile.toFile())
            .sslProvider(provider)
            .protocols("TLSv1.3", "TLSv1.2")
            .build();
    }

    /**
     * A handler for a new connection, with the current context.
     *
     * @param alloc the channel's allocator.
     * @return the handler, first in the pipeline after the PROXY header decoder.
     */
    public SslHandler newHandler(final ByteBufAllocator alloc)
    {
        final SslHandler handler = current.newHandler(alloc);
        handler.setHandshakeTimeout(handshakeTimeoutMs, TimeUnit.MILLISECONDS);
        return handler;
    }

    /**
     * Rebuilds the context when the certificate or the key file changed (size or modification time) and two
     * checks in a row saw them alike.
     * Files that cannot be read or parsed (e.g. the certificate replaced but not yet its key) keep the
     * current context, with one warning; they are tried again when they change again.
     *
     * @return true when a new context was taken.
     */
    public boolean reloadIfChanged()
    {
        final String stamp = stamp();
        if (stamp.equals(loadedStamp))
        {
            changedStamp = null;
            return false;
        }
        if (!stamp.equals(changedStamp))
        {
            // The files changed since the last check: wait one interval for them to settle, so that a key and
            // a certificate replaced one after the other are loaded as a pair, never the new key with the old
            // certificate (which would load, and then fail every handshake).
            changedStamp = stamp;
            return false;
        }
        try
        {
            current = build();
            loadedStamp = stamp;
            reloads.increment();
            LOG.info("TLS certificate reloaded from {} ({})", certFile, stamp);
            return true;
        }
        catch (final Exception ex)
        {
            reloadFailures.increment();
            LOG.warn("TLS certificate reload from {} failed, keeping the current one: {}", certFile, ex.toString());
            loadedStamp = stamp;
            return false;
        }
    }

    private String stamp()
    {
        return stamp(certFile) + "|" + stamp(keyFile);
    }

    private static String stamp(final Path file)
    {
        try
        {
            final BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.lastModifiedTime().toMillis() + ":" + attributes.size();
        }
        catch (final IOException ex)
        {
            return "missing";
        }
    }

    /** @return {@code openssl} or {@code jdk}. */
    public String providerName()
    {
        return provider == SslProvider.JDK ? PROVIDER_JDK : PROVIDER_OPENSSL;
    }

    public long reloads()
    {
        return reloads.sum();
    }

    public long reloadFailures()
    {
        return reloadFailures.sum();
    }
}
