package io.xin.media.http;

import io.netty.handler.ssl.SslContext;
import io.xin.media.MediaLimits;

import java.time.Clock;

/**
 * The settings of a {@link MediaHttpServer}. Immutable; the constructor checks every value.
 *
 * @param bindHost              the address to listen on.
 * @param port                  the TCP port; 0 picks a free one ({@link MediaHttpServer#port()} tells which).
 * @param maxChunkBytes         the largest PATCH body (its {@code Content-Length}); more is refused with 413
 *                              before a byte of it is read. Default 8 MiB.
 * @param maxConnections        open connections at once; each one past it is answered 503 and closed. Default 10,000.
 * @param idleTimeoutMs         a connection with nothing read or written for this long is closed, unless the server
 *                              itself is still working on its request (writing a PATCH body, hashing a completed
 *                              upload). Default 60 s.
 * @param sslContext            TLS for every connection, or null for plain HTTP.
 * @param ioThreads             event loop threads: they parse, check tokens and move bytes, and never touch a file.
 *                              Default 1.
 * @param fileThreads           threads for the blocking store calls: appends, hashing, reads. Default 2.
 * @param maxInitialLineBytes   the longest request line; longer is answered 414 and the connection closed.
 *                              Default 4 KiB.
 * @param maxHeaderBytes        the most header bytes a request may have; more is answered 431 and the connection
 *                              closed. Default 8 KiB.
 * @param connectionBufferBytes the most body bytes one connection holds in memory: PATCH bytes received and not
 *                              yet written to the store (reading stops at this many, until the store catches up),
 *                              and download bytes read and not yet sent (the outbound water mark). Default 1 MiB.
 * @param maxUploadBytes        the largest upload the store takes, sent as {@code Tus-Max-Size}: the largest of the
 *                              store's {@link MediaLimits} sizes. Default that of {@link MediaLimits#DEFAULTS}.
 * @param cacheMaxAgeSeconds    the {@code max-age} of a download's {@code Cache-Control: private}: a blob's bytes
 *                              never change under its id. Default a day.
 * @param clock                 the time upload expiries are compared with; the store's clock. Default the system's.
 */
