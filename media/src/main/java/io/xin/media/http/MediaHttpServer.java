package io.xin.media.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.xin.media.MediaStore;
import io.xin.media.SignedUrls;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The media HTTP server: the tus 1.0.0 core subset for uploads (with the expiration and termination extensions)
 * and signed, ranged downloads of blobs, over HTTP/1.1 on a port and event loops of its own.
 * <pre>
 *   OPTIONS /media/v1/uploads              204, the tus capabilities
 *   HEAD    /media/v1/uploads/{upload id}  200, the upload's offset, length and expiry    (bearer token)
 *   PATCH   /media/v1/uploads/{upload id}  204, the new offset; the blob key on completion (bearer token)
 *   DELETE  /media/v1/uploads/{upload id}  204                                            (bearer token)
 *   GET     /media/v1/blobs/{blob id}      200 or 206 (one range)                         (?token=)
 *   HEAD    /media/v1/blobs/{blob id}      the same headers
 * </pre>
 * An upload's token is {@link SignedUrls#sign}{@code ("PATCH", "/media/v1/uploads/<id>", expiry)} for all three
 * of its methods; a blob's is {@code sign("GET", "/media/v1/blobs/<id>", expiry)} for both of its. Tokens signed
 * over the bare id are accepted too.
 * <p>
 * Pipeline of each connection:
 * <pre>
 *   [tls (SslHandler)] → idle (IdleStateHandler) → http (HttpServerCodec) → media (MediaHandler)
 * </pre>
 * Threads: {@code ioThreads} event loops ({@code xin-media-io}) parse requests, check tokens and move bytes;
 * every store call (appends, hashing, stat, reads) runs on {@code fileThreads} threads of its own
 * ({@code xin-media-file}), one task at a time per connection, never on an event loop. A PATCH body is copied
 * into buffers of half the connection buffer each, written to the store one buffer at a time, and reading stops
 * while the connection holds a whole connection buffer of bytes the store has not taken yet. A download is read
 * from the store a chunk at a time while the connection is writable.
 * <p>
 * {@link #start()} and {@link #close()} are for one thread; the counters are for any.
 */
public final class MediaHttpServer implements AutoCloseable
{
    /** The size of the HTTP decoder's body pieces: big enough to copy in few steps. */
    private static final int DECODER_CHUNK_BYTES = 64 * 1024;

    private final MediaStore store;
    private final SignedUrls urls;
    private final MediaHttpConfig config;
    /** Open connections, counted at accept and uncounted at close; over the limit they are refused. */
    private final AtomicInteger connections = new AtomicInteger();
    /** Every open connection, so close() can end them. */
    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    private final LongAdder refusedConnections = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final AtomicLong bodyBytesHeld = new AtomicLong();
    private final AtomicLong peakBodyBytesHeld = new AtomicLong();
    private final LongAdder downloadPauses = new LongAdder();
    private EventLoopGroup group;
    private ThreadPoolExecutor files;
    private Channel serverChannel;

    /**
     * @param store  the media store uploads go into and downloads come from.
     * @param urls   checks the tokens of requests.
     * @param config the server's settings.
     */
    public MediaHttpServer(final MediaStore store, final SignedUrls urls, final MediaHttpConfig config)
    {
        if (store == null || urls == null || config == null)
        {
            throw new IllegalArgumentException("store, urls and config are required");
        }
        this.store = store;
        this.urls = urls;
        this.config = config;
    }

    /**
     * Starts the threads and listens.
     *
     * @return this.
     * @throws IllegalStateException if started before or it cannot listen.
     */
    public MediaHttpServer start()
    {
        if (group != null)
        {
            throw new IllegalStateException("already started");
        }
        group = new MultiThreadIoEventLoopGroup(
            config.ioThreads(), new DefaultThreadFactory("xin-media-io", true), NioIoHandler.newFactory());
        // Started up front and fed through a lock-free queue: handing a task over never makes an event loop wait.
        files = new ThreadPoolExecutor(config.fileThreads(), config.fileThreads(), 0, TimeUnit.MILLISECONDS,
            new LinkedTransferQueue<>(), new DefaultThreadFactory("xin-media-file", true));
        files.prestartAllCoreThreads();
        final MediaHandler.Shared shared = new MediaHandler.Shared(
            store, urls, config, files, failures, bodyBytesHeld, peakBodyBytesHeld, downloadPauses);
        final HttpDecoderConfig decoder = new HttpDecoderConfig()
            .setMaxInitialLineLength(config.maxInitialLineBytes())
            .setMaxHeaderSize(config.maxHeaderBytes())
            .setMaxChunkSize(DECODER_CHUNK_BYTES);
        final InetSocketAddress address = new InetSocketAddress(config.bindHost(), config.port());
        try
        {
            serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                    config.connectionBufferBytes() / 2, config.connectionBufferBytes()))
                .childHandler(new ChannelInitializer<SocketChannel>()
                {
                    @Override
                    protected void initChannel(final SocketChannel channel)
                    {
                        final boolean over = connections.incrementAndGet() > config.maxConnections();
                        channels.add(channel);
                        channel.closeFuture().addListener(f ->
                        {
                            connections.decrementAndGet();
                            channels.remove(channel);
                        });
                        if (over)
                        {
                            refusedConnections.increment();
                        }
                        if (config.sslContext() != null)
                        {
                            channel.pipeline().addLast("tls", config.sslContext().newHandler(channel.alloc()));
                        }
                        channel.pipeline()
                            // Output that drains counts as activity: a slow reader of a download is not idle.
                            .addLast("idle", new IdleStateHandler(
                                true, 0, 0, config.idleTimeoutMs(), TimeUnit.MILLISECONDS))
                            .addLast("http", new HttpServerCodec(decoder))
                            .addLast("media", new MediaHandler(shared, over));
                    }
                })
                .bind(address).syncUninterruptibly().channel();
        }
        catch (final Exception e)
        {
            shutdownThreads();
            // Netty rethrows a bind failure (a checked BindException) as it is.
            throw new IllegalStateException("cannot listen on " + address.getHostString() + ":" +
                address.getPort() + ": " + e, e);
        }
        return this;
    }

    /**
     * @return the port it listens on.
     * @throws IllegalStateException if not started.
     */
    public int port()
    {
        if (serverChannel == null)
        {
            throw new IllegalStateException("not started");
        }
        return ((InetSocketAddress)serverChannel.localAddress()).getPort();
    }

    /** @return connections open now, those being refused included. */
    public int openConnections()
    {
        return connections.get();
    }

    /** @return connections refused because {@code maxConnections} were open. */
    public long refusedConnections()
    {
        return refusedConnections.sum();
    }

    /** @return requests answered 500: the store failed, or the server did. */
    public long failures()
    {
        return failures.sum();
    }

    /**
     * Stops listening, closes every connection (bytes of a PATCH received so far are still written to the store),
     * waits for the file threads to finish what was queued, then stops the event loops.
     */
    @Override
    public void close()
    {
        if (serverChannel != null)
        {
            serverChannel.close().awaitUninterruptibly(1_000);
        }
        for (final Channel channel : channels)
        {
            channel.close().awaitUninterruptibly(1_000);
        }
        shutdownThreads();
    }

    private void shutdownThreads()
    {
        if (files != null)
        {
            files.shutdown();
            try
            {
                files.awaitTermination(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        if (group != null)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2_000);
        }
    }

    /** @return PATCH body bytes held in memory now, over all connections, not yet taken by the store. */
    public long bodyBytesHeld()
    {
        return bodyBytesHeld.get();
    }

    /** @return the most PATCH body bytes one connection has held in memory at once. */
    public long peakBodyBytesHeld()
    {
        return peakBodyBytesHeld.get();
    }

    /** For tests: times a download waited for its connection to drain. */
    long downloadPauses()
    {
        return downloadPauses.sum();
    }

    /** For tests: the file threads, to hold them busy. */
    ExecutorService files()
    {
        return files;
    }
}