public record MediaHttpConfig(
    String bindHost,
    int port,
    long maxChunkBytes,
    int maxConnections,
    long idleTimeoutMs,
    SslContext sslContext,
    int ioThreads,
    int fileThreads,
    int maxInitialLineBytes,
    int maxHeaderBytes,
    int connectionBufferBytes,
    long maxUploadBytes,
    long cacheMaxAgeSeconds,
    Clock clock)
{
    public static final long DEFAULT_MAX_CHUNK_BYTES = 8L * 1024 * 1024;
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 60_000;
    public static final int DEFAULT_IO_THREADS = 1;
    public static final int DEFAULT_FILE_THREADS = 2;
    public static final int DEFAULT_MAX_INITIAL_LINE_BYTES = 4 * 1024;
    public static final int DEFAULT_MAX_HEADER_BYTES = 8 * 1024;
    public static final int DEFAULT_CONNECTION_BUFFER_BYTES = 1024 * 1024;
    public static final long DEFAULT_MAX_UPLOAD_BYTES = largest(MediaLimits.DEFAULTS);
    public static final long DEFAULT_CACHE_MAX_AGE_SECONDS = 24 * 3600;
    /** The smallest connection buffer: it is split in two, and each half must hold a useful write. */
    public static final int MIN_CONNECTION_BUFFER_BYTES = 8 * 1024;

    /**
     * @throws IllegalArgumentException if a value is missing or out of its range.
     */
    public MediaHttpConfig
    {
        if (bindHost == null || bindHost.isBlank())
        {
            throw new IllegalArgumentException("bindHost is required");
        }
        if (port < 0 || port > 65_535)
        {
            throw new IllegalArgumentException("port must be 0 to 65535: " + port);
        }
        requireAtLeast("maxChunkBytes", maxChunkBytes, 1);
        requireAtLeast("maxConnections", maxConnections, 1);
        requireAtLeast("idleTimeoutMs", idleTimeoutMs, 1);
        requireAtLeast("ioThreads", ioThreads, 1);
        requireAtLeast("fileThreads", fileThreads, 1);
        requireAtLeast("maxInitialLineBytes", maxInitialLineBytes, 64);
        requireAtLeast("maxHeaderBytes", maxHeaderBytes, 256);
        requireAtLeast("connectionBufferBytes", connectionBufferBytes, MIN_CONNECTION_BUFFER_BYTES);
        requireAtLeast("maxUploadBytes", maxUploadBytes, 1);
        requireAtLeast("cacheMaxAgeSeconds", cacheMaxAgeSeconds, 0);
        if (clock == null)
        {
            throw new IllegalArgumentException("clock is required");
        }
        if (sslContext != null && !sslContext.isServer())
        {
            throw new IllegalArgumentException("sslContext must be a server context");
        }
    }

    /**
     * The settings the contract names, the others at their defaults.
     *
     * @param bindHost       the address to listen on.
     * @param port           the TCP port, 0 for a free one.
     * @param maxChunkBytes  the largest PATCH body.
     * @param maxConnections open connections at once.
     * @param idleTimeoutMs  how long a silent connection stays open.
     * @param sslContext     TLS, or null.
     * @param ioThreads      event loop threads.
     * @param fileThreads    threads for blocking store calls.
     */
    public MediaHttpConfig(
        final String bindHost,
        final int port,
        final long maxChunkBytes,
        final int maxConnections,
        final long idleTimeoutMs,
        final SslContext sslContext,
        final int ioThreads,
        final int fileThreads)
    {
        this(bindHost, port, maxChunkBytes, maxConnections, idleTimeoutMs, sslContext, ioThreads, fileThreads,
            DEFAULT_MAX_INITIAL_LINE_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_CONNECTION_BUFFER_BYTES,
            DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_CACHE_MAX_AGE_SECONDS, Clock.systemUTC());
    }

    /**
     * @param bindHost the address to listen on.
     * @param port     the TCP port, 0 for a free one.
     * @return a builder with every other setting at its default.
     */
    public static Builder builder(final String bindHost, final int port)
    {
        return new Builder(bindHost, port);
    }

    /**
     * @param limits a store's limits.
     * @return the largest upload they allow, of any content type.
     */
    public static long largest(final MediaLimits limits)
    {
        return Math.max(Math.max(limits.maxImageBytes(), limits.maxVideoBytes()),
            Math.max(limits.maxAudioBytes(), limits.maxOtherBytes()));
    }

    private static void requireAtLeast(final String name, final long value, final long least)
    {
        if (value < least)
        {
            throw new IllegalArgumentException(name + " must be at least " + least + ": " + value);
        }
    }

    /** Builds a {@link MediaHttpConfig} from the defaults; each setter is named after its component. */
    public static final class Builder
    {
        private final String bindHost;
        private final int port;
        private long maxChunkBytes = DEFAULT_MAX_CHUNK_BYTES;
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
        private SslContext sslContext;
        private int ioThreads = DEFAULT_IO_THREADS;
        private int fileThreads = DEFAULT_FILE_THREADS;
        private int maxInitialLineBytes = DEFAULT_MAX_INITIAL_LINE_BYTES;
        private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
        private int connectionBufferBytes = DEFAULT_CONNECTION_BUFFER_BYTES;
        private long maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
        private long cacheMaxAgeSeconds = DEFAULT_CACHE_MAX_AGE_SECONDS;
        private Clock clock = Clock.systemUTC();

        private Builder(final String bindHost, final int port)
        {
            this.bindHost = bindHost;
            this.port = port;
        }

        public Builder maxChunkBytes(final long value)
        {
            maxChunkBytes = value;
            return this;
        }

        public Builder maxConnections(final int value)
        {
            maxConnections = value;
            return this;
        }

        public Builder idleTimeoutMs(final long value)
        {
            idleTimeoutMs = value;
            return this;
        }

        public Builder sslContext(final SslContext value)
        {
            sslContext = value;
            return this;
        }

        public Builder ioThreads(final int value)
        {
            ioThreads = value;
            return this;
        }

        public Builder fileThreads(final int value)
        {
            fileThreads = value;
            return this;
        }

        public Builder maxInitialLineBytes(final int value)
        {
            maxInitialLineBytes = value;
            return this;
        }

        public Builder maxHeaderBytes(final int value)
        {
            maxHeaderBytes = value;
            return this;
        }

        public Builder connectionBufferBytes(final int value)
        {
            connectionBufferBytes = value;
            return this;
        }

        public Builder maxUploadBytes(final long value)
        {
            maxUploadBytes = value;
            return this;
        }

        public Builder cacheMaxAgeSeconds(final long value)
        {
            cacheMaxAgeSeconds = value;
            return this;
        }

        public Builder clock(final Clock value)
        {
            clock = value;
            return this;
        }

        /**
         * @return the settings.
         * @throws IllegalArgumentException if one is out of its range.
         */
        public MediaHttpConfig build()
        {
            return new MediaHttpConfig(bindHost, port, maxChunkBytes, maxConnections, idleTimeoutMs, sslContext,
                ioThreads, fileThreads, maxInitialLineBytes, maxHeaderBytes, connectionBufferBytes, maxUploadBytes,
                cacheMaxAgeSeconds, clock);
        }
    }
}
